"""The imperative shell: load, advance, compare-and-set save, hand effects on.

Every channel calls :meth:`Conversations.handle`; no channel repeats this
loop. When two events for one user race (two taps, two processes), exactly one
save wins the compare-and-set; the loser re-reads and runs the engine again on
the new state, where a stale button is then answered as stale.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.engine import Event, Restart, Start, Turn, advance
from bot.engine.privacy import stored_data
from bot.engine.replies import Effect, Reply, Section, notice
from bot.engine.session import Session
from bot.store.base import SessionStore
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

EffectHandler = Callable[[UserRef, Sequence[Effect]], Awaitable[Sequence[Reply] | None]]
"""Acts on a saved turn's effects; what it returns is shown after the turn's own replies
(urgent advice, then "I have paused your stretch and water reminders")."""
FactSource = Callable[[UserRef], Awaitable[Mapping[str, str]]]
"""What the service knows about a user when a conversation (re)starts: the flows' facts."""
UserHook = Callable[[UserRef], Awaitable[None]]
MoreData = Callable[[UserRef, Content], Awaitable[tuple[Section, ...]]]
"""More of what is stored about a user (reminders, diary), for /mydata."""
TurnObserver = Callable[[str, Event, Turn, float], None]
"""Told of every handled turn (channel, event, turn, seconds): metrics, never user data."""


class UserTurns:
    """One turn at a time per user in this process: twenty taps at once are applied one after
    another, each to the state the one before left (or answered as stale), instead of racing
    to the same compare-and-set. Other processes are kept consistent by that compare-and-set.
    A lock exists only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[UserRef, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, user: UserRef) -> AsyncIterator[None]:
        lock, waiting = self._locks.get(user, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[user] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            _, waiting = self._locks[user]
            if waiting <= 1:
                del self._locks[user]
            else:
                self._locks[user] = (lock, waiting - 1)


async def _no_effects(user: UserRef, effects: Sequence[Effect]) -> Sequence[Reply] | None:
    return None


class Conversations:
    def __init__(
        self,
        catalog: Catalog,
        store: SessionStore,
        *,
        salt: bytes,
        flow_id: str = "kneecheck",
        clock: Callable[[], float] = time.time,
        on_effects: EffectHandler = _no_effects,
        observer: TurnObserver | None = None,
        max_attempts: int = 8,
        facts: FactSource | None = None,
        before_forget: UserHook | None = None,
        more_data: MoreData | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.flow_id = flow_id
        self.clock = clock
        self.on_effects = on_effects
        self.max_attempts = max_attempts
        self.observer = observer
        self.facts = facts
        self.before_forget = before_forget
        self.more_data = more_data
        self._salt = salt
        self._turns = UserTurns()

    async def handle(self, user: UserRef, event: Event) -> Turn:
        """Apply one user event; raises StoreUnavailable when Redis cannot be reached."""
        async with self._turns.hold(user):
            turn = await self._run(user, event, None)
        assert turn is not None  # only a once-only event can be a duplicate
        return turn

    async def handle_once(
        self, user: UserRef, event: Event, *, scope: str, event_id: str, ttl_seconds: int
    ) -> Turn | None:
        """Like :meth:`handle`, for an event a platform may deliver twice: None the second time.

        The once-only marker and the session read go out together (one round trip), so
        de-duplicating a delivery costs no extra wait.
        """
        async with self._turns.hold(user):
            return await self._run(user, event, (scope, event_id, ttl_seconds))

    async def _run(
        self, user: UserRef, event: Event, once: tuple[str, str, int] | None
    ) -> Turn | None:
        started = time.perf_counter()
        for attempt in range(self.max_attempts):
            if once is not None and attempt == 0:
                scope, event_id, ttl = once
                first, session = await self.store.load_once(
                    user, self.flow_id, scope=scope, event_id=event_id, ttl_seconds=ttl
                )
                if not first:
                    log.info("duplicate delivery ignored", extra={"scope": scope})
                    return None
            else:
                session = await self.store.load(user, self.flow_id)
            facts = None
            if self.facts is not None and isinstance(event, (Start, Restart)):
                facts = await self.facts(user)  # only when a flow (re)starts: off the hot path
            turn = advance(
                self.catalog,
                session,
                event,
                now=int(self.clock()),
                flow_id=self.flow_id,
                facts=facts,
            )
            if not turn.changed or turn.session is None:
                break
            expected = session.version if session else 0
            if await self.store.save(user, turn.session, expected=expected, slot=self.flow_id):
                if turn.effects:
                    said = await self.on_effects(user, turn.effects)
                    if said:
                        turn = replace(turn, replies=(*turn.replies, *said))
                break
            # Another process saved this user's session first: let it finish, then re-read.
            await asyncio.sleep(random.uniform(0.0, 0.005 * (attempt + 1)))
        else:
            # Still losing after every attempt: nothing was changed, and the user is told so
            # (never a 500 that a platform would retry, never silence).
            log.warning(
                "turn given up after conflicting writes", extra={"user": user.hashed(self._salt)}
            )
            locale = getattr(event, "locale", None) or (session.locale if session else None)
            content = self.catalog.content(locale)
            return Turn(session, (notice(content.ui["busy"]),))
        seconds = time.perf_counter() - started
        if self.observer is not None:
            self.observer(user.channel, event, turn, seconds)
        self._log(user, event, turn, seconds)
        return turn

    async def preview(self, user: UserRef, event: Event) -> Turn:
        """What ``event`` would do now, without saving anything (Slack checks a tick with it)."""
        session = await self.store.load(user, self.flow_id)
        return advance(self.catalog, session, event, now=int(self.clock()), flow_id=self.flow_id)

    async def current(self, user: UserRef) -> Session | None:
        return await self.store.load(user, self.flow_id)

    async def stored_data(self, user: UserRef, locale: str | None = None) -> Reply:
        """/mydata: what is stored about ``user``, in plain words."""
        session = await self.current(user)
        days = self.store.ttl_seconds // 86_400
        reply = stored_data(self.catalog, session, ttl_days=days, locale=locale)
        if self.more_data is None:
            return reply
        content = self.catalog.content(session.locale if session else locale)
        more = await self.more_data(user, content)
        if not more:
            return reply
        ui = content.ui
        if session is None or not (session.answers or session.step):
            head = Section(title=ui["mydata_title"])
        else:
            head, *_ = reply.sections
        retention = Section(paragraphs=(ui["mydata_retention"].format(days=str(days)),))
        return replace(reply, sections=(head, *more, retention))

    async def forget(self, user: UserRef) -> int:
        """Erase everything stored about ``user``: session, answers, diary, reminders, jobs."""
        if self.before_forget is not None:
            await self.before_forget(user)
        deleted = await self.store.erase(user)
        log.info("user erased", extra={"user": user.hashed(self._salt), "keys": deleted})
        return deleted

    def _log(self, user: UserRef, event: Event, turn: Turn, seconds: float) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        # Never the text or the answers: only what kind of event, where, and how long.
        step = turn.session.step if turn.session else None
        log.debug(
            "turn",
            extra={
                "user": user.hashed(self._salt),
                "channel": user.channel,
                "event": type(event).__name__,
                "step": step,
                "changed": turn.changed,
                "ms": round(seconds * 1000, 2),
            },
        )
