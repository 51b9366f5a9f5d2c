import os
from os import environ

SECRET_KEY = environ["DJANGO_SECRET_KEY"]
DEBUG = os.getenv("DJANGO_DEBUG", "False") == "True"
DATABASE_URL_VAR = "DATABASE_URL"
DATABASES = {"default": {"URL": os.environ[DATABASE_URL_VAR]}}
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")
