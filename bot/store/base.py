"""The session store contract every implementation honours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Protocol

from bot.engine.session import Session
from bot.frozen import frozen
from bot.store.keys import UserRef


class StoreUnavailable(Exception):
    """The backing store cannot be reached; the user is told to try again shortly."""


@frozen
class Once:
    """A platform event that may be delivered more than once (a Telegram update, a Slack
    event): the scope and id of its once-only marker and how long the marker is kept."""

    scope: str
    event_id: str
    ttl_seconds: int

    @property
    def key(self) -> str:
        """The event's name in the user's outbox."""
        return f"{self.scope}:{self.event_id}"


@frozen
class Loaded:
    """What a turn starts from, read in one round trip."""

    first: bool
    """False: the event was seen before (a re-delivery)."""
    session: Session | None
    pending: bool
    """The user's outbox is not empty: earlier replies may still be owed."""


@frozen
class Entry:
    """A turn's replies, written to the user's outbox by the same script as its session."""

    key: str
    packed: bytes
    ttl_seconds: int
    """As long as the event's once-only marker: a re-delivery always finds its replies."""
    lease_seconds: int
    """How long the writer has to send them before anyone else may (a claim)."""


@frozen
class Claimed:
    """Outbox entries nobody is sending, now claimed by the caller, oldest first."""

    entries: tuple[tuple[str, bytes], ...] = ()
    own_in_flight: bool = False
    """The entry asked for as ``own`` exists and someone else is sending it right now."""


@frozen
class Erased:
    deleted: int
    values: dict[str, str | None] = field(default_factory=dict, hash=False)
    """The values asked for, as they were when they were deleted."""


class SessionStore(Protocol):
    ttl_seconds: int
    """How long an untouched session is kept."""

    async def load(self, user: UserRef, flow: str) -> Session | None:
        """The stored session, or None when there is none (or it expired)."""

    async def load_turn(self, user: UserRef, flow: str, *, once: Once | None = None) -> Loaded:
        """The session and whether the outbox holds anything; with ``once``, also mark the
        event as seen (``first`` is False when it was seen before). One round trip."""

    async def save(
        self,
        user: UserRef,
        session: Session,
        *,
        expected: int,
        slot: str | None = None,
        entry: Entry | None = None,
    ) -> bool:
        """Store ``session`` if the stored version is still ``expected`` (0: none stored),
        and with it ``entry`` in the user's outbox, claimed by the caller.

        Returns False, storing nothing, when another writer got there first.
        """

    async def repack(self, user: UserRef, key: str, packed: bytes) -> None:
        """Replace the replies of outbox entry ``key`` if it is still there."""

    async def claim(self, user: UserRef, *, lease_seconds: int, own: str | None = None) -> Claimed:
        """Claim every outbox entry that nobody is sending (never claimed, released, or its
        claim expired)."""

    async def settle(
        self,
        user: UserRef,
        *,
        sent: Sequence[str] = (),
        left: Mapping[str, bytes | None] | None = None,
        values: Mapping[str, str] | None = None,
        anchor: str,
    ) -> None:
        """After sending: delete the ``sent`` entries, release the ``left`` ones (with the
        replies still owed, or None for unchanged), and write ``values`` (declared user values) only
        if the session in slot ``anchor`` still exists: never after a /forget."""

    async def hold_work(self, user: UserRef, token: str, *, lease_seconds: int) -> None:
        """Note work in flight for the user (outside a turn), so /forget waits for it."""

    async def drop_work(self, user: UserRef, token: str) -> None: ...

    async def put_value(
        self, user: UserRef, name: str, value: str, *, ttl_seconds: int | None = None
    ) -> None:
        """Keep a small per-user value (indexed: erased with the user; expires like a session)."""

    async def replace_value(
        self,
        user: UserRef,
        name: str,
        value: str,
        *,
        expected: str | None,
        ttl_seconds: int | None = None,
        keep_ttl: bool = False,
    ) -> bool:
        """Compare-and-set a per-user value (``expected`` None: only if absent)."""

    async def get_value(self, user: UserRef, name: str) -> str | None: ...

    async def get_values(self, user: UserRef, *names: str) -> dict[str, str | None]: ...

    async def touch(self, user: UserRef) -> None:
        """Push every per-user value's expiry to a full retention period from now."""

    async def delete_value(self, user: UserRef, name: str) -> None: ...

    async def first_time(self, scope: str, event_id: str, *, ttl_seconds: int) -> bool:
        """True the first time ``event_id`` is seen in ``scope``, across processes."""

    async def erase(self, user: UserRef) -> int:
        """Delete every key stored for ``user``; returns how many were deleted."""

    async def forget(
        self,
        user: UserRef,
        *,
        held: Sequence[str] = (),
        returned: Sequence[str] = (),
        force: bool = False,
    ) -> Erased | None:
        """Erase every key of ``user`` at once, unless work for them is in flight: an outbox
        entry being sent, work noted by :meth:`hold_work`, or one of the ``held`` values
        present (None then, nothing erased). ``force`` erases regardless."""

    async def keys_of(self, user: UserRef) -> list[str]:
        """Names of the keys stored for ``user`` (for /mydata and for tests)."""

    async def ping(self) -> bool:
        """True when the store answers."""
