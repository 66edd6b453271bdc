"""Follow-ups: what users asked to be reminded of, kept in Redis, delivered by the queue.

Three things meet here, and nowhere else:

- the conversation's effects (a finished follow-up offer sets reminders up, a finished
  check-in writes the diary, /stop cancels everything) and the facts a conversation
  starts with (is the user's time zone known, how did the last check-in go);
- the buttons on reminder messages and on /reminders (done, snooze, pause, move, stop);
- delivery, run by ``kneecheck worker`` for each queued occurrence.

The stored :class:`~bot.reminders.model.Reminders` value is the truth; queued jobs only
point at an occurrence. Every change is a compare-and-set of that value, then the jobs
for the new due times are queued and those for the old ones deleted, so the queue never
holds anything the stored value does not expect.

Delivery is exactly-once in the cases a deployment meets: two workers racing for one
job (a per-user lease decides), a job retried after it was delivered (the stored due
time has moved on, so it is dropped), and a worker killed before its send completed
(the job is swept and retried, and the occurrence is still due). The one window left
is a worker killed after the platform accepted a message and before the due time moved
on, a few milliseconds wide; that occurrence would be sent again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

from bot import metrics
from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import FollowUp
from bot.diary.model import Diary, Entry, Trend
from bot.engine.machine import DEFAULT_FLOW
from bot.engine.replies import Choice, Effect, Finished, Reply, Section, Stopped, notice
from bot.frozen import frozen
from bot.reminders import model
from bot.reminders.buttons import TIME_OPTION, ReminderPress
from bot.reminders.model import Reminder, Reminders
from bot.reminders.queue import ReminderQueue
from bot.store.base import SessionStore
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

FOLLOW_UP_FLOW = "followup"
REMINDERS, TIME_ZONE, PROFILE, DIARY, DELIVERING = (
    "reminders",
    "tz",
    "profile",
    "diary",
    "delivering",
)
DEFAULT_ZONE = "UTC"
URGENT_TIERS = frozenset({"urgent", "emergency"})
SELF_CARE = frozenset({"stretch", "hydration"})
"""The reminders that are self-care advice, paused by any urgent outcome."""
Outcome = Literal["sent", "blocked"]


LISTING = "reminders"
"""The ``step`` of the /reminders list: a press on the list brings it back changed, and the
channel shows it in place of the one pressed."""


class Courier(Protocol):
    """Sends one reminder message to one user on their platform."""

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        """ "sent", or "blocked" when the user can no longer be reached (blocked the bot,
        left the workspace). Raises on a failure worth retrying."""


class Busy(Exception):
    """Another worker holds this user's delivery lease; the queue retries the job later."""


@frozen
class Delivered:
    outcome: Literal["sent", "blocked", "late", "stale"]


