"""saq's Redis queue, patient while Redis is away.

saq's job loop asks the queue for the next job in a tight loop; when Redis refuses the
connection, each ask fails at once and the loop spins a core at 100% for as long as the
outage lasts. Here a failed ask waits a second and reports "no job", so a worker idles
through an outage and picks up where it was when Redis returns (the jobs live in Redis).
Imported only where the queue is used (saq is not loaded by web turns).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from saq import Job
from saq.queue.redis import RedisQueue

log = logging.getLogger(__name__)

OUTAGE_PAUSE_SECONDS = 1.0
WARN_EVERY_SECONDS = 30.0


class PatientRedisQueue(RedisQueue):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._warned = 0.0

    async def dequeue(
        self,
        timeout: float = 0.0,  # noqa: ASYNC109 - saq's own signature
        poll_interval: float = 0.0,
    ) -> Job | None:
        try:
            return await super().dequeue(timeout, poll_interval)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            now = time.monotonic()
            if now - self._warned > WARN_EVERY_SECONDS:
                self._warned = now
                log.warning(
                    "reminder queue unreachable, waiting", extra={"error": type(exc).__name__}
                )
            await asyncio.sleep(OUTAGE_PAUSE_SECONDS)
            return None
