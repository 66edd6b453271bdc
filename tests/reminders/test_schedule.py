"""Reminder times as a user would expect them: local, quiet at night, steady across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.reminders.schedule import QuietHours, next_due, outside_quiet_hours, too_late

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = QuietHours(dt.time(22), dt.time(8))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_a_daily_reminder_fires_at_the_local_time_after_now() -> None:
    due = next_due([dt.time(9)], NEW_YORK, utc(2026, 11, 25, 13, 0))  # 08:00 in New York
    assert due == utc(2026, 11, 25, 14, 0)  # 09:00 EST
    again = next_due([dt.time(9)], NEW_YORK, due)  # strictly after: tomorrow
    assert again == utc(2026, 11, 26, 14, 0)


def test_several_times_a_day_take_the_next_one() -> None:
    times = [dt.time(10), dt.time(13), dt.time(16)]
    assert next_due(times, LONDON, utc(2026, 11, 25, 11, 30)) == utc(2026, 11, 25, 13, 0)
    assert next_due(times, LONDON, utc(2026, 11, 25, 16, 0)) == utc(2026, 11, 26, 10, 0)


def test_the_local_time_stays_put_across_the_spring_change() -> None:
    before = next_due([dt.time(9)], LONDON, utc(2026, 3, 28, 12, 0))
    after = next_due([dt.time(9)], LONDON, before or utc(2026, 1, 1))
    assert before == utc(2026, 3, 29, 8, 0)  # 09:00 BST, the first day of summer time
    assert after == utc(2026, 3, 30, 8, 0)
    assert before is not None
    assert before.astimezone(LONDON).hour == 9


def test_the_local_time_stays_put_across_the_autumn_change() -> None:
    due = next_due([dt.time(9)], LONDON, utc(2026, 10, 24, 12, 0))
    assert due == utc(2026, 10, 25, 9, 0)  # back on GMT
    assert due is not None
    assert due.astimezone(LONDON).hour == 9


def test_a_time_in_the_spring_gap_fires_once_shifted_forward() -> None:
    due = next_due([dt.time(1, 30)], LONDON, utc(2026, 3, 28, 12, 0))
    assert due == utc(2026, 3, 29, 1, 30)  # 02:30 BST: 01:30 does not exist that night


def test_an_ambiguous_autumn_time_fires_once() -> None:
    first = next_due([dt.time(1, 30)], LONDON, utc(2026, 10, 24, 12, 0))
    second = next_due([dt.time(1, 30)], LONDON, first or utc(2026, 1, 1))
    assert first == utc(2026, 10, 25, 0, 30)  # the first 01:30 (BST)
    assert second == utc(2026, 10, 26, 1, 30)  # not the repeated 01:30 GMT an hour later


def test_times_inside_quiet_hours_are_never_used() -> None:
    times = [dt.time(7), dt.time(12), dt.time(23)]
    due = next_due(times, LONDON, utc(2026, 11, 25, 12, 30), QUIET)
    assert due == utc(2026, 11, 26, 12, 0)
    assert next_due([dt.time(23)], LONDON, utc(2026, 11, 25), QUIET) is None


def test_a_snooze_into_the_night_waits_for_the_morning() -> None:
    snoozed = outside_quiet_hours(utc(2026, 11, 25, 22, 30), LONDON, QUIET)
    assert snoozed == utc(2026, 11, 26, 8, 0)
    early = outside_quiet_hours(utc(2026, 11, 26, 6, 0), LONDON, QUIET)
    assert early == utc(2026, 11, 26, 8, 0)
    day = utc(2026, 11, 26, 15, 0)
    assert outside_quiet_hours(day, LONDON, QUIET) == day


def test_a_reminder_too_late_is_dropped() -> None:
    due = utc(2026, 11, 25, 10, 0)
    assert not too_late(due, utc(2026, 11, 25, 10, 50), dt.timedelta(hours=1))
    assert too_late(due, utc(2026, 11, 25, 11, 30), dt.timedelta(hours=1))
