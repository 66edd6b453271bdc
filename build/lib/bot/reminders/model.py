"""A user's reminders, as stored, and how each one moves on in time.

The stored reminder is the source of truth; a queued job only names the user,
the reminder and the due time it was queued for. A worker that re-reads the
reminder and finds it paused, stopped, erased or moved on simply drops the job,
so late or duplicate jobs are harmless.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from bot.catalog.flow import FollowUp, ReminderKind
from bot.reminders.schedule import QuietHours, next_due, outside_quiet_hours, too_late

UTC = dt.UTC


class Reminder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: ReminderKind
    zone: str
    times: tuple[dt.time, ...] = ()
    """Daily local times (stretch, hydration); empty for a one-off check-in."""
    due: int | None = None
    """Epoch seconds of the next delivery; None when nothing is scheduled."""
    paused: bool = False
    stretch: str | None = None
    """For stretch reminders: the stretch (content id) for the user's muscle."""


class Reminders(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    items: dict[str, Reminder] = Field(default_factory=dict)
    locale: str | None = None
    """The language the reminders are written in (the user's, when they set them up)."""

    def with_item(self, reminder: Reminder) -> Reminders:
        return self.model_copy(update={"items": {**self.items, reminder.id: reminder}})

    def without(self, reminder_id: str) -> Reminders:
        items = {k: v for k, v in self.items.items() if k != reminder_id}
        return self.model_copy(update={"items": items})


ORDER: tuple[ReminderKind, ...] = ("stretch", "hydration", "checkin")
"""The order /reminders lists them in."""


def parse(raw: str | None) -> Reminders:
    return Reminders.model_validate_json(raw) if raw else Reminders()


def occurrences(reminders: Reminders) -> set[tuple[str, int]]:
    """The (reminder, due) pairs the queue must hold jobs for."""
    return {(r.id, r.due) for r in reminders.items.values() if r.due is not None and not r.paused}


def profile_answers(raw: str | None) -> dict[str, str | tuple[str, ...]]:
    """The finished check's answers, as stored (lists back to tuples)."""
    if not raw:
        return {}
    loaded = json.loads(raw)
    return {k: tuple(v) if isinstance(v, list) else str(v) for k, v in loaded.items()}


def local(epoch: int, zone: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, ZoneInfo(zone))


def quiet(rules: FollowUp) -> QuietHours:
    return QuietHours(rules.quiet_start, rules.quiet_end)


def _at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, UTC)


def _epoch(instant: dt.datetime | None) -> int | None:
    return int(instant.timestamp()) if instant is not None else None


def daily(
    kind: Literal["stretch", "hydration"],
    times: Sequence[dt.time],
    zone: str,
    rules: FollowUp,
    now: dt.datetime,
    *,
    stretch: str | None = None,
) -> Reminder:
    due = next_due(times, ZoneInfo(zone), now, quiet(rules))
    return Reminder(
        id=kind, kind=kind, zone=zone, times=tuple(times), due=_epoch(due), stretch=stretch
    )


def checkin(zone: str, rules: FollowUp, now: dt.datetime) -> Reminder:
    """A check-in after the configured number of days, at the configured local time."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date() + dt.timedelta(days=rules.checkin_after_days)
    instant = dt.datetime.combine(day, rules.checkin_time, tzinfo=tz).astimezone(UTC)
    return Reminder(
        id="checkin",
        kind="checkin",
        zone=zone,
        due=_epoch(outside_quiet_hours(instant, tz, quiet(rules))),
    )


def after_delivery(reminder: Reminder, rules: FollowUp) -> Reminder:
    """The reminder once its occurrence at ``due`` was delivered (or dropped as too late)."""
    if reminder.due is None or not reminder.times:
        return reminder.model_copy(update={"due": None})
    following = next_due(reminder.times, ZoneInfo(reminder.zone), _at(reminder.due), quiet(rules))
    return reminder.model_copy(update={"due": _epoch(following)})


def snoozed(reminder: Reminder, rules: FollowUp, now: dt.datetime) -> Reminder:
    later = now + dt.timedelta(minutes=rules.snooze_minutes)
    return reminder.model_copy(
        update={"due": _epoch(outside_quiet_hours(later, ZoneInfo(reminder.zone), quiet(rules)))}
    )


def should_deliver(reminder: Reminder, rules: FollowUp, due: int, now: dt.datetime) -> bool:
    """Deliver the job queued for ``due`` only if the reminder still expects exactly it, in time."""
    if reminder.paused or reminder.due != due:
        return False
    lateness = dt.timedelta(minutes=rules.max_lateness_minutes.get(reminder.kind, 60))
    return not too_late(_at(due), now, lateness)


def scheduled(reminders: Mapping[str, Reminder]) -> list[Reminder]:
    """What /reminders lists: every reminder with a next delivery, soonest first."""
    return sorted((r for r in reminders.values() if r.due is not None), key=lambda r: r.due or 0)


def resumed(reminder: Reminder, rules: FollowUp, now: dt.datetime) -> Reminder:
    """Unpaused: the next occurrence from now (a one-off check-in comes a few days later)."""
    if reminder.kind == "checkin":
        again = checkin(reminder.zone, rules, now)
        return again.model_copy(update={"paused": False})
    due = next_due(reminder.times, ZoneInfo(reminder.zone), now, quiet(rules))
    return reminder.model_copy(update={"paused": False, "due": _epoch(due)})


def moved(reminder: Reminder, at: dt.time, rules: FollowUp, now: dt.datetime) -> Reminder:
    """A daily reminder at a new local time, from now on."""
    due = next_due((at,), ZoneInfo(reminder.zone), now, quiet(rules))
    return reminder.model_copy(update={"times": (at,), "due": _epoch(due), "paused": False})


def shifted(times: Sequence[dt.time], minutes: int) -> tuple[dt.time, ...]:
    """Each time of day ``minutes`` later (wrapping past midnight)."""
    base = dt.datetime(2000, 1, 1)
    return tuple(
        (dt.datetime.combine(base.date(), t) + dt.timedelta(minutes=minutes)).time() for t in times
    )
