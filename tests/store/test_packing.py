"""hiredis packing sends exactly the bytes redis-py would (a wrong byte would corrupt data)."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError

from bot.store.packing import HiredisPacking, pack_with_hiredis


@pytest.mark.parametrize(
    "args",
    [
        ("GET", "kc:s:tg:42:slot"),
        ("CONFIG GET", "maxmemory"),
        (b"CLIENT SETNAME", b"kneecheck"),
        ("SET", "k", '{"a":"Über 40 · ☕"}', "PX", 7_776_000_000),
        ("EVALSHA", "a" * 40, 2, "k1", "k2", b"\x00\xff", 3.5, -1),
        ("SET", "k", memoryview(b"bytes in a view")),
    ],
)
def test_same_bytes_as_redis_py(args: tuple[Any, ...]) -> None:
    ours = pack_with_hiredis(aioredis.Redis()).connection_pool.connection_class()
    assert isinstance(ours, HiredisPacking)
    assert b"".join(ours.pack_command(*args)) == b"".join(Connection().pack_command(*args))


def test_what_redis_py_refuses_is_refused_the_same_way() -> None:
    ours = pack_with_hiredis(aioredis.Redis()).connection_pool.connection_class()
    with pytest.raises(DataError):
        ours.pack_command("SET", "k", None)  # type: ignore[arg-type]


def test_tls_and_unix_connections_keep_their_kind() -> None:
    for url, kind in (
        ("rediss://example.org:6380/0", SSLConnection),
        ("unix:///tmp/redis.sock", UnixDomainSocketConnection),
    ):
        pool = pack_with_hiredis(aioredis.Redis.from_url(url)).connection_pool
        assert issubclass(pool.connection_class, kind)
        assert issubclass(pool.connection_class, HiredisPacking)
