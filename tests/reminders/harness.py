"""A clock the tests set, and reminder workers run in this event loop.

``ShiftedClock`` is wall time plus an offset: a test moves "now" to 07:59:58 on the
morning the clocks change, and a reminder due at 08:00 fires two real seconds later,
because the queue maps due times through the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from saq import Worker
from saq.types import Context

from bot.channels import registry
from bot.parts import App
from bot.reminders.worker import build_worker
from bot.settings import Settings
from bot.wiring import build_app


class ShiftedClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def set(self, local: dt.datetime) -> None:
        """Make now ``local`` (an aware datetime)."""
        self.offset = local.timestamp() - time.time()

    def at(
        self,
        zone: str,
        year: int,
        month: int,
        day: int,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
    ) -> None:
        """Make now that local time in ``zone``."""
        self.set(dt.datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone)))


FAST: dict[str, Any] = {
    "reminder_sweep_seconds": 1,
    "reminder_job_timeout": 3,
    "reminder_lease_seconds": 3,
    "worker_concurrency": 8,
    "reminder_spread_minutes": 0,  # nudges exactly at the flow's times: the tests name them
}
"""Worker timings short enough that a killed worker's jobs come back within seconds."""


@contextlib.asynccontextmanager
async def running_worker(
    settings: Settings, *, clock: Callable[[], float] = time.time
) -> AsyncIterator[tuple[App, Worker[Context]]]:
    """A worker as ``kneecheck worker`` runs it, in this loop (no signal handlers)."""
    app = build_app(settings, clock=clock)
    worker = build_worker(app, registry.couriers(app), grace_seconds=1)
    worker.SIGNALS = []
    task = asyncio.create_task(worker.start())
    try:
        yield app, worker
    finally:
        await worker.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await app.close()


async def until(check: Callable[[], object], *, within: float = 20, step: float = 0.05) -> None:
    """Poll ``check`` until it is truthy, or fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(step)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 20, step: float = 0.05
) -> None:
    """Poll an async ``check`` until it holds, or fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(step)


class ChatUser(Protocol):
    """What the Telegram and Slack test users share: pressing and ticking by option id."""

    async def press(self, name: str) -> object: ...

    async def tick(self, *options: str) -> None: ...


async def walk_to_assessment(user: ChatUser) -> None:
    """From the consent question: no warning signs, a typical self-care route to the end."""
    await user.press("agree")
    await user.tick("none")
    await user.press("done")
    await user.press("behind")
    await user.press("calf")
    await user.tick("exercise")
    await user.press("done")
    for option in ("rarely", "ok", "balanced", "moderate", "under_4h", "a18_39"):
        await user.press(option)
    await user.tick("none")  # conditions
    await user.press("done")
    await user.tick("none")  # risks
    await user.press("done")
    await user.press("no")  # calf pain does not come on with walking


async def tick_follow_ups(user: ChatUser, *kinds: str, at: str = "t0800") -> None:
    """The follow-up button under the assessment, the reminders ticked, a time if asked."""
    await user.press("followup")
    await user.tick(*kinds)
    await user.press("done")
    if "stretch" in kinds:
        await user.press(at)
