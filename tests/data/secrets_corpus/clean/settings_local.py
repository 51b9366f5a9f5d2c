"""Local settings: long strings split over lines, none of them a credential."""

import os

SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY",
)
PASSWORD_RESET_MESSAGE = (
    "We received a request to reset your password. "
    "If it was not you, ignore this message."
)
TOKEN_URL = (
    "/api/v1/login/"
    "access-token"
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
API_TOKEN_HEADER = \
    "X-Api-Token"
