"""How each reminder moves on: delivered, snoozed, paused, late after an outage."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.flow import FollowUp
from bot.reminders.model import after_delivery, checkin, daily, scheduled, should_deliver, snoozed


@pytest.fixture
def rules(catalog: Catalog) -> FollowUp:
    rules = catalog.flow("followup").follow_up
    assert rules is not None
    return rules


def at(hour: int, minute: int = 0, day: int = 25) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def test_a_daily_stretch_reminder_moves_on_a_day_after_each_delivery(rules: FollowUp) -> None:
    reminder = daily("stretch", [dt.time(18)], "Europe/London", rules, at(9), stretch="calf")
    assert reminder.due == int(at(18).timestamp())
    assert should_deliver(reminder, rules, int(at(18).timestamp()), at(18, 0))
    nxt = after_delivery(reminder, rules)
    assert nxt.due == int(at(18, day=26).timestamp())


def test_a_job_for_another_due_time_or_a_paused_reminder_is_dropped(rules: FollowUp) -> None:
    reminder = daily("hydration", rules.hydration_times, "Europe/London", rules, at(9))
    assert reminder.due == int(at(10).timestamp())
    assert not should_deliver(reminder, rules, int(at(13).timestamp()), at(13))
    assert not should_deliver(
        reminder.model_copy(update={"paused": True}), rules, reminder.due, at(10)
    )


def test_a_hydration_nudge_hours_late_is_dropped_but_a_checkin_a_day_late_is_not(
    rules: FollowUp,
) -> None:
    nudge = daily("hydration", rules.hydration_times, "Europe/London", rules, at(9))
    assert nudge.due is not None
    assert not should_deliver(nudge, rules, nudge.due, at(13))
    visit = checkin("Europe/London", rules, at(9))
    assert visit.due == int(at(18, day=28).timestamp())
    assert should_deliver(visit, rules, visit.due, at(17, day=29))


def test_a_snooze_waits_an_hour_but_never_into_the_night(rules: FollowUp) -> None:
    reminder = daily("stretch", [dt.time(20)], "Europe/London", rules, at(9))
    assert snoozed(reminder, rules, at(15)).due == int(at(16).timestamp())
    assert snoozed(reminder, rules, at(21, 30)).due == int(at(8, day=26).timestamp())


def test_reminders_are_listed_soonest_first_and_stopped_ones_hidden(rules: FollowUp) -> None:
    stretch = daily("stretch", [dt.time(18)], "Europe/London", rules, at(9))
    water = daily("hydration", rules.hydration_times, "Europe/London", rules, at(9))
    stopped = checkin("Europe/London", rules, at(9)).model_copy(update={"due": None})
    assert [r.id for r in scheduled({"a": stretch, "b": water, "c": stopped})] == [
        "hydration",
        "stretch",
    ]
