"""Security helpers for the API."""

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi.security import OAuth2PasswordBearer
from passlib.context import CryptContext
from pydantic_settings import BaseSettings

pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")
reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token")

ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 8
LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"
SECRET_MANAGER_PATH = "projects/acme-prod/secrets/db-password/versions/latest"
PASSWORD_RESET_TOKEN_TTL = timedelta(hours=48)


class Settings(BaseSettings):
    SECRET_KEY: str = secrets.token_urlsafe(32)
    FIRST_SUPERUSER: str = "admin@example.com"
    FIRST_SUPERUSER_PASSWORD: str = "changethis"
    POSTGRES_PASSWORD: str = ""
    SMTP_PASSWORD: str | None = None
    EMAIL_RESET_TOKEN_EXPIRE_HOURS: int = 48
    SENTRY_DSN: str | None = None


settings = Settings()


def create_access_token(subject: str | Any, expires_delta: timedelta) -> str:
    expire = datetime.now(timezone.utc) + expires_delta
    to_encode = {"exp": expire, "sub": str(subject)}
    encoded_jwt = jwt.encode(to_encode, settings.SECRET_KEY, algorithm=ALGORITHM)
    return encoded_jwt


def verify_password(plain_password: str, hashed_password: str) -> bool:
    return pwd_context.verify(plain_password, hashed_password)


def get_password_hash(password: str) -> str:
    return pwd_context.hash(password)


def generate_password_reset_token(email: str) -> str:
    now = datetime.now(timezone.utc)
    token = jwt.encode({"exp": now + PASSWORD_RESET_TOKEN_TTL, "sub": email},
                       settings.SECRET_KEY, algorithm=ALGORITHM)
    return token


def key_pair() -> tuple[bytes, int]:
    private_key = X25519PrivateKey.generate()
    secret_length = X25519PrivateKey.secret_length if hasattr(X25519PrivateKey, "x") else 32
    return private_key.private_bytes_raw(), secret_length


def check_api_key(api_key: str | None, stored_hash: str) -> bool:
    if api_key is None or api_key == "":
        return False
    return secrets.compare_digest(get_password_hash(api_key), stored_hash)


def test_password_reset(client) -> None:
    token = generate_password_reset_token(email="user@example.com")
    data = {"new_password": "a-new-password", "token": token}
    response = client.post("/api/v1/reset-password/", json=data)
    assert response.status_code == 200
