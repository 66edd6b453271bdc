"""Benchmark: the web chat under 200 page clients at once, over loopback HTTP.

Everything runs on 127.0.0.1: the bench starts its own redis-server on a free port (never one
you run) and the real ``kneecheck serve`` as a process of its own (as deployed: the load
generator's CPU is not charged to it), with the web chat on and its rate limits off (every
client comes from one address).

Each simulated page client does what the page does: it opens ``/chat`` (and so gets its
signed cookie), holds the server-sent event stream ``/chat/events`` open, and posts the
answers of a whole check to ``/chat/send``, pressing the buttons the server sent (14
questions: 10 answered with one button, 4 with 5 ticks in all and a Done each; with the start,
20 posts a check), with no think time; after the assessment it
posts ``/restart`` and goes again. A **turn** is one post; it is complete when its JSON answer
has come back *and* every message it appended has arrived on that client's event stream (what
a person waits for). Turns per second = turns completed / wall time of the timed phase.

Printed: turns/s, turn latency p50/p99 (post to the last of its messages on the stream), the
post's own latency p50/p99, CPU per turn of ``kneecheck serve`` and of redis-server, and
errors (any non-200, or a turn whose messages never arrived within the deadline).

Reproduce with:  .venv/bin/python -m bench.web   (200 clients, 2 checks each: ~1 min)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from bench.slack import ANSWERS  # the same check as the Slack bench
from tests.redis_server import RedisServer, free_port

POSTS_PER_CHECK = 1 + sum(len(a) + 1 if isinstance(a, tuple) else 1 for a in ANSWERS.values())
"""The start (or /restart), then a post per button: a Done after each multi-choice's ticks."""
TURN_DEADLINE = 60.0
Message = dict[str, Any]


class BenchError(RuntimeError):
    """The bench could not measure what it meant to (the server misbehaved or timed out)."""


