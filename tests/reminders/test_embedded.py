"""`make run` without REDIS_URL: reminders are delivered from the embedded in-process Redis."""

from __future__ import annotations

import datetime as dt
import time

from bot.engine.replies import Reply
from bot.reminders.model import Reminder, Reminders
from bot.reminders.service import Outcome
from bot.reminders.worker import in_process_worker
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.reminders.harness import until

LOCAL = UserRef("cli", "local")


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        self.sent.append(reply)
        return "sent"


async def test_a_reminder_falls_due_and_is_delivered_without_a_redis_server() -> None:
    app = build_app(Settings(_env_file=None, redis_url=None))
    assert app.embedded
    recorder = Recorder()
    try:
        async with in_process_worker(app, {"cli": recorder}):
            due = int(time.time()) + 1
            water = Reminder(
                id="hydration", kind="hydration", zone="UTC", times=(dt.time(10),), due=due
            )
            await app.reminders.replace(LOCAL, Reminders(items={"hydration": water}))
            await until(lambda: recorder.sent, within=15)
        [reply] = recorder.sent
        assert "drink a glass of water" in reply.text()
        assert [c.label for c in reply.choices] == ["Done", "Snooze 1 hour", "Stop these reminders"]
    finally:
        await app.close()


async def test_water_nudges_are_spread_over_minutes_the_same_way_every_day() -> None:
    app = build_app(Settings(_env_file=None, redis_url=None, reminder_spread_minutes=20))
    try:
        firsts: set[dt.time] = set()
        for n in range(40):
            user = UserRef("tg", str(5000 + n))
            set_up = await app.reminders.set_up(user, ["hydration"], at=dt.time(8), zone="UTC")
            times = set_up.items["hydration"].times
            minutes = app.reminders.spread_of(user)
            assert times == tuple(dt.time(h, minutes) for h in (10, 13, 16, 19))
            assert minutes == app.reminders.spread_of(user)  # the same every time
            firsts.add(times[0])
        assert len(firsts) > 10  # forty users do not all come at 10:00
        assert all(dt.time(10) <= first <= dt.time(10, 20) for first in firsts)
    finally:
        await app.close()
