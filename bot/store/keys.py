"""Who a conversation belongs to, and the Redis key names derived from it.

Every key of one user carries the user in a hash tag (``kc:{tg:12345}:...``),
so all of one user's keys live in one Redis Cluster slot and can be written and
erased together by one script.
"""

from __future__ import annotations

import hashlib
import re

from bot.frozen import frozen

_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

CORE_VALUES = frozenset({"tz", "reminders", "profile", "diary", "delivering"})
"""The small per-user values the core features keep. A channel declares its own (its last
question message, a block marker) in its registry entry, and the store is built with both:
/forget deletes them by name, so writing one is a plain SET, and a name must be declared to
be written at all. The store knows no channel by name."""
OUTBOX = "outbox"
"""The per-user hash of replies saved turns still owe the user (see ``RedisSessionStore``):
not a plain value, so outside the declared values, and short-lived, so retention never
touches it; /forget deletes it with the rest."""


@frozen
class UserRef:
    """Channel + workspace + user: the identity everything about a user is keyed by."""

    channel: str
    user: str
    workspace: str = ""

    def __post_init__(self) -> None:
        for part in (self.channel, self.user, *([self.workspace] if self.workspace else [])):
            if not _PART.match(part):
                raise ValueError(f"invalid identity part {part!r}")

    @property
    def tag(self) -> str:
        if self.workspace:
            return f"{self.channel}:{self.workspace}:{self.user}"
        return f"{self.channel}:{self.user}"

    def hashed(self, salt: bytes) -> str:
        """A stable pseudonym for logs: never log the raw id of a health-app user."""
        return hashlib.blake2b(self.tag.encode(), key=salt[:64], digest_size=8).hexdigest()


@frozen
class KeyBuilder:
    prefix: str = "kc"

    def session(self, user: UserRef, flow: str) -> str:
        return f"{self.prefix}:{{{user.tag}}}:session:{flow}"

    def value(self, user: UserRef, name: str) -> str:
        """A small per-user value a channel keeps (its last question message, a block marker)."""
        return f"{self.prefix}:{{{user.tag}}}:{name}"

    def once(self, scope: str, event_id: str) -> str:
        """A short-lived marker that an event (a Telegram update, a Slack retry) was handled."""
        return f"{self.prefix}:once:{scope}:{event_id}"

    def index(self, user: UserRef) -> str:
        """A set naming every key stored for the user, so erasing needs no SCAN."""
        return f"{self.prefix}:{{{user.tag}}}:keys"