class Client:
    """One page: a cookie, an open event stream, posts."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=4),
        )
        self.seen: set[str] = set()
        self.arrived = asyncio.Event()
        self.ready = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None
        self.latencies: list[float] = []
        self.post_latencies: list[float] = []
        self.errors = 0

    async def open(self) -> None:
        async with self.session.get(f"{self.base}/chat") as page:
            await page.read()
            if page.status != 200:
                raise BenchError(f"GET /chat: {page.status}")
        self.reader = asyncio.create_task(self._read())
        async with asyncio.timeout(TURN_DEADLINE):
            await self.ready.wait()

    async def _read(self) -> None:
        async with self.session.get(
            f"{self.base}/chat/events", timeout=aiohttp.ClientTimeout(total=None)
        ) as events:
            name = "message"
            async for raw in events.content:
                if raw.startswith(b"event: "):
                    name = raw[7:].decode().strip()
                elif raw.startswith(b"id: "):
                    self.seen.add(raw[4:].decode().strip())
                elif raw == b"\n":
                    if name == "ready":
                        self.ready.set()
                    name = "message"
                    self.arrived.set()

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await self.reader
        await self.session.close()

    async def post(self, body: dict[str, str]) -> list[Message]:
        """One turn: the post, then its messages on the stream."""
        started = time.perf_counter()
        async with self.session.post(f"{self.base}/chat/send", json=body) as response:
            answer = await response.json(content_type=None)
            if response.status != 200:
                self.errors += 1
                raise BenchError(f"POST /chat/send: {response.status} {answer}")
        self.post_latencies.append(time.perf_counter() - started)
        messages: list[Message] = answer["messages"]
        ids = {m["id"] for m in messages}
        try:
            async with asyncio.timeout(TURN_DEADLINE):
                while not ids <= self.seen:
                    self.arrived.clear()
                    await self.arrived.wait()
        except TimeoutError:
            self.errors += 1
            raise BenchError("a turn's messages never reached the event stream") from None
        self.latencies.append(time.perf_counter() - started)
        return messages

    async def check(self, first: bool) -> int:
        """A whole check; the posts it took."""
        messages = await self.post({"command": "start" if first else "restart"})
        posts = 1
        while True:
            question = _last_question(messages)
            if question is None:
                if any(m["kind"] in ("result", "urgent") for m in messages):
                    return posts
                raise BenchError(f"no question and no assessment: {messages}")
            wanted = ANSWERS[question["step"]]
            for value in wanted if isinstance(wanted, tuple) else (wanted,):
                messages = await self.post({"press": _button(question, value)})
                posts += 1
                question = _last_question(messages) or question
            if isinstance(wanted, tuple):
                done = next(c for c in question["choices"] if c["action"] == "submit")
                messages = await self.post({"press": done["data"]})
                posts += 1


def _last_question(messages: list[Message]) -> Message | None:
    return next((m for m in reversed(messages) if m["kind"] == "question"), None)


def _button(question: Message, value: str) -> str:
    for choice in question["choices"]:
        if choice["data"].split("|")[2] == value:
            return str(choice["data"])
    raise BenchError(f"no button {value!r} at {question['step']}")


@contextlib.contextmanager
def served(redis_url: str) -> Iterator[tuple[str, int]]:
    """``kneecheck serve`` as a process, the web chat on, no other channel."""
    port = free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "WEB_CHAT_"))
    }
    environment.update(
        REDIS_URL=redis_url,
        WEB_CHAT_SECRET="bench-secret",
        WEB_CHAT_RATE_PER_MINUTE="0",
        WEB_CHAT_IP_RATE_PER_MINUTE="0",
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


async def healthy(base: str) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)  # polling for readiness with a deadline
    raise BenchError("kneecheck serve did not become healthy")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace, redis: RedisServer) -> dict[str, float]:
    with served(redis.url) as (base, pid):
        await healthy(base)
        clients = [Client(base) for _ in range(args.clients)]
        try:
            await asyncio.gather(*(c.open() for c in clients))
            await asyncio.gather(*(c.check(True) for c in clients[: args.warmup]))
            for client in clients:
                client.latencies.clear()
                client.post_latencies.clear()
            cpu = cpu_seconds(pid)
            redis_cpu = cpu_seconds(redis.process.pid) if redis.process else 0.0
            started = time.perf_counter()

            async def checks(client: Client, first: bool) -> int:
                posts = 0
                for n in range(args.checks):
                    posts += await client.check(first and n == 0)
                return posts

            warmed = set(range(args.warmup))
            turns = sum(
                await asyncio.gather(*(checks(c, i not in warmed) for i, c in enumerate(clients)))
            )
            wall = time.perf_counter() - started
            cpu = cpu_seconds(pid) - cpu
            redis_cpu = (cpu_seconds(redis.process.pid) if redis.process else 0.0) - redis_cpu
        finally:
            await asyncio.gather(*(c.close() for c in clients))
    latencies = sorted(x for c in clients for x in c.latencies)
    posts = sorted(x for c in clients for x in c.post_latencies)
    return {
        "turns": turns,
        "wall_seconds": wall,
        "turns_per_second": turns / wall,
        "turn_p50_ms": statistics.median(latencies) * 1000,
        "turn_p99_ms": _percentile(latencies, 0.99) * 1000,
        "post_p50_ms": statistics.median(posts) * 1000,
        "post_p99_ms": _percentile(posts, 0.99) * 1000,
        "serve_cpu_us_per_turn": cpu / turns * 1e6,
        "redis_cpu_us_per_turn": redis_cpu / turns * 1e6,
        "errors": sum(c.errors for c in clients),
    }


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=200, help="page clients at once (200)")
    parser.add_argument("--checks", type=int, default=2, help="whole checks per client (2)")
    parser.add_argument("--warmup", type=int, default=20, help="clients that warm up first (20)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp))
        redis.start()
        try:
            figures = asyncio.run(run(args, redis))
        finally:
            redis.stop()
    command = " ".join([".venv/bin/python", "-m", "bench.web", *(argv or sys.argv[1:])])
    print(f"command: {command}")
    print(
        f"{args.clients} page clients at once, each with an open event stream, {args.checks} "
        f"checks each ({POSTS_PER_CHECK} posts a check), {os.cpu_count()} CPUs"
    )
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