class ReminderService:
    def __init__(
        self,
        catalog: Catalog,
        store: SessionStore,
        queue: ReminderQueue,
        *,
        salt: bytes,
        clock: Callable[[], float] = time.time,
        couriers: Mapping[str, Courier] | None = None,
        lease_seconds: int = 60,
        spread_minutes: int = 0,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.queue = queue
        self.salt = salt
        self.clock = clock
        self.couriers = dict(couriers or {})
        self.lease_seconds = lease_seconds
        self.spread_minutes = spread_minutes
        flow = catalog.flow(FOLLOW_UP_FLOW)
        assert flow.follow_up is not None, "flows/followup.yaml needs its follow_up: rules"
        self.flow = flow
        self.rules: FollowUp = flow.follow_up

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    # -- what a conversation starts with ---------------------------------------------------

    async def facts(self, user: UserRef) -> dict[str, str]:
        values = await self.store.get_values(user, TIME_ZONE, DIARY)
        facts: dict[str, str] = {}
        if values[TIME_ZONE]:
            facts["zone_known"] = "yes"
            region = self.catalog.region(zone=values[TIME_ZONE])
            if region is not None:
                facts["region"] = region  # whose emergency numbers the advice names
        trend = _diary(values[DIARY]).last_trend()
        if trend is not None:
            facts["last_trend"] = trend
        return facts

    # -- effects of finished conversations ---------------------------------------------------

    async def on_effects(self, user: UserRef, effects: Sequence[Effect]) -> Sequence[Reply]:
        """Act on what a saved turn did; return what the user must be told about it."""
        said: list[Reply] = []
        if effects:
            # A finished or stopped conversation is activity: what we keep about the user
            # (diary, reminders, the finished check) lasts RETENTION_DAYS from now.
            await self.store.touch(user)
        for effect in effects:
            if isinstance(effect, Stopped):
                await self.stop_all(user)
            elif effect.kind == "assessment" and effect.tier in URGENT_TIERS:
                said += await self._pause_self_care(user)
            elif effect.kind == "assessment" and effect.flow == DEFAULT_FLOW:
                await self._keep_profile(user, effect)
            elif effect.kind == "follow_up":
                await self._set_up(user, effect)
            elif effect.kind == "checkin":
                await self._checked_in(user, effect)
        return said

    async def _pause_self_care(self, user: UserRef) -> list[Reply]:
        """After urgent advice (a check or a check-in) no stretch or water reminder comes; the
        check-in stays, since it screens for warning signs first. The user is told, so a
        silent stretch reminder is not taken for "it is fine to carry on"."""

        def pause(current: Reminders) -> Reminders:
            items = {
                kind: item.model_copy(update={"paused": True}) if kind in SELF_CARE else item
                for kind, item in current.items.items()
            }
            return current.model_copy(update={"items": items})

        before, after = await self._change(user, pause)
        if before == after:
            return []
        log.info("self-care reminders paused", extra={"user": user.hashed(self.salt)})
        text = self.catalog.content(after.locale).ui["reminders_paused_urgent"]
        return [notice(text)]

    async def _keep_profile(self, user: UserRef, effect: Finished) -> None:
        """The finished check's answers: the stretch to remind of, and the summary."""
        if effect.tier not in ("self_care", "soon"):
            return
        answers = {k: list(v) if isinstance(v, tuple) else v for k, v in effect.answers}
        await self.store.put_value(user, PROFILE, _json(answers))
        diary = _diary(await self.store.get_value(user, DIARY))
        if diary.started is None:
            started = diary.model_copy(update={"started": int(self.clock())})
            await self.store.put_value(user, DIARY, started.model_dump_json())

    async def _set_up(self, user: UserRef, effect: Finished) -> None:
        chosen = effect.answer("fu_offer") or ()
        at = self._option_time(effect.answer("fu_time")) or dt.time(8)
        zone = await self._zone(user, effect)
        kinds = tuple(k for k in model.ORDER if k in chosen)
        await self.set_up(user, kinds, at=at, zone=zone, locale=effect.locale)

    async def set_up(
        self,
        user: UserRef,
        kinds: Sequence[str],
        *,
        at: dt.time,
        zone: str,
        locale: str | None = None,
    ) -> Reminders:
        """Replace the user's reminders with ``kinds`` (what the follow-up offer does)."""
        now = self.now()
        fresh: dict[str, Reminder] = {}
        if "stretch" in kinds:
            stretch = await self._stretch(user)
            fresh["stretch"] = model.daily("stretch", (at,), zone, self.rules, now, stretch=stretch)
        if "hydration" in kinds:
            times = model.shifted(self.rules.hydration_times, self.spread_of(user))
            fresh["hydration"] = model.daily("hydration", times, zone, self.rules, now)
        if "checkin" in kinds:
            fresh["checkin"] = model.checkin(zone, self.rules, now)
        wanted = Reminders(items=fresh, locale=self.catalog.locale_for(locale))
        _, after = await self._change(user, lambda _: wanted)
        for kind in fresh:
            metrics.REMINDERS_SCHEDULED.labels(kind).inc()
        return after

    def spread_of(self, user: UserRef) -> int:
        """Minutes this user's water nudges come after the flow's times: the same every day,
        different between users, so a busy hour's nudges spread over ``spread_minutes``."""
        if not self.spread_minutes:
            return 0
        digest = hashlib.blake2b(user.tag.encode(), digest_size=4).digest()
        return int.from_bytes(digest, "big") % (self.spread_minutes + 1)

    async def _zone(self, user: UserRef, effect: Finished) -> str:
        step = self.flow.step("fu_zone")
        picked = effect.answer("fu_zone")
        option = step.option(picked) if step is not None and isinstance(picked, str) else None
        if option is not None and option.zone is not None:
            await self.store.put_value(user, TIME_ZONE, option.zone)
            return option.zone
        return await self.store.get_value(user, TIME_ZONE) or DEFAULT_ZONE

    def _option_time(self, option_id: object) -> dt.time | None:
        step = self.flow.step("fu_time")
        option = step.option(option_id) if step is not None and isinstance(option_id, str) else None
        return option.at if option is not None else None

    async def _stretch(self, user: UserRef) -> str | None:
        """The first stretch the assessment picked for this user's answers."""
        raw = await self.store.get_value(user, PROFILE)
        answers = model.profile_answers(raw)
        rules = self.catalog.flow(DEFAULT_FLOW).assessment
        if rules is None:
            return None
        for pick in rules.stretches:
            if pick.when is None or pick.when.holds(answers):
                return pick.id
        return None

    async def _checked_in(self, user: UserRef, effect: Finished) -> None:
        trend = effect.answer("ck_trend")
        spasms = effect.answer("ck_spasms")
        severity = effect.answer("ck_severity")
        if trend not in ("better", "same", "worse") or not isinstance(spasms, str):
            return
        entry = Entry(
            at=int(self.clock()),
            trend=_trend(trend),
            spasms=spasms,
            severity=int(str(severity)[1:]) if isinstance(severity, str) else 0,
        )
        for _ in range(8):
            raw = await self.store.get_value(user, DIARY)
            diary = _diary(raw).added(entry)
            if await self.store.replace_value(user, DIARY, diary.model_dump_json(), expected=raw):
                break
        now = self.now()

        def rearm(current: Reminders) -> Reminders:
            item = current.items.get("checkin")
            if item is None or item.paused:
                return current
            again = model.checkin(item.zone, self.rules, now)
            return current.with_item(again)

        await self._change(user, rearm)

    # -- changing the stored reminders --------------------------------------------------------

    async def load(self, user: UserRef) -> Reminders:
        return model.parse(await self.store.get_value(user, REMINDERS))

    async def _change(
        self,
        user: UserRef,
        change: Callable[[Reminders], Reminders],
        *,
        in_hand: tuple[str, int] | None = None,
        keep_ttl: bool = False,
        queued: tuple[str, int] | None = None,
    ) -> tuple[Reminders, Reminders]:
        """Compare-and-set the user's reminders, then make the queue match the change.

        ``in_hand`` is the occurrence a worker is delivering right now: its job is left for
        saq to finish (deleting a running job would break saq's own bookkeeping)."""
        for _ in range(16):
            raw = await self.store.get_value(user, REMINDERS)
            before = model.parse(raw)
            after = change(before)
            if after == before:
                return before, after
            value = (
                after.model_dump_json(exclude_defaults=True) if after.items else ""
            )  # empty: deleted
            if await self.store.replace_value(
                user, REMINDERS, value, expected=raw, keep_ttl=keep_ttl
            ):
                await self._sync_queue(user, before, after, in_hand, queued)
                return before, after
        raise RuntimeError("the reminders kept changing under us")

    async def _sync_queue(
        self,
        user: UserRef,
        before: Reminders,
        after: Reminders,
        in_hand: tuple[str, int] | None,
        queued: tuple[str, int] | None = None,
    ) -> None:
        new = model.occurrences(after)
        old = model.occurrences(before)
        for rid, due in new - old - {queued}:
            await self.queue.schedule(user, rid, due)
        await self.queue.cancel(user, old - new - {in_hand})

    async def stop_all(self, user: UserRef, *, in_hand: tuple[str, int] | None = None) -> int:
        """/stop, "stop all" and a blocked user: nothing scheduled is left."""
        before, _ = await self._change(user, lambda _: Reminders(), in_hand=in_hand)
        if before.items:
            log.info("reminders stopped", extra={"user": user.hashed(self.salt)})
        return len(before.items)

    async def replace(self, user: UserRef, reminders: Reminders) -> Reminders:
        """Store exactly ``reminders`` for the user and queue them (tools, benchmark, tests)."""
        _, after = await self._change(user, lambda _: reminders)
        return after

    async def requeue(self, user: UserRef) -> int:
        """Queue the user's occurrences afresh (after the queue lost jobs, or the clock jumped)."""
        occurrences = model.occurrences(await self.load(user))
        await self.queue.cancel(user, occurrences)
        for rid, due in occurrences:
            await self.queue.schedule(user, rid, due)
        return len(occurrences)

    # -- /forget (see Conversations.forget) ---------------------------------------------------

    held: tuple[str, ...] = (DELIVERING,)
    """A delivery holds its lease from before it queues the next occurrence until after the
    send: /forget waits for it, so a reminder is never sent after the erase."""
    returned: tuple[str, ...] = (REMINDERS,)

    async def forgotten(self, user: UserRef, values: Mapping[str, str | None]) -> None:
        """After /forget erased the keys: delete the queued jobs, which name the user.

        Read from the reminders as they were erased, atomically, so a job queued by work
        that finished just before the erase is not missed; the occurrence after each is
        cancelled too, since a delivery that failed after queueing it never stored it."""
        erased = model.parse(values.get(REMINDERS))
        jobs = model.occurrences(erased)
        for item in erased.items.values():
            following = model.after_delivery(item, self.rules).due
            if item.due is not None and following is not None:
                jobs.add((item.id, following))
        await self.queue.cancel(user, jobs)

    # -- buttons ----------------------------------------------------------------------------

    async def press(self, user: UserRef, pressed: ReminderPress) -> tuple[Reply, ...]:
        """A reminder or /reminders button: a short notice, and the new list when it changed,
        in the language the reminders were set up in."""
        current = await self.load(user)
        content = self.catalog.content(current.locale)
        ui = content.ui
        now = self.now()
        rid, action = pressed.reminder, pressed.action
        await self.store.touch(user)  # pressing a reminder's button is activity too
        if rid == "all":
            if action == "stop":
                await self.stop_all(user)
                return (notice(ui["reminders_all_stopped"]),)
            return (notice(ui["reminders_kept"]),)
        item = current.items.get(rid)
        if item is None:
            return (notice(ui["reminder_gone"]),)
        if action == "done":
            return (notice(ui["reminder_marked_done"]),)
        if action == "time":
            return (self.time_picker(content, item),)
        at = self._option_time(action) if TIME_OPTION.match(action) else None
        if action not in ("snooze", "pause", "resume", "stop") and (
            at is None or item.kind != "stretch"
        ):
            return (notice(ui["unknown_option"]),)

        def changed(reminder: Reminder) -> Reminder | None:
            """The reminder after the press; None: stopped."""
            match action:
                case "snooze":
                    return model.snoozed(reminder, self.rules, now)
                case "pause":
                    return reminder.model_copy(update={"paused": True})
                case "resume":
                    return model.resumed(reminder, self.rules, now)
                case "stop":
                    return None
            assert at is not None
            return model.moved(reminder, at, self.rules, now)

        def apply(reminders: Reminders) -> Reminders:
            present = reminders.items.get(rid)
            if present is None:
                return reminders
            updated = changed(present)
            return reminders.without(rid) if updated is None else reminders.with_item(updated)

        _, after = await self._change(user, apply)
        result = after.items.get(rid)
        if result is None:
            text = ui["reminder_stopped"]
        elif action == "snooze":
            text = ui["reminder_snoozed"].format(when=self.when(content, result))
        elif action == "pause":
            text = ui["reminders_paused"]
        elif action == "resume":
            text = ui["reminders_resumed"].format(when=self.when(content, result))
        else:
            text = ui["reminders_moved"].format(when=self.when(content, result))
        if action in ("snooze", "stop") and pressed.due:
            return (notice(text),)  # from the reminder message itself: a notice is enough
        return (notice(text), self.listing(content, after))

    # -- what users read --------------------------------------------------------------------

    def when(self, content: Content, reminder: Reminder) -> str:
        if reminder.due is None:
            return "-"
        local = model.local(reminder.due, reminder.zone)
        return local.strftime(content.ui["when_format"])

    def listing(self, content: Content, reminders: Reminders) -> Reply:
        """/reminders: each reminder, when it comes next, and its buttons."""
        ui = content.ui
        if not reminders.items:
            none = Section(paragraphs=(ui["reminders_none"],))
            return Reply(kind="info", sections=(none,), step=LISTING)
        lines: list[str] = []
        choices: list[Choice] = []
        for item in sorted(reminders.items.values(), key=lambda r: model.ORDER.index(r.kind)):
            name = ui[f"reminder_name_{item.kind}"]
            if item.paused:
                lines.append(ui["reminders_item_paused"].format(name=name))
                choices.append(_button(ui["reminders_resume"], name, "resume", item))
            else:
                lines.append(ui["reminders_item"].format(name=name, when=self.when(content, item)))
                choices.append(_button(ui["reminders_pause"], name, "pause", item))
            if item.kind == "stretch":
                choices.append(_button(ui["reminders_change_time"], name, "time", item))
            choices.append(_button(ui["reminders_stop_one"], name, "stop", item))
        choices.append(Choice("stop", ui["reminders_stop"], "reminder", target=("all", 0)))
        section = Section(title=ui["reminders_title"], bullets=tuple(lines))
        return Reply(kind="info", sections=(section,), choices=tuple(choices), step=LISTING)

    def time_picker(self, content: Content, item: Reminder) -> Reply:
        step = self.flow.step("fu_time")
        assert step is not None
        labels = content.steps["fu_time"].options
        name = content.ui[f"reminder_name_{item.kind}"]
        choices = tuple(
            Choice(o.id, labels[o.id].label, "reminder", target=(item.id, 0)) for o in step.options
        )
        text = content.ui["reminders_pick_time"].format(name=name)
        return Reply(kind="info", sections=(Section(paragraphs=(text,)),), choices=choices)

    def message(self, content: Content, reminder: Reminder, due: int) -> Reply:
        """The reminder itself, with its buttons."""
        ui = content.ui
        target = (reminder.id, due)
        buttons = [
            Choice("snooze", ui["reminder_snooze"], "reminder", target=target),
            Choice("stop", ui["reminder_stop"], "reminder", target=target),
        ]
        if reminder.kind == "checkin":
            start = Choice("checkin", ui["reminder_start_checkin"], "start", target=target)
            section = Section(paragraphs=(ui["reminder_checkin"],))
            return Reply(kind="info", sections=(section,), choices=(start, *buttons))
        done = Choice("done", ui["reminder_done"], "reminder", target=target)
        if reminder.kind == "stretch" and reminder.stretch in content.stretches:
            stretch = content.stretches[reminder.stretch]
            title = ui["reminder_stretch"].format(name=stretch.title)
            section = Section(title=title, steps=stretch.steps)
        else:
            section = Section(paragraphs=(ui["reminder_hydration"],))
        return Reply(kind="info", sections=(section,), choices=(done, *buttons))

    # -- delivery (the worker) ---------------------------------------------------------------

    async def deliver(self, user: UserRef, rid: str, due: int) -> Delivered:
        """Send the occurrence ``due`` of reminder ``rid`` if it is still expected, once."""
        item = (await self.load(user)).items.get(rid)
        if item is None or item.due != due or item.paused:
            metrics.REMINDERS_DROPPED.labels("stale").inc()
            return Delivered("stale")
        if self.clock() < due:
            raise Busy("not due yet")  # a clock a little behind the queue's: try again shortly
        token = secrets.token_hex(8)
        leased = await self.store.replace_value(
            user, DELIVERING, token, expected=None, ttl_seconds=self.lease_seconds
        )
        if not leased:
            raise Busy(f"delivery lease held for {user.hashed(self.salt)}")
        try:
            return await self._deliver_leased(user, rid, due)
        finally:
            await self.store.replace_value(user, DELIVERING, "", expected=token)  # ours only

    async def _deliver_leased(self, user: UserRef, rid: str, due: int) -> Delivered:
        current = await self.load(user)  # again, under the lease: another worker may have sent it
        item = current.items.get(rid)
        if item is None or item.due != due or item.paused:
            metrics.REMINDERS_DROPPED.labels("stale").inc()
            return Delivered("stale")
        following = model.after_delivery(item, self.rules)
        if following.due is not None:
            await self.queue.schedule(user, rid, following.due)  # before the send: never lost
        if not model.should_deliver(item, self.rules, due, self.now()):
            await self._moved_on(user, rid, due, following)
            metrics.REMINDERS_DROPPED.labels("late").inc()
            return Delivered("late")
        courier = self.couriers.get(user.channel)
        if courier is None:
            metrics.REMINDERS_DROPPED.labels("no_channel").inc()
            await self._moved_on(user, rid, due, following)
            return Delivered("stale")
        content = self.catalog.content(current.locale)
        outcome = await courier.send(user, self.message(content, item, due))
        if outcome == "blocked":
            log.info(
                "user unreachable: reminders cancelled", extra={"user": user.hashed(self.salt)}
            )
            metrics.REMINDERS_FAILED.labels("blocked").inc()
            if following.due is not None:
                await self.queue.cancel(user, [(rid, following.due)])
            await self.stop_all(user, in_hand=(rid, due))
            return Delivered("blocked")
        await self._moved_on(user, rid, due, following)
        metrics.REMINDERS_SENT.labels(item.kind).inc()
        log.info("reminder sent", extra={"user": user.hashed(self.salt), "kind": item.kind})
        return Delivered("sent")

    async def _moved_on(self, user: UserRef, rid: str, due: int, following: Reminder) -> None:
        def advance(reminders: Reminders) -> Reminders:
            present = reminders.items.get(rid)
            if present is None or present.due != due:
                return reminders  # changed meanwhile (snoozed, moved, stopped): theirs wins
            return reminders.with_item(following)

        # Not the user's doing: reminders a user forgot about expire with the rest of their
        # data (RETENTION_DAYS after their last activity) instead of running for ever.
        after = (rid, following.due) if following.due is not None else None
        await self._change(user, advance, in_hand=(rid, due), keep_ttl=True, queued=after)

    def _who(self, user: UserRef) -> dict[str, str]:
        return {"user": user.hashed(self.salt)}

    async def stored_sections(self, user: UserRef, content: Content) -> tuple[Section, ...]:
        """/mydata's account of what follow-ups keep: the finished check, reminders, diary."""
        values = await self.store.get_values(user, PROFILE, REMINDERS, DIARY, TIME_ZONE)
        ui = content.ui
        sections: list[Section] = []
        answers = model.profile_answers(values[PROFILE])
        if answers:
            lines = [
                content.steps[step].options[v].answer or content.steps[step].options[v].label
                for step, value in answers.items()
                if step in content.steps
                for v in ((value,) if isinstance(value, str) else value)
                if v in content.steps[step].options
            ]
            sections.append(Section(paragraphs=(ui["mydata_profile"],), bullets=tuple(lines)))
        reminders = model.parse(values[REMINDERS])
        if reminders.items:
            listed = self.listing(content, reminders).sections[0].bullets
            sections.append(Section(paragraphs=(ui["mydata_reminders"],), bullets=listed))
        diary = _diary(values[DIARY])
        if diary.entries:
            count = ui["mydata_diary"].format(count=str(len(diary.entries)))
            sections.append(Section(paragraphs=(count,)))
        if values[TIME_ZONE]:
            sections.append(Section(paragraphs=(ui["mydata_zone"].format(zone=values[TIME_ZONE]),)))
        return tuple(sections)

    # -- for /mydata and /summary -----------------------------------------------------------

    async def diary(self, user: UserRef) -> Diary:
        return _diary(await self.store.get_value(user, DIARY))

    async def zone(self, user: UserRef) -> str | None:
        return await self.store.get_value(user, TIME_ZONE)

    async def profile(self, user: UserRef) -> dict[str, str | tuple[str, ...]]:
        return model.profile_answers(await self.store.get_value(user, PROFILE))


def _button(template: str, name: str, action: str, item: Reminder) -> Choice:
    return Choice(action, template.format(name=name), "reminder", target=(item.id, 0))


def _diary(raw: str | None) -> Diary:
    return Diary.model_validate_json(raw) if raw else Diary()


def _trend(value: str) -> Trend:
    return "better" if value == "better" else "worse" if value == "worse" else "same"


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
