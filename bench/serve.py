"""``kneecheck serve`` under load: Telegram webhook posts and Slack requests over loopback.

Starts its own redis-server, the fake Telegram Bot API and fake Slack Web API (the test
suite's, on 127.0.0.1) and ``kneecheck serve`` as a real subprocess, then plays whole
conversations as users type them: on Telegram ``/start`` and eleven typed answers through
``/telegram/webhook`` (the webhook answers once the turn is done, so its latency is the
turn's); on Slack ``/kneecheck`` and eleven DM messages through ``/slack/events`` (Slack
is answered at once and the turn runs after, so each next message waits for the reply to
the last, as a person would; both the acknowledgement and the reply latency are shown).

    .venv/bin/python -m bench.serve --users 100 --in-flight 50

Prints throughput, p50/p99 latency and errors (aim: zero errors): a non-200 answer, or a
conversation that did not end with the assessment.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import aiohttp

from tests.fakes.slack import FakeSlack, SlackSigner, message_event_body, slash_command_body
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "bench-webhook-secret"
SLACK_SECRET = "bench-signing-secret"
ANSWERS = (
    "yes",
    "none",
    "above",
    "exercise",
    "rarely",
    "plenty",
    "balanced",
    "moderate",
    "under 4 hours",
    "thirties",
    "neither",
)
"""One typed answer per question of a typical self-care route (kneecheck.yaml)."""
RESULT = "This is not a diagnosis"
_ids = itertools.count(1)


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    errors: int = 0
    turns: int = 0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def until(check: Callable[[], bool], within: float = 30) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def telegram_user(
    http: aiohttp.ClientSession, url: str, fake: FakeTelegram, user: int, figures: Figures
) -> None:
    for text in ("/start", *ANSWERS):
        update_id = next(_ids)
        message: dict[str, object] = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "B", "language_code": "en"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        body = json.dumps({"update_id": update_id, "message": message}).encode()
        started = time.perf_counter()
        async with http.post(
            url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        ) as response:
            await response.read()
            ok = response.status == 200
        figures.latencies.append(time.perf_counter() - started)
        figures.turns += 1
        figures.errors += not ok
    messages = fake.messages(user)
    figures.errors += not (messages and RESULT in "\n".join(m.plain_text for m in messages[-12:]))


async def slack_user(
    http: aiohttp.ClientSession, url: str, fake: FakeSlack, user: str, figures: Figures
) -> None:
    signer = SlackSigner(SLACK_SECRET)
    dm = "D" + user
    for text in ("", *ANSWERS):
        seen = len(fake.messages(dm))
        if text == "":
            body = slash_command_body(
                user_id=user,
                channel_id=dm,
                response_url=fake.new_response_url(channel=dm, user=user),
            )
        else:
            body = message_event_body(
                user_id=user, channel_id=dm, text=text, team_id="T1", event_id=f"Ev{next(_ids)}"
            )
        started = time.perf_counter()
        async with http.post(url, data=body, headers=signer.sign(body)) as response:
            await response.read()
            ok = response.status == 200
        figures.latencies.append(time.perf_counter() - started)
        figures.turns += 1
        replied = await until(lambda seen=seen: len(fake.messages(dm)) > seen)  # type: ignore[misc]
        figures.replies.append(time.perf_counter() - started)
        figures.errors += not (ok and replied)
    figures.errors += not any(RESULT in m.text for m in fake.messages(dm)[-3:])


async def bounded(jobs: list[Callable[[], Awaitable[None]]], in_flight: int) -> None:
    gate = asyncio.Semaphore(in_flight)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp) / "redis")
        redis.start()
        port = free_port()
        async with FakeTelegram() as telegram, FakeSlack() as slack:
            env = {
                **os.environ,
                "REDIS_URL": redis.url,
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "TELEGRAM_MAX_RATE": "0",  # a loopback fake, not Telegram: no 30/s limit
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": SLACK_SECRET,
                "SLACK_API_URL": slack.base_url,
                "LOG_LEVEL": "WARNING",
                "PTB_TIMEDELTA": "true",
            }
            server = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", cwd=ROOT, env=env
            )
            base = f"http://127.0.0.1:{port}"
            try:
                async with aiohttp.ClientSession() as http:
                    deadline = time.monotonic() + 30
                    while True:
                        try:
                            async with http.get(f"{base}/healthz") as health:
                                if health.status == 200:
                                    break
                        except aiohttp.ClientError:
                            pass
                        assert time.monotonic() < deadline, "kneecheck serve did not start"
                        await asyncio.sleep(0.1)
                    tg, sl = Figures(), Figures()
                    jobs: list[Callable[[], Awaitable[None]]] = []
                    for n in range(args.users):
                        jobs.append(
                            partial(
                                telegram_user,
                                http,
                                f"{base}/telegram/webhook",
                                telegram,
                                800_000 + n,
                                tg,
                            )
                        )
                        jobs.append(
                            partial(
                                slack_user, http, f"{base}/slack/events", slack, f"UB{n:05d}", sl
                            )
                        )
                    started = time.perf_counter()
                    await bounded(jobs, args.in_flight)
                    wall = time.perf_counter() - started
            finally:
                server.terminate()
                await server.wait()
                redis.stop()
    turns = tg.turns + sl.turns
    users = f"{args.users} Telegram + {args.users} Slack users"
    print(f"kneecheck serve: {users}, {args.in_flight} in flight")
    print(f"  turns: {turns} in {wall:.1f} s = {turns / wall:,.0f} turns/s")
    print(
        f"  Telegram webhook (turn done) p50/p99: {percentile(tg.latencies, 50) * 1000:.1f} / "
        f"{percentile(tg.latencies, 99) * 1000:.1f} ms"
    )
    print(
        f"  Slack ack p50/p99: {percentile(sl.latencies, 50) * 1000:.1f} / "
        f"{percentile(sl.latencies, 99) * 1000:.1f} ms; reply p50/p99: "
        f"{percentile(sl.replies, 50) * 1000:.1f} / {percentile(sl.replies, 99) * 1000:.1f} ms"
    )
    print(f"  errors: {tg.errors + sl.errors} (Telegram {tg.errors}, Slack {sl.errors})")
    print(f"  mean Telegram turn: {statistics.fmean(tg.latencies) * 1000:.1f} ms")
    print("reproduce with: .venv/bin/python -m bench.serve " + shlex.join(sys.argv[1:]))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100, help="users per channel")
    parser.add_argument("--in-flight", type=int, default=50, help="users at once")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
