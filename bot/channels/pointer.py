"""Where a channel last showed a question, so a typed answer can rewrite that message.

Telegram names a message by chat and message id, Slack by channel and ``ts``; both are
kept as strings (a stored Telegram pointer's numbers read back the same).
"""

from __future__ import annotations

import orjson

from bot.engine.replies import Reply
from bot.frozen import frozen
from bot.store.base import SessionStore
from bot.store.keys import UserRef


@frozen
class Pointer:
    place: str
    """The Telegram chat or the Slack channel."""
    message: str
    """The Telegram message id or the Slack message ``ts``."""
    step: str
    version: int

    def dump(self) -> str:
        return orjson.dumps([self.place, self.message, self.step, self.version]).decode()

    @classmethod
    def load(cls, raw: str | None) -> Pointer | None:
        if not raw:
            return None
        place, message, step, version = orjson.loads(raw)
        return cls(str(place), str(message), str(step), int(version))

    def asked(self, reply: Reply) -> bool:
        """``reply`` answers the very question this pointer shows."""
        return (self.step, self.version) == (reply.step, reply.version)


class Showing:
    """One event's pass over what it shows (replies still owed, then its own turn's).

    Keeps the pointer as it stands, read from the store at most once and written once at
    the end with the outbox's settlement (``values``), so that a question sent by an owed
    turn is the one the next turn's answer rewrites. ``at`` is how far the replies being
    shown got: what a failed send leaves owed.
    """

    def __init__(self, store: SessionStore, user: UserRef, name: str) -> None:
        self._store = store
        self._user = user
        self._name = name
        self._pointer: Pointer | None = None
        self._read = False
        self._moved = False
        self.at = 0

    async def pointer(self) -> Pointer | None:
        if not self._read:
            self._pointer = Pointer.load(await self._store.get_value(self._user, self._name))
            self._read = True
        return self._pointer

    def point(self, pointer: Pointer) -> None:
        self._pointer, self._read, self._moved = pointer, True, True

    def values(self) -> dict[str, str]:
        """The per-user values to write once shown: the pointer, if a question was sent."""
        if not self._moved or self._pointer is None:
            return {}
        return {self._name: self._pointer.dump()}
