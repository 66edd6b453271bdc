"""The Telegram channel's registry entry (see :mod:`bot.channels.registry`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.registry import Entry

if TYPE_CHECKING:
    from aiohttp import web

    from bot.parts import App
    from bot.reminders.service import Courier

NAME = "telegram"
PREFIX = "tg"
LAST_QUESTION = "tg:q"
"""The message that shows the pending question: rewritten once it is answered by typing."""
BLOCKED = "tg:blocked"
"""The user blocked the bot: nothing more is sent until they /start again."""


def courier(app: App) -> Courier:
    from bot.channels.telegram.courier import TelegramCourier, build_bot

    settings = app.settings
    assert settings.telegram_bot_token is not None
    bot = build_bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        max_rate=settings.telegram_max_rate,
    )
    return TelegramCourier(bot, app.store)


def mount(web_app: web.Application, app: App) -> None:
    from bot.channels.telegram.runner import mount_webhook

    mount_webhook(web_app, app)


ENTRY = Entry(
    name=NAME,
    prefix=PREFIX,
    values=frozenset({LAST_QUESTION, BLOCKED}),
    configured=lambda settings: settings.telegram_bot_token is not None,
    courier=courier,
    mount=mount,
)
