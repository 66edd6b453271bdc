"""Sessions in Redis: one GET to load, one script call to compare-and-set.

The compare-and-set is a Lua script rather than WATCH/MULTI/EXEC so a turn
costs exactly two commands and two round trips. The script reads the stored
version from the JSON's leading ``{"v":N`` (the session always serialises
``v`` first) instead of decoding it, keeps the user's key index, and sets the
TTL so abandoned conversations expire on their own.

The outbox (issue 13, "lost turns"). A platform event is marked as seen before its turn runs,
so if the replies of a saved turn were never sent, a re-delivery would be dropped and the user
left without their next question. So the same script that saves a session can write the turn's
replies to the user's outbox, a hash ``kc:{user}:outbox``: ``e:<event>`` holds the replies and
``c:<event>`` a claim, the Redis time until which the writer alone may send them. Sent, they are
deleted (:meth:`RedisSessionStore.settle`); not sent, the claim is released with what is still
owed. A re-delivery of the event, or the user's next action, claims what nobody is sending
(:meth:`~RedisSessionStore.claim`, atomic, so two processes never send one entry twice) and
sends it. The hash expires with the once-only markers (a day), and /forget deletes it.

/forget and work in flight (issue 13, "forget races"). /forget must not run while a turn's
replies are being sent, or what that turn writes afterwards (the question pointer, reminders
and their jobs) would outlive the erase. A claimed outbox entry already says "a turn is in
flight for this user", in every process, at no extra cost; other work notes itself in the same
hash (``w:<token>``, :meth:`~RedisSessionStore.hold_work`), and a reminder delivery holds its
lease value. :meth:`~RedisSessionStore.forget` checks all of that and erases in one script, so
no in-flight work can begin writing between the check and the erase; the caller retries until
the work is done (claims expire, so a dead process delays a forget by one lease at most).
Writes that can come after a turn's replies (the question pointer) are made only while the
session still exists (:meth:`~RedisSessionStore.settle`): never after an erase.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.engine.session import Session
from bot.metrics import ERRORS
from bot.store.base import Claimed, Entry, Erased, Loaded, Once, StoreUnavailable
from bot.store.batching import CommandBatcher
from bot.store.keys import CORE_VALUES, OUTBOX, KeyBuilder, UserRef
from bot.store.packing import pack_with_hiredis

log = logging.getLogger(__name__)
T = TypeVar("T")

_NOW = """
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
"""
"""Claims are compared on Redis's clock, the one clock every process shares."""

_CAS = """
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(string.match(cur, '^{"v":(%d+)')) or -1 end
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if not cur then redis.call('SADD', KEYS[2], KEYS[1]) end
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if KEYS[3] then"""
_CAS += _NOW
_CAS += """
  local claim = string.format('%.0f', now + tonumber(ARGV[7]))
  redis.call('HSET', KEYS[3], 'e:' .. ARGV[4], ARGV[5], 'c:' .. ARGV[4], claim)
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[6]) then
    redis.call('PEXPIRE', KEYS[3], ARGV[6])
  end
end
return 1
"""

_CLAIM = (
    _NOW
    + """
local all = redis.call('HGETALL', KEYS[1])
local claims = {}
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'c:' then claims[string.sub(all[i], 3)] = tonumber(all[i + 1]) end
end
local out = {0}
local deadline = string.format('%.0f', now + tonumber(ARGV[1]))
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'e:' then
    local key = string.sub(all[i], 3)
    local claim = claims[key]
    if claim and claim > now then
      if key == ARGV[2] then out[1] = 1 end
    else
      redis.call('HSET', KEYS[1], 'c:' .. key, deadline)
      out[#out + 1] = key
      out[#out + 1] = all[i + 1]
    end
  end
end
return out
"""
)

_SETTLE = """
local values = #KEYS - 2
if values > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  for i = 1, values do redis.call('SET', KEYS[2 + i], ARGV[1 + i], 'PX', ARGV[1]) end
end
local at = 2 + values
local sent = tonumber(ARGV[at])
for i = 1, sent do redis.call('HDEL', KEYS[1], 'e:' .. ARGV[at + i], 'c:' .. ARGV[at + i]) end
at = at + sent + 1
for i = 0, tonumber(ARGV[at]) - 1 do
  local key, packed = ARGV[at + 1 + 2 * i], ARGV[at + 2 + 2 * i]
  if redis.call('HEXISTS', KEYS[1], 'e:' .. key) == 1 then
    if packed ~= '' then redis.call('HSET', KEYS[1], 'e:' .. key, packed) end
    redis.call('HDEL', KEYS[1], 'c:' .. key)
  end
end
return 1
"""

