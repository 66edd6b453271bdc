"""Sessions in Redis: one GET to load, one script call to compare-and-set.

The compare-and-set is a Lua script rather than WATCH/MULTI/EXEC so a turn
costs exactly two commands and two round trips. The script reads the stored
version from the JSON's leading ``{"v":N`` (the session always serialises
``v`` first) instead of decoding it, keeps the user's key index, and sets the
TTL so abandoned conversations expire on their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.engine.session import Session
from bot.metrics import ERRORS
from bot.store.base import StoreUnavailable
from bot.store.batching import CommandBatcher
from bot.store.keys import USER_VALUES, KeyBuilder, UserRef
from bot.store.packing import pack_with_hiredis

log = logging.getLogger(__name__)
T = TypeVar("T")

_CAS = """
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(string.match(cur, '^{"v":(%d+)')) or -1 end
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if not cur then redis.call('SADD', KEYS[2], KEYS[1]) end
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1
"""

_REPLACE = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[2] then return 0 end
if ARGV[1] == '' then return redis.call('DEL', KEYS[1]) + 1 end
if ARGV[4] == '1' and redis.call('PTTL', KEYS[1]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return 1
"""

_TOUCH = """
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return #KEYS
"""

_ERASE = """
local n = 0
for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do n = n + redis.call('DEL', k) end
for i = 2, #KEYS do n = n + redis.call('DEL', KEYS[i]) end
return n + redis.call('DEL', KEYS[1])
"""


