"""Benchmark: reminders scheduled, stored in Redis and delivered, on a real redis-server.

Everything runs against a redis-server this script starts on a free loopback port
(and stops, also on Ctrl-C); nothing touches a Redis you already run.

1. Scheduling: ``--reminders`` reminders (stretch + hydration + check-in for each of
   ceil(reminders / 3) users) set up through ``ReminderService.set_up``, the path a
   finished follow-up offer takes: a compare-and-set of the user's stored reminders,
   then one saq job per occurrence. ``--concurrency`` set-ups in flight. Counted: the
   occurrences actually stored, checked against the jobs in saq's ``incomplete`` set.
2. Memory: ``INFO memory`` used_memory (after ``MEMORY PURGE``, with the bot's connection
   pools closed: their buffers would swamp it) on the empty server with the scripts loaded,
   and after scheduling; the difference per reminder. Then ``MEMORY USAGE ... SAMPLES 0``
   of every key, split into the stored reminders values, saq's job keys and saq's
   ``incomplete`` sorted set (the rest of the difference is the keyspace's own tables:
   key dict, expires dict, allocator slack).
3. Delivery: the database is flushed (the 100,000 reminders above fall due at whole local
   hours, so some would land in the middle of a batch), then each of ``--limited`` and
   ``--deliver`` users gets one hydration reminder due a few seconds from now
   (``ReminderService.replace``), and real saq workers (``build_worker``, as
   ``kneecheck worker`` builds them; ``--processes`` runs real ``kneecheck worker``
   processes instead) deliver them through the Telegram courier (PTB ``ExtBot`` and
   ``AIORateLimiter``) to the loopback fake Bot API of the test suite. The ``--limited``
   batch runs at Telegram's overall limit (``--max-rate``, 30 messages/s), the
   ``--deliver`` batch with the limit lifted (``TELEGRAM_MAX_RATE=0``) to show the
   worker's own headroom. Reported: delivered/s, duplicates and missing (both must be
   0), lateness (the fake's receipt time minus the due time) p50/p99/max, the busiest
   second, and that every stored reminder moved on to its next occurrence.

Reproduce with:  make bench-reminders
  (or: .venv/bin/python -m bench.reminders --reminders 100000 --concurrency 200
       --limited 600 --max-rate 30 --deliver 3000 --workers 1 --worker-concurrency 10)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import functools
import logging
import math
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import redis.asyncio as aioredis
from pydantic import SecretStr
from saq import Worker
from saq.types import Context

from bot import metrics
from bot.channels import registry
from bot.parts import App
from bot.reminders import model
from bot.reminders.model import Reminder, Reminders
from bot.reminders.queue import QUEUE_NAME
from bot.reminders.worker import build_worker
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.fakes.telegram import JSON, FakeTelegram
from tests.redis_server import RedisServer

os.environ.setdefault("PTB_TIMEDELTA", "true")
# saq warns on every in-process worker stop that its upkeep loops (asleep for up to the sweep
# interval) outlived the grace period and were cancelled: expected here, so only errors show.
logging.getLogger("saq").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-not-a-real-token"
SALT = "bench-salt"
KINDS = ("stretch", "hydration", "checkin")
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
STRETCH_AT = dt.time(8)
SCHEDULED_FIRST = 1_000_000  # user ids of the scheduling phase
LIMITED_FIRST = 2_000_000  # ... of the rate-limited delivery batch
UNLIMITED_FIRST = 3_000_000  # ... of the unlimited one
QUEUE = f"saq:{QUEUE_NAME}"
INCOMPLETE = f"{QUEUE}:incomplete"
JOB_PREFIX = f"saq:job:{QUEUE_NAME}:"


def settings_for(
    url: str, *, base_url: str | None = None, max_rate: float = 30, worker_concurrency: int = 10
) -> Settings:
    """The bot's settings for this bench; no ``.env`` read, so a developer's file is ignored."""
    return Settings(
        _env_file=None,
        redis_url=url,
        log_salt=SecretStr(SALT),
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=base_url,
        telegram_max_rate=max_rate,
        worker_concurrency=worker_concurrency,
    )


def quantile_ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


async def in_lanes(count: int, lanes: int, one: Callable[[int], Awaitable[None]]) -> None:
    """``one(n)`` for n in range(count), at most ``lanes`` at once (no task per item)."""
    numbers: Iterator[int] = iter(range(count))

    async def lane() -> None:
        for n in numbers:  # shared iterator: each number is taken by exactly one lane
            await one(n)

    await asyncio.gather(*(lane() for _ in range(min(lanes, count))))


async def redis_cpu(client: aioredis.Redis) -> float:
    info = await client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


async def used_memory(url: str) -> int:
    """used_memory with only this one connection open (the bot's pools closed before)."""
    client = aioredis.Redis.from_url(url)
    try:
        for _ in range(50):  # the server frees a closed connection's buffers on its next tick
            if int((await client.info("clients"))["connected_clients"]) == 1:
                break
            await asyncio.sleep(0.02)
        await client.memory_purge()
        return int((await client.info("memory"))["used_memory"])
    finally:
        await client.aclose()


class BenchRedis(RedisServer):
    """The suite's redis-server, started in a session of its own: a Ctrl-C in the terminal
    then reaches the bench alone, which stops its workers first and the server last."""

    def start(self, timeout: float = 10.0) -> None:
        own_session = functools.partial(subprocess.Popen, start_new_session=True)
        with mock.patch.object(subprocess, "Popen", own_session):
            super().start(timeout)


# -- 1 and 2: scheduling and memory ------------------------------------------------------------


async def schedule_phase(
    url: str, reminders: int, concurrency: int, profile: cProfile.Profile | None
) -> dict[str, Any]:
    users = math.ceil(reminders / len(KINDS))
    # Warm-up (scripts loaded), then an empty database. used_memory is read with every pool
    # closed, before and after: hundreds of open connections' buffers would swamp it.
    warm_app = build_app(settings_for(url))
    try:

        async def warm(n: int) -> None:
            user = UserRef("tg", f"9{n}")
            await warm_app.reminders.set_up(user, KINDS, at=STRETCH_AT, zone="UTC")

        await in_lanes(concurrency, concurrency, warm)
        await warm_app.store.client.flushall()
    finally:
        await warm_app.close()
    memory_before = await used_memory(url)

    app = build_app(settings_for(url))
    client = app.store.client
    try:
        redis_cpu_before = await redis_cpu(client)
        latencies: list[float] = []
        stored = 0

        async def one(n: int) -> None:
            nonlocal stored
            user = UserRef("tg", str(SCHEDULED_FIRST + n))
            started = time.perf_counter()
            after = await app.reminders.set_up(
                user, KINDS, at=STRETCH_AT, zone=ZONES[n % len(ZONES)]
            )
            latencies.append(time.perf_counter() - started)
            stored += len(model.occurrences(after))

        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        try:
            await in_lanes(users, concurrency, one)
        finally:
            if profile is not None:
                profile.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        server_cpu = await redis_cpu(client) - redis_cpu_before
        queued = int(await client.zcard(INCOMPLETE))
    finally:
        await app.close()

    memory_after = await used_memory(url)
    client = aioredis.Redis.from_url(url)
    try:
        split = await memory_split(client)
        offsets = await scheduled_offsets(client)
    finally:
        await client.aclose()

    delta = memory_after - memory_before
    per = max(stored, 1)
    listed = sum(bytes_ for bytes_, _ in split.values())
    return {
        "users": users,
        "stored": stored,
        "queued": queued,
        "seconds": wall,
        "reminders_per_second": stored / wall,
        "users_per_second": users / wall,
        "p50_ms": quantile_ms(latencies, 50),
        "p99_ms": quantile_ms(latencies, 99),
        "cpu_us": cpu / per * 1e6,
        "redis_cpu_us": server_cpu / per * 1e6,
        "memory_delta": delta,
        "bytes_per_reminder": delta / per,
        "split": {name: (bytes_ / per, count) for name, (bytes_, count) in split.items()},
        "other_per_reminder": (delta - listed) / per,
        "offsets": offsets,
    }


def category(key: str) -> str:
    if key.startswith(JOB_PREFIX):
        return "saq job keys"
    if key == INCOMPLETE:
        return "saq incomplete zset"
    if key.startswith("saq:"):
        return "saq other (stats, locks)"
    if key.endswith(":reminders"):
        return "stored reminders values"
    return "other keys"


async def memory_split(client: aioredis.Redis) -> dict[str, tuple[int, int]]:
    """``MEMORY USAGE key SAMPLES 0`` (exact, also for the sorted set) of every key, by kind."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    batch: list[str] = []

    async def measure() -> None:
        async with client.pipeline(transaction=False) as pipe:
            for key in batch:
                pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0")
            sizes = await pipe.execute()
        for key, size in zip(batch, sizes, strict=True):
            entry = totals[category(key)]
            entry[0] += int(size or 0)
            entry[1] += 1
        batch.clear()

    async for raw in client.scan_iter(count=2000):
        batch.append(raw.decode() if isinstance(raw, bytes) else str(raw))
        if len(batch) >= 2000:
            await measure()
    if batch:
        await measure()
    return {name: (b, n) for name, (b, n) in sorted(totals.items())}


async def scheduled_offsets(client: aioredis.Redis) -> Counter[int]:
    """Seconds between each job's saq scheduled time (its score) and the due time in its key."""
    offsets: Counter[int] = Counter()
    cursor = 0
    while True:
        cursor, page = await client.zscan(INCOMPLETE, cursor, count=5000)
        for member, score in page:
            name = member.decode() if isinstance(member, bytes) else str(member)
            offsets[int(score) - int(name.rsplit("|", 1)[1])] += 1
        if cursor == 0:
            return offsets


# -- 3: delivery ----------------------------------------------------------------------------------


class TimedTelegram(FakeTelegram):
    """The suite's fake Bot API, also noting when each sendMessage was accepted."""

    def __init__(self) -> None:
        super().__init__(TOKEN)
        self.sent_at: dict[int, list[float]] = defaultdict(list)

    async def _api_sendmessage(self, params: JSON) -> JSON:
        message = await super()._api_sendmessage(params)
        self.sent_at[int(message["chat"]["id"])].append(time.time())
        return message


@contextlib.asynccontextmanager
async def in_process_workers(
    settings: Settings, count: int
) -> AsyncIterator[list[Worker[Context]]]:
    """``count`` saq workers as ``kneecheck worker`` builds them, each with its own app (so
    its own connections, PTB bot and rate limiter, as in separate processes), in this loop."""
    apps: list[App] = []
    workers: list[Worker[Context]] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for _ in range(count):
            app = build_app(settings)
            apps.append(app)
            worker = build_worker(app, registry.couriers(app), grace_seconds=1)
            worker.SIGNALS = []  # Ctrl-C is the bench's: it cancels, the finally below stops
            workers.append(worker)
            tasks.append(asyncio.create_task(worker.start()))
        yield workers
    finally:
        for worker in workers:
            with contextlib.suppress(Exception):
                await worker.stop()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for app in apps:
            with contextlib.suppress(Exception):
                await app.close()


@contextlib.asynccontextmanager
async def worker_processes(
    fake: FakeTelegram, url: str, count: int, max_rate: float, concurrency: int
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """``count`` real ``kneecheck worker`` processes, configured through the environment."""
    env = {
        **os.environ,
        "REDIS_URL": url,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_MAX_RATE": str(max_rate),
        "WORKER_CONCURRENCY": str(concurrency),
        "LOG_SALT": SALT,
        "LOG_LEVEL": "WARNING",
        "PTB_TIMEDELTA": "true",
    }
    processes: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(count):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "worker",
                    cwd=ROOT,
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        yield processes
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()  # SIGTERM: saq finishes the jobs in hand, then exits
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except (TimeoutError, asyncio.CancelledError):
                process.kill()
                await process.wait()


async def workers_ready(client: aioredis.Redis, count: int, within: float = 30) -> None:
    """Wait until ``count`` workers have written their saq worker info (they poll from then)."""
    deadline = time.monotonic() + within
    while int(await client.zcard(f"{QUEUE}:stats")) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} worker(s) did not start within {within:.0f} s")
        await asyncio.sleep(0.05)


def outcome_counts() -> dict[str, float]:
    """The worker's own counters (in-process workers only: the registry is this process's)."""
    sample = metrics.REGISTRY.get_sample_value
    found = {
        "sent": sample("kneecheck_reminders_sent_total", {"kind": "hydration"}),
        "late": sample("kneecheck_reminders_dropped_total", {"reason": "late"}),
        "stale": sample("kneecheck_reminders_dropped_total", {"reason": "stale"}),
        "busy": sample("kneecheck_reminders_failed_total", {"reason": "busy"}),
        "error": sample("kneecheck_reminders_failed_total", {"reason": "error"}),
    }
    return {k: v or 0.0 for k, v in found.items()}


def busiest_second(times: list[float]) -> int:
    ordered, start, best = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def delivery_run(
    url: str,
    fake: TimedTelegram,
    *,
    users: int,
    first: int,
    max_rate: float,
    workers: int,
    worker_concurrency: int,
    processes: bool,
    scheduling_rate: float,
) -> dict[str, Any]:
    client = aioredis.Redis.from_url(url)
    scheduler = build_app(settings_for(url))
    try:
        await client.flushall()
        counts_before = outcome_counts()
        cpu0 = time.process_time()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        redis_cpu_before = await redis_cpu(client)
        settings = settings_for(
            url, base_url=fake.base_url, max_rate=max_rate, worker_concurrency=worker_concurrency
        )
        runner: contextlib.AbstractAsyncContextManager[Any] = (
            worker_processes(fake, url, workers, max_rate, worker_concurrency)
            if processes
            else in_process_workers(settings, workers)
        )
        async with runner:
            await workers_ready(client, workers)
            # Due once every reminder is stored and queued: scheduling takes users/rate.
            due = math.ceil(time.time() + 2 + 1.5 * users / scheduling_rate)

            async def one(n: int) -> None:
                reminder = Reminder(
                    id="hydration", kind="hydration", zone="UTC", times=(dt.time(10),), due=due
                )
                await scheduler.reminders.replace(
                    UserRef("tg", str(first + n)), Reminders(items={"hydration": reminder})
                )

            await in_lanes(users, 200, one)
            ahead = due - time.time()
            chats = range(first, first + users)
            expected = users / max_rate if max_rate else users / 50
            deadline = due + 2 * expected + 30
            known = len(fake.sent_at)  # chats of earlier batches; this batch's users are new
            with contextlib.suppress(AssertionError):  # not all in time: reported as missing
                await fake.wait_for(
                    lambda: len(fake.sent_at) - known >= users, max(deadline - time.time(), 1)
                )
            await asyncio.sleep(2)  # a duplicate would arrive now: retried or swept jobs
            moved_on = await moved_on_count(client, chats, due)
            active = await list_length(client, f"{QUEUE}:active")
            queued_next = int(await client.zcard(INCOMPLETE))
        cpu = time.process_time() - cpu0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (
            children.ru_utime + children.ru_stime - children0.ru_utime - children0.ru_stime
        )
        server_cpu = await redis_cpu(client) - redis_cpu_before
    finally:
        await scheduler.close()
        await client.aclose()

    sent = {c: fake.sent_at[c] for c in chats if c in fake.sent_at}
    times = [t for c in sent for t in sent[c]]
    firsts = [min(ts) for ts in sent.values()]
    lateness = [t - due for t in firsts]
    delivered = len(sent)
    counts_after = outcome_counts()
    span = (max(times) - min(times)) if len(times) > 1 else float("nan")
    return {
        "users": users,
        "max_rate": max_rate,
        "scheduled_ahead_s": ahead,
        "delivered": delivered,
        "missing": users - delivered,
        "duplicates": len(times) - delivered,
        "per_second": (len(times) - 1) / span if len(times) > 1 else float("nan"),
        "due_to_first_s": (min(times) - due) if times else float("nan"),
        "due_to_last_s": (max(times) - due) if times else float("nan"),
        "busiest_second": busiest_second(times),
        "late_p50_s": quantile_ms(lateness, 50) / 1000,
        "late_p99_s": quantile_ms(lateness, 99) / 1000,
        "late_max_s": max(lateness) if lateness else float("nan"),
        "moved_on": moved_on,
        "active_left": active,
        "next_queued": queued_next,
        "outcomes": None
        if processes
        else {k: int(counts_after[k] - counts_before[k]) for k in counts_after},
        "processes": processes,
        "cpu_ms_per_delivery": cpu / max(delivered, 1) * 1000,
        "workers_cpu_ms_per_delivery": workers_cpu / max(delivered, 1) * 1000,
        "redis_cpu_ms_per_delivery": server_cpu / max(delivered, 1) * 1000,
    }


async def list_length(client: aioredis.Redis, key: str) -> int:
    length: Awaitable[int] | int = client.llen(key)  # redis-py types it for sync and async
    return length if isinstance(length, int) else await length


async def moved_on_count(client: aioredis.Redis, chats: range, due: int) -> int:
    """Users whose stored reminder now points past ``due`` (its occurrence was delivered)."""
    keys = [f"kc:{{tg:{c}}}:reminders" for c in chats]
    moved = 0
    for start in range(0, len(keys), 1000):
        for raw in await client.mget(keys[start : start + 1000]):
            item = model.parse(raw.decode() if raw else None).items.get("hydration")
            moved += item is not None and (item.due or 0) > due
    return moved


# -- the whole run --------------------------------------------------------------------------------


async def run(args: argparse.Namespace, url: str, profile: cProfile.Profile | None) -> None:
    scheduling: dict[str, Any] | None = None
    if args.reminders > 0:
        print(
            f"scheduling {args.reminders:,} reminders, {args.concurrency} set-ups in flight ...",
            flush=True,
        )
        scheduling = await schedule_phase(url, args.reminders, args.concurrency, profile)
        print_scheduling(scheduling)
    rate = scheduling["users_per_second"] if scheduling else 500.0
    runs: list[tuple[str, dict[str, Any]]] = []
    async with TimedTelegram() as fake:
        for label, users, first, max_rate in (
            (f"limited ({args.max_rate:g}/s)", args.limited, LIMITED_FIRST, args.max_rate),
            ("unlimited", args.deliver, UNLIMITED_FIRST, 0.0),
        ):
            if users <= 0:
                continue
            where = "worker process(es)" if args.processes else "in-process worker(s)"
            print(
                f"\ndelivering {users:,} reminders, {label}, {args.workers} {where} "
                f"x {args.worker_concurrency} jobs at once ...",
                flush=True,
            )
            figures = await delivery_run(
                url,
                fake,
                users=users,
                first=first,
                max_rate=max_rate,
                workers=args.workers,
                worker_concurrency=args.worker_concurrency,
                processes=args.processes,
                scheduling_rate=rate,
            )
            print_delivery(figures)
            runs.append((label, figures))
    print_summary(scheduling, runs)


def print_scheduling(s: dict[str, Any]) -> None:
    print(
        f"  {s['stored']:,} reminders stored for {s['users']:,} users "
        f"({s['queued']:,} saq jobs queued) in {s['seconds']:.2f} s"
    )
    print(
        f"  {s['reminders_per_second']:,.0f} reminders/s, {s['users_per_second']:,.0f} users/s; "
        f"set_up p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms"
    )
    print(
        f"  CPU per reminder: {s['cpu_us']:.0f} µs in this process, "
        f"{s['redis_cpu_us']:.0f} µs in redis-server"
    )
    print(
        f"  Redis memory: +{s['memory_delta'] / 2**20:,.1f} MiB used_memory, "
        f"{s['bytes_per_reminder']:,.0f} bytes per reminder, of which (MEMORY USAGE):"
    )
    for name, (per, count) in s["split"].items():
        print(f"    {name:<28} {per:7.1f} B/reminder  ({count:,} keys)")
    print(f"    {'keyspace tables, allocator':<28} {s['other_per_reminder']:7.1f} B/reminder")
    offsets = ", ".join(f"{k:+d} s: {v:,}" for k, v in sorted(s["offsets"].items()))
    print(f"  saq scheduled time minus due time, per job: {offsets}")


def print_delivery(d: dict[str, Any]) -> None:
    print(
        f"  scheduled {d['scheduled_ahead_s']:.1f} s before due; delivered {d['delivered']:,}"
        f"/{d['users']:,}, duplicates {d['duplicates']}, missing {d['missing']}"
    )
    print(
        f"  {d['per_second']:,.1f} delivered/s (first to last message); first "
        f"{d['due_to_first_s']:.2f} s, last {d['due_to_last_s']:.1f} s after due; "
        f"busiest second {d['busiest_second']} messages"
    )
    print(
        f"  lateness (fake's receipt - due): p50 {d['late_p50_s']:.2f} s, "
        f"p99 {d['late_p99_s']:.2f} s, max {d['late_max_s']:.2f} s"
    )
    print(
        f"  stored reminders moved on to the next day: {d['moved_on']:,}/{d['users']:,}; "
        f"jobs left active {d['active_left']}, next occurrences queued {d['next_queued']:,}"
    )
    if d["outcomes"] is not None:
        print("  worker outcomes: " + ", ".join(f"{k} {v}" for k, v in d["outcomes"].items()))
    redis_ms = f"redis-server {d['redis_cpu_ms_per_delivery']:.2f} ms"
    if d["processes"]:
        print(
            f"  CPU per delivery: worker processes {d['workers_cpu_ms_per_delivery']:.2f} ms, "
            f"this process (fake Bot API, driver) {d['cpu_ms_per_delivery']:.2f} ms, {redis_ms}"
        )
    else:
        print(
            f"  CPU per delivery: {d['cpu_ms_per_delivery']:.2f} ms in this process (workers, "
            f"fake Bot API and driver together), {redis_ms}"
        )


def print_summary(
    scheduling: dict[str, Any] | None, runs: list[tuple[str, dict[str, Any]]]
) -> None:
    rows: list[tuple[str, str]] = []
    if scheduling is not None:
        s = scheduling
        rows += [
            ("reminders scheduled (stored = queued)", f"{s['stored']:,} = {s['queued']:,}"),
            ("users set up", f"{s['users']:,}"),
            ("scheduling wall time", f"{s['seconds']:.2f} s"),
            ("reminders/s", f"{s['reminders_per_second']:,.0f}"),
            ("users/s", f"{s['users_per_second']:,.0f}"),
            ("set_up p50 / p99", f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} ms"),
            ("CPU per reminder (bot / redis)", f"{s['cpu_us']:.0f} / {s['redis_cpu_us']:.0f} µs"),
            ("Redis bytes per reminder (used_memory)", f"{s['bytes_per_reminder']:,.0f}"),
        ]
        for name, (per, _) in s["split"].items():
            rows.append((f"  {name}", f"{per:.1f}"))
        rows.append(("  keyspace tables, allocator", f"{s['other_per_reminder']:.1f}"))
    for label, d in runs:
        rows += [
            (f"delivery {label}: delivered/s", f"{d['per_second']:,.1f}"),
            (
                f"delivery {label}: delivered / dup / missing",
                f"{d['delivered']:,} / {d['duplicates']} / {d['missing']}",
            ),
            (
                f"delivery {label}: lateness p50 / p99",
                f"{d['late_p50_s']:.2f} / {d['late_p99_s']:.2f} s",
            ),
            (f"delivery {label}: busiest second", f"{d['busiest_second']} messages"),
        ]
    width = max(len(k) for k, _ in rows) if rows else 0
    print("\nsummary")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def print_profile(profile: cProfile.Profile, top: int) -> None:
    print(f"\nprofile of the scheduling phase (cProfile on: its figures are inflated), top {top}:")
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--reminders", type=int, default=100_000, help="reminders to schedule (0: skip)"
    )
    parser.add_argument("--concurrency", type=int, default=200, help="set-ups in flight")
    parser.add_argument(
        "--deliver", type=int, default=3000, help="reminders delivered with no rate limit (0: skip)"
    )
    parser.add_argument(
        "--limited",
        type=int,
        default=600,
        help="reminders delivered at Telegram's rate limit (0: skip)",
    )
    parser.add_argument(
        "--max-rate", type=float, default=30, help="TELEGRAM_MAX_RATE of the limited batch"
    )
    parser.add_argument("--workers", type=int, default=1, help="saq workers delivering")
    parser.add_argument(
        "--worker-concurrency", type=int, default=10, help="WORKER_CONCURRENCY of each worker"
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="run the workers as `kneecheck worker` processes instead of in this process",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="profile the scheduling phase with cProfile and print the top N functions",
    )
    args = parser.parse_args(argv)
    if args.workers < 1 or args.concurrency < 1 or args.worker_concurrency < 1:
        parser.error("--workers, --concurrency and --worker-concurrency must be at least 1")

    command = " ".join([".venv/bin/python", "-m", "bench.reminders", *sys.argv[1:]])
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    interrupted = False
    with tempfile.TemporaryDirectory() as tmp:
        server = BenchRedis(Path(tmp))
        server.start()
        try:
            asyncio.run(run(args, server.url, profile))
        except KeyboardInterrupt:
            interrupted = True  # asyncio.run cancelled the run: its finally blocks stopped all
        finally:
            server.stop()
    if interrupted:
        print("\ninterrupted: workers and redis-server stopped", file=sys.stderr)
        raise SystemExit(130)
    if profile is not None:
        print_profile(profile, args.profile)
    print(f"\nbench wall time: {time.perf_counter() - started:.1f} s")
    print(f"reproduce with: {command}")


if __name__ == "__main__":
    main()
