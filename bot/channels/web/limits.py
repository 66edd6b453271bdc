"""How often one browser, and one address, may post: fixed one-minute windows in Redis.

Counted in Redis, not in the process, so the limits hold across every web process behind a
load balancer. The counters are named by a keyed hash of the cookie id and of the address,
never the id or the address itself, and expire two minutes after their window opened:
nothing here identifies anyone, or outlives a short while.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from bot.channels.web.stream import UNAVAILABLE
from bot.store.base import StoreUnavailable
from bot.store.redis import RedisSessionStore

WINDOW_SECONDS = 60


class RateLimit:
    def __init__(
        self,
        store: RedisSessionStore,
        *,
        salt: bytes,
        per_id: int,
        per_address: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.salt = salt
        self.limits = (("id", per_id), ("ip", per_address))
        self.clock = clock

    def _key(self, kind: str, who: str, window: int) -> str:
        digest = hashlib.blake2b(who.encode(), key=self.salt[:64], digest_size=12).hexdigest()
        return f"{self.store.keys.prefix}:webrate:{kind}:{digest}:{window}"

    async def allow(self, user_id: str, address: str) -> bool:
        """Count one post; False when either limit (0: none) is passed. One round trip."""
        window = int(self.clock()) // WINDOW_SECONDS
        checked: list[int] = []
        commands: list[tuple[Any, ...]] = []
        for (kind, limit), who in zip(self.limits, (user_id, address), strict=True):
            if limit > 0:
                key = self._key(kind, who, window)
                commands += [("INCR", key), ("EXPIRE", key, 2 * WINDOW_SECONDS)]
                checked.append(limit)
        if not commands:
            return True
        try:
            replies = await self.store.batcher.execute_together(*commands)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        counts = replies[::2]
        return all(int(count) <= limit for count, limit in zip(counts, checked, strict=True))
