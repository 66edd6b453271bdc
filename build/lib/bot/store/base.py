"""The session store contract every implementation honours."""

from __future__ import annotations

from typing import Protocol

from bot.engine.session import Session
from bot.store.keys import UserRef


class StoreUnavailable(Exception):
    """The backing store cannot be reached; the user is told to try again shortly."""


class SessionStore(Protocol):
    ttl_seconds: int
    """How long an untouched session is kept."""

    async def load(self, user: UserRef, flow: str) -> Session | None:
        """The stored session, or None when there is none (or it expired)."""

    async def load_once(
        self, user: UserRef, flow: str, *, scope: str, event_id: str, ttl_seconds: int
    ) -> tuple[bool, Session | None]:
        """Mark ``event_id`` as seen (True if this is the first time) and load the session."""

    async def save(
        self, user: UserRef, session: Session, *, expected: int, slot: str | None = None
    ) -> bool:
        """Store ``session`` if the stored version is still ``expected`` (0: none stored).

        Returns False, storing nothing, when another writer got there first.
        """

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

    async def keys_of(self, user: UserRef) -> list[str]:
        """Names of the keys stored for ``user`` (for /mydata and for tests)."""

    async def ping(self) -> bool:
        """True when the store answers."""
