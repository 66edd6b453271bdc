"""The imperative shell: load, advance, compare-and-set save, hand effects on.

Every channel calls :meth:`Conversations.take` (the terminal :meth:`~Conversations.handle`);
no channel repeats this loop. When two events for one user race (two taps, two processes),
exactly one save wins the compare-and-set; the loser re-reads and runs the engine again on the
new state, where a stale button is then answered as stale.

A saved turn owes the user its replies (issue 13, "lost turns"). Platforms re-deliver an event
whose handling failed (Telegram on a non-2xx answer to its webhook, Slack when the ack did not
come in 3 s), and every event is marked as seen when its turn starts, so that a double tap is
applied once. Then a turn whose session was saved but whose replies were never sent (the Bot
API timed out, the process was stopped mid-send) would leave the user without their next
question, the re-delivery dropped as a duplicate. So :meth:`~Conversations.take` writes the
turn's replies to the user's outbox with the save (one script), the channel sends them and
then :meth:`~Conversations.settle` deletes them. Until then they are owed: a re-delivery of the
event sends them instead of running the turn again, and so does the user's next action, before
its own replies (polling, and Slack, which is acknowledged before the work and so never
re-delivers a failed send). A claim in the outbox (see :mod:`bot.store.redis`) makes sure only
one handler, in any process, sends an entry at a time. So replies reach the user at least once:
a send that succeeded just before the process died is sent again, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any, Protocol

import orjson
from pydantic import TypeAdapter

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.engine import Event, Restart, Start, Turn, advance
from bot.engine.privacy import retention_section, stored_data
from bot.engine.replies import Choice, Effect, Reply, Section, notice
from bot.engine.session import Session
from bot.frozen import frozen
from bot.store.base import Claimed, Entry, Once, SessionStore, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

EffectHandler = Callable[[UserRef, Sequence[Effect]], Awaitable[Sequence[Reply] | None]]
"""Acts on a saved turn's effects; what it returns is shown after the turn's own replies
(urgent advice, then "I have paused your stretch and water reminders")."""
FactSource = Callable[[UserRef], Awaitable[Mapping[str, str]]]
"""What the service knows about a user when a conversation (re)starts: the flows' facts."""
MoreData = Callable[[UserRef, Content], Awaitable[tuple[Section, ...]]]
"""More of what is stored about a user (reminders, diary), for /mydata."""
TurnObserver = Callable[[str, Event, Turn, float], None]
"""Told of every handled turn (channel, event, turn, seconds): metrics, never user data."""

OUTBOX_TTL_SECONDS = 24 * 3600
"""How long replies are owed when the event has no once-only marker to match (Slack commands
and buttons): a day, like the markers."""
OUTBOX_LEASE_SECONDS = 30
"""How long a handler has to send a turn's replies before another may send them instead:
longer than sending takes with the platforms' timeouts and a 429 waited out, short enough that
a process killed mid-send delays its user's replies (and a /forget) by half a minute at most."""
FORGET_WAIT_SECONDS = 40
"""How long /forget waits for work in flight: longer than a claim and than a reminder job's
timeout (after which the queue has cancelled it), so it only erases regardless when a claim
keeps being renewed, and then says so in the log."""


class Erasure(Protocol):
    """A feature's part in /forget (the reminders: their delivery lease and queued jobs)."""

    held: tuple[str, ...]
    """Per-user values whose presence means the feature's work is in flight: /forget waits."""
    returned: tuple[str, ...]
    """Values handed to :meth:`forgotten` as they were when erased."""

    async def forgotten(self, user: UserRef, values: Mapping[str, str | None]) -> None:
        """After the erase: remove what lives outside the user's keys (queued jobs)."""


@frozen
class Owed:
    """Replies a saved turn owes the user, until a channel has sent them."""

    key: str
    replies: tuple[Reply, ...]
    at: float = 0.0
    """When the turn was saved (orders several owed turns)."""


@frozen
class Taken:
    """What a channel shows for one event, and what it confirms with :meth:`settle` after."""

    turn: Turn | None
    """None: the event was handled before (a re-delivery), or there was no event."""
    key: str
    """The event's name in the outbox."""
    saved: bool = False
    """The turn's replies are owed under ``key`` until settled."""
    owed: tuple[Owed, ...] = ()
    """Replies earlier turns still owe, oldest first (a re-delivered event's own among them):
    shown before the turn's."""
    in_flight: bool = False
    """A re-delivered event whose replies another handler is sending right now."""


