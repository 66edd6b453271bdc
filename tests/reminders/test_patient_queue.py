"""A worker whose Redis is away waits instead of spinning a core on failed dequeues."""

from __future__ import annotations

import logging
import time

import pytest
import redis.asyncio as aioredis

from bot.reminders.patient_queue import OUTAGE_PAUSE_SECONDS, PatientRedisQueue
from tests.redis_server import free_port


async def test_a_dequeue_while_redis_is_away_pauses_and_reports_no_job(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nowhere = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}")
    queue = PatientRedisQueue(nowhere, name="outage")
    queue._version = (7, 0, 0)  # no INFO round trip: the dequeue itself meets the outage
    caplog.set_level(logging.WARNING, "bot.reminders.patient_queue")
    try:
        for _ in range(2):
            started = time.monotonic()
            assert await queue.dequeue(timeout=1) is None
            assert time.monotonic() - started >= OUTAGE_PAUSE_SECONDS * 0.9
        warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(warnings) == 1  # said once, not at every attempt
    finally:
        await nowhere.aclose()
