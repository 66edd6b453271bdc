"""When a reminder falls due: local times in the user's zone, quiet hours, daylight saving.

Pure functions over aware datetimes (``zoneinfo``), so the worker, the tests
and a controllable clock all agree. Times are wall-clock times in the user's
zone: a 09:00 stretch reminder stays at 09:00 across a daylight-saving change.
A wall-clock time that does not exist on the day of the spring change (01:30
in London) fires at the same instant shifted forward; an ambiguous one on the
autumn change fires once, at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.frozen import frozen

UTC = dt.UTC
MAX_DAYS_AHEAD = 8
"""A daily time always recurs within a week; more means no time was given."""


@frozen
class QuietHours:
    """Local hours when nothing is sent; may wrap midnight (22:00 to 08:00)."""

    start: dt.time
    end: dt.time

    def contains(self, local: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def local_instant(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone`` (first one if ambiguous)."""
    naive = dt.datetime.combine(day, at)
    # fold=0 takes the first of an ambiguous autumn time; a spring-gap time is read with
    # the offset before the change, which lands it the gap's length later.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_due(
    times: Sequence[dt.time],
    zone: ZoneInfo,
    after: dt.datetime,
    quiet: QuietHours | None = None,
) -> dt.datetime | None:
    """The first instant strictly after ``after`` at one of ``times`` (local), outside quiet hours.

    Times inside quiet hours are skipped, not moved: a reminder the user set at
    23:00 is simply never sent, which the opt-in avoids by offering only times
    outside quiet hours.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    allowed = sorted(t for t in times if quiet is None or not quiet.contains(t))
    if not allowed:
        return None
    today = after.astimezone(zone).date()
    for offset in range(MAX_DAYS_AHEAD):
        day = today + dt.timedelta(days=offset)
        for at in allowed:
            instant = local_instant(day, at, zone)
            if instant > after:
                return instant
    return None


def outside_quiet_hours(
    instant: dt.datetime, zone: ZoneInfo, quiet: QuietHours | None
) -> dt.datetime:
    """``instant``, or the end of the quiet hours it falls in (for snoozes and check-ins)."""
    if quiet is None:
        return instant
    local = instant.astimezone(zone)
    if not quiet.contains(local.time()):
        return instant
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += dt.timedelta(days=1)
    return local_instant(day, quiet.end, zone)


def too_late(due: dt.datetime, now: dt.datetime, max_lateness: dt.timedelta) -> bool:
    """A reminder that fell due while everything was down is dropped past this lateness."""
    return now - due > max_lateness