class RedisSessionStore:
    """:class:`~bot.store.base.SessionStore` on redis-py asyncio (real Redis or fakeredis)."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        ttl_seconds: int,
        keys: KeyBuilder | None = None,
        command_timeout: float | None = None,
    ) -> None:
        self.client = client
        self.command_timeout = command_timeout
        self.ttl_seconds = ttl_seconds
        self.ttl_ms = ttl_seconds * 1000
        self.keys = keys or KeyBuilder()
        self.batcher = CommandBatcher(client, timeout=command_timeout)
        self._cas = client.register_script(_CAS)
        self._erase = client.register_script(_ERASE)
        self._replace = client.register_script(_REPLACE)
        self._touch = client.register_script(_TOUCH)

    @classmethod
    def from_url(cls, url: str, *, ttl_seconds: int, **kwargs: Any) -> RedisSessionStore:
        """A client on ``url``: 5 s to connect, 5 s for a pipeline's replies (see
        :class:`CommandBatcher`: no per-reply ``socket_timeout``)."""
        client = aioredis.Redis.from_url(
            url, socket_connect_timeout=5, health_check_interval=30, **kwargs
        )
        return cls(pack_with_hiredis(client), ttl_seconds=ttl_seconds, command_timeout=5)

    async def _call(self, op: Callable[[], Awaitable[T]]) -> T:
        try:
            return await op()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            ERRORS.labels(where="redis").inc()
            raise StoreUnavailable(type(exc).__name__) from exc
        except RedisError as exc:
            ERRORS.labels(where="redis").inc()
            if "LOADING" in str(exc) or "MASTERDOWN" in str(exc):
                raise StoreUnavailable(type(exc).__name__) from exc
            raise

    async def load(self, user: UserRef, flow: str) -> Session | None:
        raw = await self._call(lambda: self.batcher.execute("GET", self.keys.session(user, flow)))
        return self._session(raw, flow)

    async def load_once(
        self, user: UserRef, flow: str, *, scope: str, event_id: str, ttl_seconds: int
    ) -> tuple[bool, Session | None]:
        """Mark ``event_id`` seen and read the session, in one round trip."""
        marker = ("SET", self.keys.once(scope, event_id), b"1", "NX", "EX", ttl_seconds)
        read = ("GET", self.keys.session(user, flow))
        first, raw = await self._call(lambda: self.batcher.execute_together(marker, read))
        return bool(first), self._session(raw, flow)

    def _session(self, raw: bytes | str | None, flow: str) -> Session | None:
        if raw is None:
            return None
        try:
            return Session.load(raw)
        except ValidationError:
            # A session written by an incompatible older release: start the user afresh
            # rather than failing every turn. The CAS below still protects the key.
            log.warning("discarding unreadable session", extra={"flow": flow})
            return None

    async def save(
        self, user: UserRef, session: Session, *, expected: int, slot: str | None = None
    ) -> bool:
        """``slot`` names the key (default: the session's flow); one user's conversation
        keeps one slot whichever flow it runs, so a check-in replaces the check in place."""
        key, index = self.keys.session(user, slot or session.flow), self.keys.index(user)
        args = (key, index, expected, session.dump(), self.ttl_ms)
        done = await self._call(lambda: self._script(self._cas, *args))
        return bool(done)

    async def _script(self, script: AsyncScript, *keys_then_args: Any, numkeys: int = 2) -> Any:
        """EVALSHA through the batcher; after a Redis restart (NOSCRIPT) load it and retry."""
        try:
            return await self.batcher.execute("EVALSHA", script.sha, numkeys, *keys_then_args)
        except NoScriptError:
            async with asyncio.timeout(self.command_timeout):
                await self.client.script_load(script.script)
            return await self.batcher.execute("EVALSHA", script.sha, numkeys, *keys_then_args)

    async def put_value(
        self, user: UserRef, name: str, value: str, *, ttl_seconds: int | None = None
    ) -> None:
        """Keep a small per-user value (one of ``USER_VALUES``), expiring like a session."""
        key = self._value_key(user, name)
        ttl_ms = ttl_seconds * 1000 if ttl_seconds is not None else self.ttl_ms
        await self._call(lambda: self.batcher.execute("SET", key, value, "PX", ttl_ms))

    async def replace_value(
        self,
        user: UserRef,
        name: str,
        value: str,
        *,
        expected: str | None,
        ttl_seconds: int | None = None,
        keep_ttl: bool = False,
    ) -> bool:
        """Compare-and-set a per-user value: store it only if it is still ``expected``
        (None: only if there is none). An empty ``value`` deletes it. ``keep_ttl``: a write
        that is not the user's doing (a delivered reminder) leaves the expiry where it was."""
        key = self._value_key(user, name)
        ttl_ms = ttl_seconds * 1000 if ttl_seconds is not None else self.ttl_ms
        args = (key, value, expected or "", ttl_ms, "1" if keep_ttl else "0")
        done = await self._call(lambda: self._script(self._replace, *args, numkeys=1))
        return bool(done)

    def _value_key(self, user: UserRef, name: str) -> str:
        if name not in USER_VALUES:
            raise ValueError(f"{name!r} is not in USER_VALUES: /forget would not erase it")
        return self.keys.value(user, name)

    async def get_value(self, user: UserRef, name: str) -> str | None:
        raw = await self._call(lambda: self.batcher.execute("GET", self.keys.value(user, name)))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def touch(self, user: UserRef) -> None:
        """The user was active: every per-user value expires RETENTION after now, not before."""
        keys = [self.keys.value(user, n) for n in sorted(USER_VALUES)]
        await self._call(lambda: self._script(self._touch, *keys, self.ttl_ms, numkeys=len(keys)))

    async def get_values(self, user: UserRef, *names: str) -> dict[str, str | None]:
        """Several per-user values in one round trip (one user's keys share a slot)."""
        keys = [self.keys.value(user, n) for n in names]
        raw = await self._call(lambda: self.batcher.execute("MGET", *keys))
        return {
            name: (value.decode() if isinstance(value, bytes) else value)
            for name, value in zip(names, raw, strict=True)
        }

    async def delete_value(self, user: UserRef, name: str) -> None:
        await self._call(lambda: self.batcher.execute("DEL", self.keys.value(user, name)))

    async def first_time(self, scope: str, event_id: str, *, ttl_seconds: int) -> bool:
        """True the first time ``event_id`` is seen in ``scope`` across all processes."""
        key = self.keys.once(scope, event_id)
        done = await self._call(
            lambda: self.batcher.execute("SET", key, b"1", "NX", "EX", ttl_seconds)
        )
        return bool(done)

    async def erase(self, user: UserRef) -> int:
        keys = [self.keys.index(user), *(self.keys.value(user, n) for n in sorted(USER_VALUES))]

        async def erase() -> Any:
            async with asyncio.timeout(self.command_timeout):
                return await self._erase(keys=keys)

        deleted = await self._call(erase)
        return int(deleted)

    async def keys_of(self, user: UserRef) -> list[str]:
        async def existing() -> list[str]:
            members = await self.batcher.execute("SMEMBERS", self.keys.index(user))
            names = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
            names += [self.keys.value(user, n) for n in sorted(USER_VALUES)]
            return [name for name in names if await self.batcher.execute("EXISTS", name)]

        return await self._call(existing)

    async def ping(self) -> bool:
        try:
            return bool(await self.batcher.execute("PING"))
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.client.aclose()
