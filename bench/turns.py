"""Benchmark: conversation turns through Conversations on a real redis-server.

2,000 users each hold a whole conversation (consent to assessment), 100 users in
flight at once, against a redis-server this script starts on a free loopback
port. Prints throughput, CPU per turn, latency percentiles, Redis commands and
round trips per turn, and the bytes a mid-flow session takes in Redis.

Reproduce with:  make bench   (or: .venv/bin/python -m bench.turns --users 2000 --in-flight 100)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis.asyncio as aioredis

from bot.catalog.loader import load_catalog
from bot.conversations import Conversations
from bot.engine import Choose, Event, Start, Submit, Toggle
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore
from tests.redis_server import RedisServer

# A whole conversation; each entry is (event kind, step, option) or ("start",).
SCRIPT: list[tuple[str, ...]] = [
    ("start",),
    ("choose", "consent", "agree"),
    ("toggle", "red_flags", "none"),
    ("submit", "red_flags"),
    ("choose", "location", "behind"),
    ("choose", "behind_muscle", "calf"),
    ("toggle", "triggers", "exercise"),
    ("toggle", "triggers", "dehydration"),
    ("submit", "triggers"),
    ("choose", "frequency", "weekly"),
    ("choose", "water", "low"),
    ("choose", "diet", "mixed"),
    ("choose", "activity", "heavy"),
    ("choose", "sitting", "h4_8"),
    ("choose", "age", "a40_54"),
    ("toggle", "conditions", "none"),
    ("submit", "conditions"),
    ("toggle", "risks", "none"),
    ("submit", "risks"),
    ("choose", "walking", "no"),
]
MID_FLOW = 9  # turns played by the users whose stored size is measured (at "frequency")


def event_for(step: tuple[str, ...], shown: int) -> Event:
    match step:
        case ("start",):
            return Start()
        case ("choose", s, o):
            return Choose(s, o, shown)
        case ("toggle", s, o):
            return Toggle(s, o, shown)
        case ("submit", s):
            return Submit(s, shown)
    raise ValueError(step)


async def play(chat: Conversations, user: UserRef, turns: int, latencies: list[float]) -> None:
    shown = 0
    for step in SCRIPT[:turns]:
        started = time.perf_counter()
        turn = await chat.handle(user, event_for(step, shown))
        latencies.append(time.perf_counter() - started)
        questions = [r for r in turn.replies if r.kind == "question"]
        if questions:
            shown = questions[-1].version


async def run(users: int, in_flight: int, url: str) -> dict[str, float]:
    client = aioredis.Redis.from_url(url)
    store = RedisSessionStore(client, ttl_seconds=7 * 86_400)
    chat = Conversations(load_catalog(), store, salt=b"bench")
    await client.flushdb()
    await client.script_load("return 1")  # warm the connection pool
    for u in range(min(in_flight, users)):  # warm-up: scripts loaded, pool filled
        await play(chat, UserRef("bench", f"warm{u}"), len(SCRIPT), [])
    await client.config_resetstat()
    info_before = await client.info("cpu")
    commands_before, pipelines_before = store.batcher.commands, store.batcher.pipelines

    latencies: list[float] = []
    gate = asyncio.Semaphore(in_flight)

    async def one(u: int) -> None:
        async with gate:
            await play(chat, UserRef("bench", str(u)), len(SCRIPT), latencies)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(u) for u in range(users)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0

    turns = len(latencies)
    commands = store.batcher.commands - commands_before
    pipelines = store.batcher.pipelines - pipelines_before
    stats = await client.info("commandstats")
    info_after = await client.info("cpu")
    server_side = sum(
        int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_config", "cmdstat_info")
    )
    redis_cpu = sum(
        float(info_after[k]) - float(info_before[k]) for k in ("used_cpu_sys", "used_cpu_user")
    )

    # Stored size of sessions in the middle of the flow.
    sizes, memory = [], []
    for u in range(50):
        user = UserRef("mid", str(u))
        await play(chat, user, MID_FLOW, [])
        key = store.keys.session(user, "kneecheck")
        sizes.append(int(await client.strlen(key)))
        memory.append(int(await client.memory_usage(key) or 0))
    await client.aclose()

    q = statistics.quantiles(latencies, n=100)
    return {
        "users": users,
        "in_flight": in_flight,
        "turns": turns,
        "seconds": wall,
        "turns_per_second": turns / wall,
        "cpu_us_per_turn": cpu / turns * 1e6,
        "redis_cpu_us_per_turn": redis_cpu / turns * 1e6,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        # Each command is awaited on its own: commands per turn = sequential round trips
        # per turn; concurrent turns share pipelines (network writes).
        "redis_commands_per_turn": commands / turns,
        "round_trips_per_turn": commands / turns,
        "pipelines_per_turn": pipelines / turns,
        "server_commands_per_turn_incl_script": server_side / turns,
        "session_bytes_mid_flow": statistics.mean(sizes),
        "session_memory_usage_mid_flow": statistics.mean(memory),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        server.start()
        try:
            figures = asyncio.run(run(args.users, args.in_flight, server.url))
        finally:
            server.stop()
    command = " ".join([".venv/bin/python", "-m", "bench.turns", *sys.argv[1:]])
    print(f"command: {command}  (or: make bench)")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(
            f"{key:<{width}}  {value:,.2f}"
            if isinstance(value, float)
            else f"{key:<{width}}  {value}"
        )


if __name__ == "__main__":
    main()
