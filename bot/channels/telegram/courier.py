"""Reminders out to Telegram, through PTB's request stack and rate limiter.

The worker has no updates to answer, only messages to send, so it needs a ``Bot`` and
not an ``Application``: an ``ExtBot`` with the ``AIORateLimiter`` keeps the worker
within Telegram's limits (about 30 messages a second overall) and waits out a 429's
``retry_after`` before retrying. A private chat's id is the user's id.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest, Forbidden
from telegram.ext import AIORateLimiter, ExtBot

from bot.channels.telegram.entry import BLOCKED
from bot.channels.telegram.render import markup_json, messages
from bot.engine.replies import Reply
from bot.reminders.service import Outcome
from bot.store.base import SessionStore
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


def build_bot(token: str, *, base_url: str | None = None, max_rate: float = 30) -> ExtBot[Any]:
    limiter = AIORateLimiter(overall_max_rate=max_rate, max_retries=3)
    kwargs: dict[str, Any] = {"rate_limiter": limiter}
    if base_url:
        kwargs["base_url"] = base_url
    return ExtBot(token, **kwargs)


class TelegramCourier:
    def __init__(self, bot: ExtBot[Any], store: SessionStore) -> None:
        self.bot = bot
        self.store = store

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        for part in messages(reply):
            params: dict[str, Any] = {"chat_id": user.user, "text": part.text, "parse_mode": "HTML"}
            if part.keyboard is not None:
                params["reply_markup"] = markup_json(part.keyboard)
            try:
                await self.bot.do_api_request("sendmessage", api_kwargs=params)
            except Forbidden:
                await self.store.put_value(user, BLOCKED, "1")
                return "blocked"
            except BadRequest as exc:
                if any(sign in str(exc).lower() for sign in GONE):
                    return "blocked"
                raise
        return "sent"
