"""Each user's messages as a Redis stream: the page's inbox, and the web chat's courier.

Everything the bot says to a web user is appended (XADD) to one stream per user,
``kc:{web:<id>}:web:inbox``, declared as a per-user value so /forget erases it, and expiring
with the rest of the user's data (``RETENTION_DAYS`` after the last message). The page's
event stream reads it (XREAD, blocking) from the last id it has seen. So:

- two tabs of one browser read the same stream: one conversation, shown in both;
- a reload reads it from the start: the conversation is back as it was;
- any process can write to it: a turn posted to one web process shows on a page served by
  another, and ``kneecheck worker`` delivers a reminder by appending to it;
- a page that was closed misses nothing: it reads on from its last id (``Last-Event-ID``).

It is capped (``MAXLEN ~``) so a very long conversation keeps its latest messages only.
What the user typed is never written here: the page shows it locally, and the bot's
"answered" lines keep the transcript.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.channels.web.entry import INBOX
from bot.channels.web.render import Message, message
from bot.engine import Reply
from bot.reminders.service import Outcome
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore

MAX_MESSAGES = 300
"""Kept per user (approximately: ``MAXLEN ~`` trims whole nodes, cheaply)."""
READ_COUNT = 100
"""Messages one read returns; a longer backlog comes in several reads."""
FIELD = b"m"
START = "0-0"
_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


def valid_id(raw: str | None) -> str | None:
    """``raw`` if it is a stream id (the page sends ids back), else None."""
    return raw if raw is not None and _ID.match(raw) else None


def stream_id(raw: str | None) -> str:
    """A stream id the page sent back (``Last-Event-ID``), or the start when it is not one."""
    return valid_id(raw) or START


class Inbox:
    def __init__(self, store: RedisSessionStore) -> None:
        self.store = store

    def key(self, user: UserRef) -> str:
        return self.store.keys.value(user, INBOX)

    async def add(self, user: UserRef, messages: Sequence[Message]) -> list[str]:
        """Append ``messages`` in one round trip; their ids, in order. The stream's expiry
        moves on with it, like every per-user value's."""
        if not messages:
            return []
        key = self.key(user)
        commands: list[tuple[Any, ...]] = [
            ("XADD", key, "MAXLEN", "~", MAX_MESSAGES, "*", FIELD, orjson.dumps(m))
            for m in messages
        ]
        commands.append(("PEXPIRE", key, self.store.ttl_ms))
        try:
            replies = await self.store.batcher.execute_together(*commands)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        return [_text(raw) for raw in replies[:-1]]

    async def read(
        self, user: UserRef, after: str, *, block_ms: int | None = None
    ) -> list[tuple[str, Message]]:
        """Messages after ``after``; with ``block_ms``, waits that long for one to come.

        Sent on the client itself, not the store's batched pipelines: a blocking read holds
        its connection for as long as it waits, and must not hold up other users' turns."""
        try:
            found = await self.store.client.xread(
                {self.key(user): after}, count=READ_COUNT, block=block_ms
            )
        except UNAVAILABLE as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        return [
            (_text(entry_id), _decoded(fields))
            for _, entries in found
            for entry_id, fields in entries
        ]

    async def backlog(self, user: UserRef, after: str) -> AsyncIterator[tuple[str, Message]]:
        """Every message after ``after``, without waiting, in reads of :data:`READ_COUNT`."""
        while True:
            found = await self.read(user, after)
            for entry in found:
                yield entry
            if len(found) < READ_COUNT:
                return
            after = found[-1][0]


class WebCourier:
    """A reminder for a web user: appended to their inbox, shown by any open page (or when
    they next open it). Never "blocked": a page can always be opened again."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        await self.inbox.add(user, [message(reply)])
        return "sent"


def _decoded(fields: dict[Any, Any]) -> Message:
    raw = fields.get(FIELD) or fields.get(FIELD.decode())
    try:
        decoded = orjson.loads(raw) if raw is not None else None
    except orjson.JSONDecodeError:
        decoded = None
    return decoded if isinstance(decoded, dict) else {"kind": "notice", "sections": []}


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
