"""The web chat's settings, read from the environment like :class:`bot.settings.Settings`.

Its own class, so the channel is one package: the core's settings know no web chat. Read
when a process asks whether the channel is configured (rarely: at start-up), never per
request.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    web_chat_secret: SecretStr | None = Field(
        default=None,
        description="Signs the chat cookie (HMAC-SHA256); every web process needs the same one",
    )
    web_chat_enabled: bool = Field(default=True, description="false: never serve the web chat")
    web_chat_rate_per_minute: int = Field(
        default=60, ge=0, description="Posts one browser may make a minute (0: no limit)"
    )
    web_chat_ip_rate_per_minute: int = Field(
        default=600, ge=0, description="Posts one IP address may make a minute (0: no limit)"
    )
    web_chat_frame_ancestors: str = Field(
        default="",
        description="Space-separated origins allowed to show the page in a frame "
        "(CSP frame-ancestors); empty: none",
    )

    @property
    def configured(self) -> bool:
        return self.web_chat_enabled and self.web_chat_secret is not None

    def secret(self) -> bytes:
        assert self.web_chat_secret is not None
        return self.web_chat_secret.get_secret_value().encode()