class UserTurns:
    """One event at a time per user in this process: twenty taps at once are applied one after
    another, each to the state the one before left (or answered as stale), instead of racing
    to the same compare-and-set, and each is shown before the next (a keyboard edited by two
    taps at once could otherwise end showing the older one). Other processes are kept
    consistent by that compare-and-set. A lock exists only while someone holds or waits for
    it; the task holding it may enter again (a channel holds it around ``take`` and sending).
    """

    def __init__(self) -> None:
        self._locks: dict[UserRef, tuple[asyncio.Lock, int]] = {}
        self._holders: dict[UserRef, asyncio.Task[Any]] = {}

    @asynccontextmanager
    async def hold(self, user: UserRef) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._holders.get(user) is task:
            yield
            return
        lock, waiting = self._locks.get(user, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[user] = (lock, waiting + 1)
        try:
            async with lock:
                if task is not None:
                    self._holders[user] = task
                try:
                    yield
                finally:
                    self._holders.pop(user, None)
        finally:
            _, waiting = self._locks[user]
            if waiting <= 1:
                del self._locks[user]
            else:
                self._locks[user] = (lock, waiting - 1)


async def _no_effects(user: UserRef, effects: Sequence[Effect]) -> Sequence[Reply] | None:
    return None


def _section(section: Section) -> dict[str, Any]:
    return {
        "title": section.title,
        "paragraphs": section.paragraphs,
        "bullets": section.bullets,
        "steps": section.steps,
    }


def _choice(choice: Choice) -> dict[str, Any]:
    return {
        "value": choice.value,
        "label": choice.label,
        "action": choice.action,
        "selected": choice.selected,
        "target": choice.target,
    }


def _reply(reply: Reply) -> dict[str, Any]:
    return {
        "kind": reply.kind,
        "sections": [_section(s) for s in reply.sections],
        "choices": [_choice(c) for c in reply.choices],
        "step": reply.step,
        "version": reply.version,
        "multi": reply.multi,
        "progress": reply.progress,
        "tier": reply.tier,
        "asked": _section(reply.asked) if reply.asked is not None else None,
    }


PACKED_FIELDS = {
    Reply: frozenset(_reply(notice("")).keys()),
    Section: frozenset(_section(Section()).keys()),
    Choice: frozenset(_choice(Choice("", "", "choose")).keys()),
}
"""What :func:`pack` writes of each type: a test holds it equal to the types' fields."""


_UNPACK = TypeAdapter(tuple[float, tuple[Reply, ...]])


def pack(replies: Sequence[Reply], at: float | None = None) -> bytes:
    """A turn's replies for the outbox, as JSON.

    Written field by field: orjson serialises slotted dataclasses through ``getattr`` on each
    field, 12 µs for a question and a notice against 3.4 µs this way, on every saved turn.
    Read back (rarely) by pydantic, which checks every field.
    """
    when = time.time() if at is None else at
    return orjson.dumps([when, [_reply(r) for r in replies]])


def unpack(raw: bytes) -> tuple[float, tuple[Reply, ...]]:
    """Raises ``ValueError`` on what :func:`pack` did not write."""
    return _UNPACK.validate_json(raw)


def _asks(session: Session | None, question: Reply) -> bool:
    """``question`` is the one the conversation waits on now (a tick redraws it at the same
    version; an answer, back or restart asks the next at a new one)."""
    return session is not None and session.step is not None and question.version == session.shown


@frozen
class _Ran:
    turn: Turn | None
    """None: a re-delivered event."""
    saved: bool
    """Its replies were saved to the outbox with the session."""
    pending: bool
    """The outbox held something before: earlier replies may be owed."""
    session: Session | None
    """The session as the turn left it."""


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
        erasure: Erasure | None = None,
        more_data: MoreData | None = None,
        outbox_lease_seconds: int = OUTBOX_LEASE_SECONDS,
        forget_wait_seconds: float = FORGET_WAIT_SECONDS,
        in_memory: bool = False,
    ) -> None:
        self.catalog = catalog
        self.in_memory = in_memory
        """The store lives in this process (the embedded Redis): /mydata must not promise days
        of keeping what is gone when the program ends."""
        self.store = store
        self.flow_id = flow_id
        self.clock = clock
        self.on_effects = on_effects
        self.max_attempts = max_attempts
        self.observer = observer
        self.facts = facts
        self.erasure = erasure
        self.more_data = more_data
        self.outbox_lease_seconds = outbox_lease_seconds
        self.forget_wait_seconds = forget_wait_seconds
        self._salt = salt
        self._turns = UserTurns()

    async def handle(self, user: UserRef, event: Event) -> Turn:
        """Apply one user event whose replies need no outbox (the terminal prints them at
        once, in the same process); raises StoreUnavailable when Redis cannot be reached."""
        async with self._turns.hold(user):
            ran = await self._run(user, event, None, None)
        assert ran.turn is not None  # only a once-only event can be a duplicate
        return ran.turn

    def one_at_a_time(self, user: UserRef) -> AbstractAsyncContextManager[None]:
        """Held by a channel from taking an event to its last reply sent, so one user's events
        are shown in the order they were applied (in this process)."""
        return self._turns.hold(user)

    async def take(self, user: UserRef, event: Event, *, once: Once | None = None) -> Taken:
        """Apply one event from a platform: the turn, its replies owed until :meth:`settle`,
        and what earlier turns still owe (claimed for this caller to send first).

        ``once``: an event the platform may deliver twice (its marker is set in the same round
        trip as the session read). The second time the turn is not run again: its replies are
        in ``owed`` if they were never sent, or ``in_flight`` if another handler is sending
        them now. Raises StoreUnavailable when Redis cannot be reached.
        """
        key = once.key if once is not None else f"t:{secrets.token_hex(8)}"
        ttl = once.ttl_seconds if once is not None else OUTBOX_TTL_SECONDS
        async with self._turns.hold(user):
            ran = await self._run(user, event, once, Entry(key, b"", ttl, 0))
        turn = ran.turn
        if turn is not None and not ran.pending:
            return Taken(turn, key, ran.saved)
        claimed = await self.store.claim(
            user, lease_seconds=self.outbox_lease_seconds, own=key if turn is None else None
        )
        owed = self._owed(user, claimed, ran.session)
        return Taken(turn, key, ran.saved, owed, claimed.own_in_flight)

    async def owed(self, user: UserRef) -> Taken:
        """For an action that is not a turn (a command, a reminder's button): what earlier
        turns still owe, claimed, to show before answering it."""
        session, claimed = await asyncio.gather(  # one pipeline: one round trip
            self.store.load(user, self.flow_id),
            self.store.claim(user, lease_seconds=self.outbox_lease_seconds),
        )
        return Taken(None, "", owed=self._owed(user, claimed, session))

    def _owed(self, user: UserRef, claimed: Claimed, session: Session | None) -> tuple[Owed, ...]:
        """The claimed entries, oldest first. A question the conversation has since moved
        past (the user restarted, or went on while a dead process held the claim) is left
        out: shown late, its buttons could only be answered "already moved on"."""
        owed: list[Owed] = []
        for key, raw in claimed.entries:
            try:
                at, replies = unpack(raw)
            except ValueError:
                # Written by an incompatible release: nothing to show, nothing to keep.
                log.warning("unreadable outbox entry dropped", extra=self._who(user))
                owed.append(Owed(key, ()))
                continue
            current = tuple(r for r in replies if r.kind != "question" or _asks(session, r))
            owed.append(Owed(key, current, at))
        return tuple(sorted(owed, key=lambda o: o.at))

    async def settle(
        self,
        user: UserRef,
        *,
        sent: Sequence[str] = (),
        left: Mapping[str, Sequence[Reply] | None] | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        """After showing: forget the ``sent`` replies, and put back those ``left`` (what is
        still owed, or None for all of it) for the next attempt, claim released. ``values``
        are the channel's per-user values that depend on what was shown (where the last
        question is), written in the same script and never once the session is gone."""
        packed = {key: pack(r) if r is not None else None for key, r in (left or {}).items()}
        await self.store.settle(user, sent=sent, left=packed, values=values, anchor=self.flow_id)

    @asynccontextmanager
    async def working(self, user: UserRef) -> AsyncIterator[None]:
        """Work for ``user`` outside a turn that writes to their data (a reminder's button):
        /forget waits until it is done, so it cannot write after the erase."""
        token = secrets.token_hex(8)
        await self.store.hold_work(user, token, lease_seconds=self.outbox_lease_seconds)
        try:
            yield
        finally:
            with contextlib.suppress(StoreUnavailable):
                await self.store.drop_work(user, token)

    async def _run(
        self, user: UserRef, event: Event, once: Once | None, outbox: Entry | None
    ) -> _Ran:
        started = time.perf_counter()
        pending = saved = False
        for attempt in range(self.max_attempts):
            if outbox is not None and attempt == 0:
                loaded = await self.store.load_turn(user, self.flow_id, once=once)
                session, pending = loaded.session, loaded.pending
                if not loaded.first:
                    log.info("duplicate delivery", extra={"scope": once.scope if once else ""})
                    return _Ran(None, False, pending, session)
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
            entry = None
            if outbox is not None:
                entry = replace(
                    outbox, packed=pack(turn.replies), lease_seconds=self.outbox_lease_seconds
                )
            if await self.store.save(
                user, turn.session, expected=expected, slot=self.flow_id, entry=entry
            ):
                saved = entry is not None
                if turn.effects:
                    turn = await self._effects(user, turn, entry)
                break
            # Another process saved this user's session first: let it finish, then re-read.
            await asyncio.sleep(random.uniform(0.0, 0.005 * (attempt + 1)))
        else:
            # Still losing after every attempt: nothing was changed, and the user is told so
            # (never a 500 that a platform would retry, never silence).
            log.warning("turn given up after conflicting writes", extra=self._who(user))
            locale = getattr(event, "locale", None) or (session.locale if session else None)
            content = self.catalog.content(locale)
            return _Ran(Turn(session, (notice(content.ui["busy"]),)), False, pending, session)
        seconds = time.perf_counter() - started
        if self.observer is not None:
            self.observer(user.channel, event, turn, seconds)
        self._log(user, event, turn, seconds)
        return _Ran(turn, saved, pending, turn.session if turn.changed else session)

    async def _effects(self, user: UserRef, turn: Turn, entry: Entry | None) -> Turn:
        """Hand a saved turn's effects on; what they say joins the replies it owes."""
        try:
            said = await self.on_effects(user, turn.effects)
            if not said:
                return turn
            turn = replace(turn, replies=(*turn.replies, *said))
            if entry is not None:
                await self.store.repack(user, entry.key, pack(turn.replies))
        except BaseException:
            if entry is not None:  # no claim left behind: the next action sends what is owed
                with contextlib.suppress(StoreUnavailable):
                    await self.store.settle(user, left={entry.key: None}, anchor=self.flow_id)
            raise
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
        days = None if self.in_memory else self.store.ttl_seconds // 86_400
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
        return replace(reply, sections=(head, *more, retention_section(content, days)))

    async def forget(self, user: UserRef) -> int:
        """Erase everything stored about ``user``: session, answers, diary, reminders, jobs.

        Forget wins over work in flight (issue 13). A turn whose replies are being sent, a
        reminder's button being handled or a reminder being delivered can each still write
        (the question pointer, reminders and their queued jobs, the delivered reminder's next
        time), in this process or another. So the erase waits until none is in flight for the
        user, checked by the same script that erases, in Redis, where every process's work
        shows: an outbox entry being sent, work noted by :meth:`working`, a delivery lease.
        Work that starts after the erase finds nothing: a turn's save fails its compare-and-set
        (the session is gone) and runs again on nothing, a delivery finds no reminder, and the
        question pointer is only written while a session exists. Jobs queued for the erased
        reminders (and for the occurrence after each, which a delivery queues before it sends)
        are cancelled after the erase, from the erased value. In this process, turns of the
        user wait meanwhile. If work is still in flight after ``forget_wait_seconds`` (a claim
        renewed again and again), everything is erased regardless and the log says so.
        """
        held = self.erasure.held if self.erasure else ()
        returned = self.erasure.returned if self.erasure else ()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.forget_wait_seconds
        async with self._turns.hold(user):
            pause = 0.005
            while True:
                force = loop.time() >= deadline
                erased = await self.store.forget(user, held=held, returned=returned, force=force)
                if erased is not None:
                    break
                await asyncio.sleep(random.uniform(pause / 2, pause))
                pause = min(pause * 2, 0.25)
            if force:
                log.warning("user erased while work was still in flight", extra=self._who(user))
            if self.erasure is not None:
                await self.erasure.forgotten(user, erased.values)
        log.info("user erased", extra={**self._who(user), "keys": erased.deleted})
        return erased.deleted

    def _who(self, user: UserRef) -> dict[str, str]:
        return {"user": user.hashed(self._salt)}

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
