"""Service settings, read from the environment by pydantic-settings."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_")

    database_url: str
    redis_url: str
    jwt_secret: str
    request_timeout: float = 10.0
    sentry_dsn: str | None = Field(default=None, alias="SENTRY_DSN")


settings = Settings()