_REPACK = """
if redis.call('HEXISTS', KEYS[1], 'e:' .. ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'e:' .. ARGV[1], ARGV[2])
end
return 1
"""

_HOLD = (
    _NOW
    + """
redis.call('HSET', KEYS[1], 'w:' .. ARGV[1], string.format('%.0f', now + tonumber(ARGV[2])))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
)

_FORGET = (
    """
local held, returned = tonumber(ARGV[1]), tonumber(ARGV[2])
if ARGV[3] ~= '1' then"""
    + _NOW
    + """
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    local kind = string.sub(all[i], 1, 2)
    if (kind == 'c:' or kind == 'w:') and tonumber(all[i + 1]) > now then return {-1} end
  end
  for i = 3, 2 + held do
    if redis.call('EXISTS', KEYS[i]) == 1 then return {-1} end
  end
end
local out = {0}
for i = 3 + held, 2 + held + returned do out[#out + 1] = redis.call('GET', KEYS[i]) or '' end
local n = 0
for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do n = n + redis.call('DEL', k) end
for i = 2, #KEYS do n = n + redis.call('DEL', KEYS[i]) end
out[1] = n + redis.call('DEL', KEYS[1])
return out
"""
)

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
        values: Iterable[str] = (),
    ) -> None:
        self.client = client
        self.values = CORE_VALUES | frozenset(values)
        """Every per-user value that may be written: the core's and the channels' (see
        :data:`bot.store.keys.CORE_VALUES`)."""
        self.user_keys = self.values | {OUTBOX}
        """The names of every per-user key other than sessions (which the key index lists)."""
        self.command_timeout = command_timeout
        self.ttl_seconds = ttl_seconds
        self.ttl_ms = ttl_seconds * 1000
        self.keys = keys or KeyBuilder()
        self.batcher = CommandBatcher(client, timeout=command_timeout)
        self._cas = client.register_script(_CAS)
        self._erase = client.register_script(_ERASE)
        self._replace = client.register_script(_REPLACE)
        self._touch = client.register_script(_TOUCH)
        self._claim = client.register_script(_CLAIM)
        self._settle = client.register_script(_SETTLE)
        self._repack = client.register_script(_REPACK)
        self._hold = client.register_script(_HOLD)
        self._forget = client.register_script(_FORGET)

    @classmethod
    def from_url(
        cls, url: str, *, ttl_seconds: int, values: Iterable[str] = (), **kwargs: Any
    ) -> RedisSessionStore:
        """A client on ``url``: 5 s to connect, 5 s for a pipeline's replies (see
        :class:`CommandBatcher`: no per-reply ``socket_timeout``)."""
        client = aioredis.Redis.from_url(
            url, socket_connect_timeout=5, health_check_interval=30, **kwargs
        )
        return cls(
            pack_with_hiredis(client), ttl_seconds=ttl_seconds, command_timeout=5, values=values
        )

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

    async def load_turn(self, user: UserRef, flow: str, *, once: Once | None = None) -> Loaded:
        """Read the session and the outbox's size (and mark ``once`` seen): one round trip.

        HLEN is all a turn pays for the outbox when nothing is owed, which is nearly always.
        """
        commands: list[tuple[Any, ...]] = [
            ("GET", self.keys.session(user, flow)),
            ("HLEN", self.keys.value(user, OUTBOX)),
        ]
        if once is not None:
            marker = self.keys.once(once.scope, once.event_id)
            commands.append(("SET", marker, b"1", "NX", "EX", once.ttl_seconds))
        replies = await self._call(lambda: self.batcher.execute_together(*commands))
        first = once is None or bool(replies[2])
        return Loaded(first, self._session(replies[0], flow), bool(replies[1]))

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
        self,
        user: UserRef,
        session: Session,
        *,
        expected: int,
        slot: str | None = None,
        entry: Entry | None = None,
    ) -> bool:
        """``slot`` names the key (default: the session's flow); one user's conversation
        keeps one slot whichever flow it runs, so a check-in replaces the check in place.
        ``entry`` goes to the outbox in the same script: a saved turn always owes its replies."""
        key, index = self.keys.session(user, slot or session.flow), self.keys.index(user)
        if entry is None:
            args: tuple[Any, ...] = (key, index, expected, session.dump(), self.ttl_ms)
            done = await self._call(lambda: self._script(self._cas, *args))
            return bool(done)
        outbox = self.keys.value(user, OUTBOX)
        args = (key, index, outbox, expected, session.dump(), self.ttl_ms, entry.key)
        args += (entry.packed, entry.ttl_seconds * 1000, entry.lease_seconds * 1000)
        done = await self._call(lambda: self._script(self._cas, *args, numkeys=3))
        return bool(done)

    async def repack(self, user: UserRef, key: str, packed: bytes) -> None:
        outbox = self.keys.value(user, OUTBOX)
        await self._call(lambda: self._script(self._repack, outbox, key, packed, numkeys=1))

    async def claim(self, user: UserRef, *, lease_seconds: int, own: str | None = None) -> Claimed:
        outbox = self.keys.value(user, OUTBOX)
        args = (outbox, lease_seconds * 1000, own or "")
        raw = await self._call(lambda: self._script(self._claim, *args, numkeys=1))
        busy, *flat = raw
        entries = tuple(
            (_text(key), bytes(value)) for key, value in zip(flat[::2], flat[1::2], strict=True)
        )
        return Claimed(entries, bool(busy))

    async def settle(
        self,
        user: UserRef,
        *,
        sent: Sequence[str] = (),
        left: Mapping[str, bytes | None] | None = None,
        values: Mapping[str, str] | None = None,
        anchor: str,
    ) -> None:
        """One script: the values only while the session in slot ``anchor`` exists, then the
        outbox. A forget in between (only possible once a claim expired) leaves nothing."""
        values = values or {}
        left = left or {}
        keys = [self.keys.value(user, OUTBOX), self.keys.session(user, anchor)]
        keys += [self._value_key(user, name) for name in values]
        args: list[Any] = [self.ttl_ms, *values.values(), len(sent), *sent, len(left)]
        for key, packed in left.items():
            args += [key, packed or b""]
        await self._call(lambda: self._script(self._settle, *keys, *args, numkeys=len(keys)))

    async def hold_work(self, user: UserRef, token: str, *, lease_seconds: int) -> None:
        outbox = self.keys.value(user, OUTBOX)
        args = (outbox, token, lease_seconds * 1000)
        await self._call(lambda: self._script(self._hold, *args, numkeys=1))

    async def drop_work(self, user: UserRef, token: str) -> None:
        outbox = self.keys.value(user, OUTBOX)
        await self._call(lambda: self.batcher.execute("HDEL", outbox, f"w:{token}"))

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
        """Keep a small per-user value (one of :attr:`values`), expiring like a session."""
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
        if name not in self.values:
            raise ValueError(f"{name!r} is not a declared user value: /forget would not erase it")
        return self.keys.value(user, name)

    async def get_value(self, user: UserRef, name: str) -> str | None:
        raw = await self._call(lambda: self.batcher.execute("GET", self.keys.value(user, name)))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def touch(self, user: UserRef) -> None:
        """The user was active: every per-user value expires RETENTION after now, not before."""
        keys = [self.keys.value(user, n) for n in sorted(self.values)]
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
        keys = [self.keys.index(user), *(self.keys.value(user, n) for n in sorted(self.user_keys))]

        async def erase() -> Any:
            async with asyncio.timeout(self.command_timeout):
                return await self._erase(keys=keys)

        deleted = await self._call(erase)
        return int(deleted)

    async def forget(
        self,
        user: UserRef,
        *,
        held: Sequence[str] = (),
        returned: Sequence[str] = (),
        force: bool = False,
    ) -> Erased | None:
        """The in-flight check and the erase are one script: no work can start writing
        between them, and whatever it wrote before is erased."""
        for name in (*held, *returned):
            self._value_key(user, name)  # a name /forget would not erase is a bug
        returned = [name for name in returned if name not in held]
        rest = sorted(self.user_keys - {OUTBOX, *held, *returned})
        keys = [self.keys.index(user), self.keys.value(user, OUTBOX)]
        keys += [self.keys.value(user, name) for name in (*held, *returned, *rest)]
        args = (len(held), len(returned), "1" if force else "0")

        async def erase() -> Any:
            async with asyncio.timeout(self.command_timeout):
                return await self._forget(keys=keys, args=args)

        deleted, *values = await self._call(erase)
        if int(deleted) < 0:
            return None
        return Erased(
            int(deleted), {n: _text(v) or None for n, v in zip(returned, values, strict=True)}
        )

    async def keys_of(self, user: UserRef) -> list[str]:
        async def existing() -> list[str]:
            members = await self.batcher.execute("SMEMBERS", self.keys.index(user))
            names = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
            names += [self.keys.value(user, n) for n in sorted(self.user_keys)]
            return [name for name in names if await self.batcher.execute("EXISTS", name)]

        return await self._call(existing)

    async def ping(self) -> bool:
        try:
            return bool(await self.batcher.execute("PING"))
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.client.aclose()


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
