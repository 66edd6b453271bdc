"""Where a channel last showed a question, so a typed answer can rewrite that message.

Telegram names a message by chat and message id, Slack by channel and ``ts``; both are
kept as strings (a stored Telegram pointer's numbers read back the same).
"""

from __future__ import annotations

import orjson

from bot.engine.replies import Reply
from bot.frozen import frozen


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
