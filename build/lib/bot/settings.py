"""The only reader of the environment.

Tokens and secrets come from the environment (or a local ``.env``) and are
``SecretStr`` so they never print. Everything has a default that lets a
newcomer run the bot with no configuration at all.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR

DAY = 86_400


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    redis_url: str | None = Field(
        default=None, description="Redis server; unset runs on an embedded in-process Redis"
    )
    retention_days: float = Field(
        default=90,
        gt=0,
        description="Everything stored about a user expires this long after their last activity",
    )
    worker_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="kneecheck worker serves /healthz and /metrics here",
    )
    worker_concurrency: int = Field(
        default=10, ge=1, description="Reminders a worker sends at once"
    )
    reminder_spread_minutes: int = Field(
        default=20,
        ge=0,
        le=120,
        description="Water nudges start up to this many minutes after the hour, a fixed amount "
        "per user, so thousands of them do not all fall due in the same second",
    )
    reminder_sweep_seconds: int = Field(
        default=15, ge=1, description="How often a worker looks for jobs a dead worker left"
    )
    reminder_job_timeout: int = Field(
        default=30, ge=1, description="Seconds one delivery may take before it counts as stuck"
    )
    reminder_lease_seconds: int = Field(
        default=60, ge=1, description="How long one worker holds a user's delivery"
    )
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = Field(
        default=None,
        description="Bot API base URL (PTB base_url), e.g. a self-hosted Bot API server",
    )
    telegram_webhook_url: str | None = None
    telegram_max_rate: float = Field(
        default=30, ge=0, description="Bot API requests a second for the whole bot (0: no limit)"
    )
    telegram_webhook_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-...) for Socket Mode"
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack Web API base URL; the app's AsyncWebClient is built with it",
    )
    port: int = Field(default=3000, ge=0, le=65535, description="HTTP port for Slack events")
    host: str = Field(default="0.0.0.0", description="Interface the HTTP server binds")
    log_salt: SecretStr | None = Field(
        default=None, description="Salt for the user pseudonyms in logs"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="debug, info, warning, error or critical (any case)"
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line, for production log pipelines"
    )
    default_locale: str = "en"
    flows_dir: Path = FLOWS_DIR
    content_dir: Path = CONTENT_DIR

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_any_case(cls, value: object) -> object:
        """`LOG_LEVEL=debug` is what people type; logging only knows "DEBUG"."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url_slash(cls, value: str) -> str:
        # slack_sdk joins method names onto the base URL: without the slash "api" is dropped.
        return value if value.endswith("/") else value + "/"

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_https(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("TELEGRAM_WEBHOOK_URL must be an https:// URL (Telegram requires it)")
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = []
        if self.slack_bot_token and not (self.slack_signing_secret or self.slack_app_token):
            problems.append(
                "SLACK_BOT_TOKEN is set without SLACK_SIGNING_SECRET (HTTP) "
                "or SLACK_APP_TOKEN (Socket Mode)"
            )
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            problems.append("TELEGRAM_WEBHOOK_URL is set without TELEGRAM_WEBHOOK_SECRET")
        if self.telegram_webhook_url and not self.telegram_bot_token:
            problems.append("TELEGRAM_WEBHOOK_URL is set without TELEGRAM_BOT_TOKEN")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def described(self) -> dict[str, str]:
        """The effective configuration for `kneecheck config`, secrets masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                text = "**** (set)"
            elif value is None:
                text = "(unset)"
            elif name == "redis_url":
                text = _mask_url(str(value))
            else:
                text = str(value)
            shown[name.upper()] = text
        return shown

    @property
    def retention_seconds(self) -> int:
        return int(self.retention_days * DAY)

    @cached_property
    def salt(self) -> bytes:
        """The log salt; without LOG_SALT, random per process (pseudonyms then differ)."""
        if self.log_salt is not None:
            return self.log_salt.get_secret_value().encode()
        return secrets.token_bytes(32)


def _mask_url(url: str) -> str:
    """A URL with any password replaced: redis://:secret@host -> redis://:****@host."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:****@{host}"


def problems_of(exc: Exception) -> list[str]:
    """One plain line per configuration problem, never a secret's value."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return [str(exc)]
    lines: list[str] = []
    for err in exc.errors(include_input=False):
        field = ".".join(str(p) for p in err["loc"]).upper()
        message = str(err["msg"]).removeprefix("Value error, ")
        for part in message.split("; "):
            lines.append(f"{field}: {part}" if field else part)
    return lines
