"""The web chat's registry entry (see :mod:`bot.channels.registry`).

Configured when ``WEB_CHAT_SECRET`` is set (and ``WEB_CHAT_ENABLED`` is not false): the
secret signs the cookie that names a browser's conversation, so without it there is nothing
safe to serve. ``kneecheck worker`` needs it set too, to deliver reminders to the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.registry import Entry

if TYPE_CHECKING:
    from aiohttp import web

    from bot.parts import App
    from bot.reminders.service import Courier
    from bot.settings import Settings

NAME = "web"
PREFIX = "web"
INBOX = "web:inbox"
"""The user's messages, a Redis stream every tab and process reads: /forget erases it."""


def configured(settings: Settings) -> bool:
    from bot.channels.web.settings import WebSettings

    return WebSettings().configured


def courier(app: App) -> Courier:
    from bot.channels.web.stream import Inbox, WebCourier

    return WebCourier(Inbox(app.store))


def mount(web_app: web.Application, app: App) -> None:
    from bot.channels.web.routes import mount_chat
    from bot.channels.web.settings import WebSettings

    mount_chat(web_app, app, WebSettings())


ENTRY = Entry(
    name=NAME,
    prefix=PREFIX,
    values=frozenset({INBOX}),
    configured=configured,
    courier=courier,
    mount=mount,
)
