"""``kneecheck worker``: delivers reminders from the queue, as many processes as needed.

A saq ``Worker`` runs the jobs; ours turns a job into :meth:`ReminderService.deliver`,
through the couriers it is given (the channel registry builds them for the configured
platforms). Health shows two ways:
a heartbeat log line every ``HEARTBEAT_SECONDS`` (jobs done, failed, queued) and the
``kneecheck_worker_heartbeat`` gauge, so a dead worker is visible in logs and metrics.
SIGTERM stops taking jobs and finishes the ones in hand (saq's grace period, then
cancellation), and the process ends within the exit deadline whatever hangs; a job cut
short is swept and retried by another worker, and the stored reminder decides whether it
still needs sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import web
from saq import Worker
from saq.types import Context, PartialTimersDict

from bot import metrics
from bot.parts import App
from bot.reminders.queue import DELIVER, user_of
from bot.reminders.service import Busy, Courier
from bot.serving import Stopper

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 5
"""For the deliveries in hand (milliseconds each); saq also waits this long for its idle
upkeep loops, so an idle worker exits in about 5 s, well under the platforms' 10 s."""


def build_worker(
    app: App,
    couriers: Mapping[str, Courier],
    *,
    grace_seconds: int = SHUTDOWN_GRACE_SECONDS,
) -> Worker[Context]:
    """``couriers``: by the ``UserRef.channel`` they deliver to; a reminder for a channel
    with none is skipped to its next time (see :meth:`ReminderService.deliver`). The
    channel registry builds them (:func:`bot.channels.registry.couriers`): nothing here
    knows a channel."""
    app.reminders.couriers.update(couriers)
    settings = app.settings

    async def deliver_reminder(ctx: Context, *, user: list[str], reminder: str, due: int) -> str:
        who = user_of(user)
        try:
            done = await app.reminders.deliver(who, reminder, int(due))
        except Busy:
            metrics.REMINDERS_FAILED.labels("busy").inc()
            raise
        except Exception:
            metrics.REMINDERS_FAILED.labels("error").inc()
            log.warning("reminder delivery failed, will retry", exc_info=True)
            raise
        return done.outcome

    deliver_reminder.__qualname__ = DELIVER
    deliver_reminder.__name__ = DELIVER

    beats: list[asyncio.Task[None]] = []

    async def startup(ctx: Context) -> None:
        for courier in app.reminders.couriers.values():
            initialize = getattr(getattr(courier, "bot", None), "initialize", None)
            if initialize is not None:
                await initialize()
        beats.append(asyncio.create_task(_heartbeat(app)))
        log.info("worker started", extra={"channels": ",".join(sorted(app.reminders.couriers))})

    async def shutdown(ctx: Context) -> None:
        for beat in beats:
            beat.cancel()
        for courier in app.reminders.couriers.values():
            close = getattr(getattr(courier, "bot", None), "shutdown", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        log.info("worker stopped")

    return Worker(
        app.queue.queue,
        functions=[(DELIVER, deliver_reminder)],
        concurrency=settings.worker_concurrency,
        startup=startup,
        shutdown=shutdown,
        timers=PartialTimersDict(
            sweep=settings.reminder_sweep_seconds, schedule=1, abort=1, worker_info=10
        ),
        shutdown_grace_period_s=grace_seconds,
        dequeue_timeout=1,  # so a stopping worker's job loops notice within a second
    )


async def _heartbeat(app: App) -> None:
    while True:
        metrics.WORKER_HEARTBEAT.set(time.time())
        try:
            pending: Any = await app.queue.pending()
        except Exception:  # Redis away: say so, keep beating
            pending = "unknown (Redis unreachable)"
        log.info("worker alive", extra={"queued_reminders": pending})
        await asyncio.sleep(HEARTBEAT_SECONDS)


@contextlib.asynccontextmanager
async def in_process_worker(
    app: App, couriers: Mapping[str, Courier], *, grace_seconds: int = 1
) -> AsyncIterator[Worker[Context]]:
    """Reminders delivered by this same process (``kneecheck run``, ``telegram``, ``slack``):
    a newcomer gets reminders without a second process. Signals stay with the bot's runner.
    ``grace_seconds``: how long a reminder in hand may take to finish when it stops."""
    worker = build_worker(app, couriers, grace_seconds=grace_seconds)
    worker.SIGNALS = []
    task = asyncio.create_task(worker.start())
    try:
        yield worker
    finally:
        await worker.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_worker(app: App, couriers: Mapping[str, Courier]) -> None:
    """Run until SIGTERM/SIGINT, then finish the jobs in hand (within the exit deadline).

    With WORKER_PORT set it also serves /healthz (503 while Redis is unreachable) and
    /metrics (reminders sent, failed, dropped; the heartbeat) for the platform's checks.
    """
    worker = build_worker(app, couriers)
    runner: web.AppRunner | None = None
    if app.settings.worker_port is not None:
        from bot.web import create_health_app

        runner = web.AppRunner(create_health_app(app), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, app.settings.host, app.settings.worker_port).start()
        log.info("worker health on port %d", int(runner.addresses[0][1]))
    # Our handlers, not saq's: a stop signal also arms the exit deadline, so a shutdown
    # that hangs (a platform call, Redis frozen) still ends the process in time.
    worker.SIGNALS = []
    with Stopper(asyncio.Event()) as stop:
        running = asyncio.create_task(worker.start())
        signalled = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({running, signalled}, return_when=asyncio.FIRST_COMPLETED)
            await worker.stop()  # saq's grace period for the deliveries in hand
            await running
        finally:
            signalled.cancel()
            if runner is not None:
                await runner.cleanup()
            await app.close()
