"""Reminder jobs on saq, a Redis-backed job queue: one job per (user, reminder, due time).

A job carries only who, which reminder and the due time it was queued for; the worker
re-reads the stored reminder, so a job left behind by a change (snoozed, moved, paused,
stopped, erased) finds that the reminder no longer expects it and does nothing.

The job key is derived from those three, so queueing the same occurrence twice (two
processes handling one change, a retry) is a no-op: saq refuses a key it already holds.
Jobs are deleted as soon as they finish (``ttl=-1``), and cancelled ones are deleted
outright, so no key naming a user outlives their reminders.

``skew`` maps the service clock onto the queue's wall clock: tests run a clock of their
own (a day in March when the clocks change) and the job still fires ``due - now`` seconds
from the real now.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bot.store.keys import UserRef

if TYPE_CHECKING:
    from saq.queue.redis import RedisQueue

QUEUE_NAME = "kneecheck-reminders"
DELIVER = "deliver_reminder"
JOB_TIMEOUT = 30
"""Seconds a delivery may take (rate-limit waits included) before saq calls it stuck."""
JOB_RETRIES = 6
"""A worker killed mid-delivery, or a platform error: the job is swept and tried again."""


def job_key(user: UserRef, reminder: str, due: int) -> str:
    return f"{user.tag}|{reminder}|{due}"


class ReminderQueue:
    """saq is imported and connected on first use: a web process that only talks imports
    and connects nothing it does not need (the conversation turns never touch the queue)."""

    def __init__(
        self,
        connect: Callable[[], RedisQueue],
        *,
        clock: Callable[[], float] = time.time,
        job_timeout: int = JOB_TIMEOUT,
    ) -> None:
        self._connect = connect
        self._queue: RedisQueue | None = None
        self.clock = clock
        self.job_timeout = job_timeout

    @property
    def queue(self) -> RedisQueue:
        if self._queue is None:
            self._queue = self._connect()
        return self._queue

    async def close(self) -> None:
        if self._queue is not None:
            await self._queue.disconnect()
            self._queue = None

    def skew(self) -> float:
        """How far the service clock is from the queue's (0 for the real clock; a test's
        clock is a fixed offset, rounded so that reading two clocks adds no jitter)."""
        if self.clock is time.time:
            return 0.0
        return round(self.clock() - time.time(), 3)

    async def schedule(self, user: UserRef, reminder: str, due: int) -> bool:
        """Queue the occurrence at ``due``; False when it was queued already."""
        from saq import Job

        job = Job(
            DELIVER,
            kwargs={
                "user": [user.channel, user.user, user.workspace],
                "reminder": reminder,
                "due": due,
            },
            key=job_key(user, reminder, due),
            scheduled=max(1, math.ceil(due - self.skew())),  # never before due
            timeout=self.job_timeout,
            retries=JOB_RETRIES,
            retry_delay=1.0,
            retry_backoff=30.0,
            ttl=-1,
        )
        return await self.queue.enqueue(job) is not None

    async def cancel(self, user: UserRef, occurrences: Iterable[tuple[str, int]]) -> int:
        """Delete the queued jobs of these (reminder, due) occurrences; how many there were."""
        cancelled = 0
        for reminder, due in occurrences:
            job = await self.queue.job(job_key(user, reminder, due))
            if job is None:
                continue
            await self.queue.abort(job, "cancelled")
            await self.queue.redis.delete(job.id, job.abort_id)
            cancelled += 1
        return cancelled

    async def pending(self) -> int:
        """Jobs scheduled or queued (for metrics and the benchmark)."""
        return int(await self.queue.count("incomplete"))


def user_of(raw: list[str]) -> UserRef:
    channel, user, workspace = raw
    return UserRef(channel, user, workspace)
