"""``make fuzz``: thousands of hostile requests at a real ``kneecheck serve``.

Starts its own redis-server, the test suite's fake Telegram and Slack APIs on 127.0.0.1 and
``kneecheck serve`` as a subprocess logging JSON at DEBUG, then sends the requests of
:mod:`tests.fakes.hostile` (half to the Telegram webhook, half to Slack's endpoint, about
half of them correctly signed, seeded so a run can be repeated) and checks what a hostile
run must never cause:

- any 5xx answer, or the process dying or its ``/healthz`` failing;
- an unsigned request that changes anything stored (it must be refused with a 4xx);
- a log line holding a user id or text from any request (they all carry a marker).

    .venv/bin/python -m bench.fuzz --requests 10000 --seed 1

Prints the figures and the command line that reproduces them; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from tests.fakes.hostile import MARK, Hostile, requests
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[1]
TELEGRAM_SECRET = "fuzz-webhook-secret"
SLACK_SECRET = "fuzz-signing-secret"
PATHS = {"telegram": "/telegram/webhook", "slack": "/slack/events"}


async def _healthy(http: aiohttp.ClientSession, base: str, within: float = 30) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return True
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)  # a process starting up: polled with a deadline
    return False


async def _send(
    http: aiohttp.ClientSession, base: str, batch: list[Hostile], in_flight: int
) -> tuple[Counter[tuple[str, bool, int]], list[str]]:
    statuses: Counter[tuple[str, bool, int]] = Counter()
    failures: list[str] = []
    gate = asyncio.Semaphore(in_flight)

    async def one(n: int, request: Hostile) -> None:
        async with gate:
            try:
                # A stream, not bytes: aiohttp warns that a large bytes body blocks its loop.
                body = io.BytesIO(request.body)
                async with http.post(
                    base + PATHS[request.endpoint], data=body, headers=request.headers
                ) as response:
                    await response.read()
                    statuses[(request.endpoint, request.signed, response.status)] += 1
                    if response.status >= 500:
                        failures.append(f"#{n} {request.endpoint}: HTTP {response.status}")
            except (TimeoutError, aiohttp.ClientError) as exc:
                failures.append(f"#{n} {request.endpoint}: {type(exc).__name__}")

    await asyncio.gather(*(one(n, r) for n, r in enumerate(batch)))
    return statuses, failures


async def main(args: argparse.Namespace) -> int:
    batch = requests(args.seed, args.requests, TELEGRAM_SECRET, SLACK_SECRET)
    unsigned = [r for r in batch if not r.signed]
    signed = [r for r in batch if r.signed]
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis")
        redis.start()
        port = free_port()
        log_path = Path(tmp) / "serve.log"
        async with FakeTelegram() as telegram, FakeSlack() as slack:
            env = {
                **os.environ,
                "REDIS_URL": redis.url,
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                "TELEGRAM_MAX_RATE": "0",
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": SLACK_SECRET,
                "SLACK_API_URL": slack.base_url,
                "LOG_LEVEL": "DEBUG",
                "LOG_FORMAT": "json",
                "PTB_TIMEDELTA": "true",
            }
            with log_path.open("wb") as log:
                server = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "serve",
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            base = f"http://127.0.0.1:{port}"
            store = aioredis.Redis.from_url(redis.url)
            started = time.perf_counter()
            try:
                timeout = aiohttp.ClientTimeout(total=30)
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    if not await _healthy(http, base):
                        raise SystemExit("kneecheck serve did not start")
                    # Unsigned first, alone: they must leave Redis exactly as it was.
                    before = sorted(await store.keys("*"))
                    statuses, failures = await _send(http, base, unsigned, args.in_flight)
                    after = sorted(await store.keys("*"))
                    if after != before:
                        problems.append(f"unsigned requests changed Redis: {len(after)} keys")
                    more, more_failures = await _send(http, base, signed, args.in_flight)
                    statuses.update(more)
                    failures += more_failures
                    if server.returncode is not None:
                        problems.append(f"kneecheck serve exited with {server.returncode}")
                    elif not await _healthy(http, base, within=5):
                        problems.append("/healthz failed after the run")
            finally:
                wall = time.perf_counter() - started
                await store.aclose()
                if server.returncode is None:
                    server.terminate()
                    await server.wait()
                redis.stop()
        logs = log_path.read_text(errors="replace")
        if args.keep_log is not None:
            shutil.copyfile(log_path, args.keep_log)
    problems += failures[:20]
    leaked = [line for line in logs.splitlines() if MARK in line]
    if leaked:
        problems.append(f"{len(leaked)} log lines hold request data, e.g. {leaked[0][:200]}")
    if "Traceback" in logs and not args.allow_tracebacks:
        problems.append("a traceback was logged: " + logs[logs.index("Traceback") :][:300])
    unsigned_ok = sum(n for (_, s, code), n in statuses.items() if not s and 400 <= code < 500)
    print(f"kneecheck serve under {len(batch)} hostile requests (seed {args.seed}), {wall:.1f} s")
    for endpoint in PATHS:
        for is_signed in (False, True):
            codes = {
                c: n
                for (e, s, c), n in sorted(statuses.items())
                if e == endpoint and s == is_signed
            }
            label = "signed" if is_signed else "unsigned"
            print(f"  {endpoint:8} {label:8} {codes}")
    print(f"  unsigned answered 4xx: {unsigned_ok} of {len(unsigned)}")
    print(f"  5xx or failed: {len(failures)}; log lines with request data: {len(leaked)}")
    print(f"  log size: {len(logs.splitlines())} lines")
    print("reproduce with: .venv/bin/python -m bench.fuzz " + shlex.join(sys.argv[1:]))
    if unsigned_ok != len(unsigned):
        problems.append(f"{len(unsigned) - unsigned_ok} unsigned requests were not refused")
    for problem in problems:
        print(f"FAIL {problem}")
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--keep-log", help="write the server's log to this file")
    parser.add_argument(
        "--allow-tracebacks", action="store_true", help="do not fail on logged stack traces"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse())))
