"""The Slack channel's registry entry (see :mod:`bot.channels.registry`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.registry import Entry

if TYPE_CHECKING:
    from aiohttp import web

    from bot.parts import App
    from bot.reminders.service import Courier

NAME = "slack"
PREFIX = "sl"
LAST_QUESTION = "slack:q"
"""Where the pending question was posted: rewritten once it is answered by typing."""


def courier(app: App) -> Courier:
    from bot.channels.slack.courier import SlackCourier, build_client

    token = app.settings.slack_bot_token
    assert token is not None
    return SlackCourier(build_client(token.get_secret_value(), base_url=app.settings.slack_api_url))


def mount(web_app: web.Application, app: App) -> None:
    from bot.channels.slack.runner import mount_events

    mount_events(web_app, app)


ENTRY = Entry(
    name=NAME,
    prefix=PREFIX,
    values=frozenset({LAST_QUESTION}),
    configured=lambda settings: settings.slack_bot_token is not None,
    courier=courier,
    mount=mount,
)
