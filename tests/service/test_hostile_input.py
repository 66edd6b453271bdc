"""Hostile input at both webhook endpoints of a real ``kneecheck serve``: no 5xx, no state
change from anything unsigned, no request data in any log line.

Two generators: hypothesis (random JSON of any shape, and real requests with random field
values, shrunk to the smallest failing body when something breaks) and the seeded
generator of ``make fuzz`` (10,000 requests: dropped fields, wrong types, deep nesting,
non-JSON and non-UTF-8 bodies, wrong or stale signatures).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz import main as fuzz
from bench.fuzz import parse as fuzz_args
from tests.fakes.hostile import MARK
from tests.fakes.slack import FakeSlack, SlackSigner, message_event_body
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM_SECRET = "hostile-webhook-secret"
SLACK_SECRET = "hostile-signing-secret"


@dataclass
class Served:
    port: int
    log: Path
    redis: redis.Redis

    def keys(self) -> set[bytes]:
        return set(self.redis.keys("*"))  # type: ignore[arg-type]  # the sync client

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


class _Fakes:
    """The fake Telegram and Slack APIs on an event loop of their own thread: the tests
    here are synchronous, as hypothesis's examples are."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.telegram = FakeTelegram()
        self.slack = FakeSlack()

    def __enter__(self) -> _Fakes:
        self.thread.start()
        for fake in (self.telegram, self.slack):
            asyncio.run_coroutine_threadsafe(fake.start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        for fake in (self.telegram, self.slack):
            asyncio.run_coroutine_threadsafe(fake.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("hostile")
    server = RedisServer(tmp / "redis")
    server.start()
    port = free_port()
    log = tmp / "serve.log"
    with _Fakes() as fakes, log.open("wb") as out:
        env = {
            **os.environ,
            "REDIS_URL": server.url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "TELEGRAM_BOT_TOKEN": fakes.telegram.token,
            "TELEGRAM_API_BASE_URL": fakes.telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "SLACK_BOT_TOKEN": fakes.slack.token,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_URL": fakes.slack.base_url,
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "json",
            "PTB_TIMEDELTA": "true",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        client = redis.Redis.from_url(server.url)
        try:
            deadline = time.monotonic() + 30
            while True:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        break
                except OSError:
                    pass
                finally:
                    connection.close()
                assert time.monotonic() < deadline, "kneecheck serve did not start"
                time.sleep(0.1)  # a process starting up, polled with a deadline
            yield Served(port, log, client)
            assert process.poll() is None, "kneecheck serve died"
        finally:
            process.terminate()
            process.wait(15)
            client.close()
            server.stop()
    lines = log.read_text(errors="replace").splitlines()
    assert [line for line in lines if MARK in line] == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=30,
)
TEXT = st.text(max_size=30).map(lambda t: f"{MARK}{t}")


@st.composite
def telegram_updates(draw: st.DrawFn) -> Any:
    """A message update whose every value may be anything."""
    value = st.one_of(JSON, TEXT, st.integers())
    chat = draw(st.fixed_dictionaries({"id": value, "type": value}))
    sender = draw(st.fixed_dictionaries({"id": value, "is_bot": value, "first_name": TEXT}))
    message = draw(
        st.fixed_dictionaries(
            {"message_id": value, "date": value, "chat": st.just(chat), "text": TEXT},
            optional={"from": st.just(sender), "entities": JSON},
        )
    )
    return draw(
        st.fixed_dictionaries(
            {"update_id": st.integers()},
            optional={"message": st.just(message) | JSON, "callback_query": JSON},
        )
    )


@st.composite
def slack_events(draw: st.DrawFn) -> Any:
    body = json.loads(
        message_event_body(user_id=f"U{MARK}", channel_id=f"D{MARK}", text=MARK, event_id="Ev1")
    )
    for key in draw(st.lists(st.sampled_from(sorted(body)), max_size=3, unique=True)):
        body[key] = draw(JSON)
    event = body.get("event")
    if isinstance(event, dict) and event:
        for key in draw(st.lists(st.sampled_from(sorted(event)), max_size=3, unique=True)):
            event[key] = draw(JSON)
    return body


EXAMPLES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# Unsigned requests first: a signed Slack request's turn runs after its acknowledgement, so
# its writes may land while a later example runs; nothing signed has been sent yet here.
@EXAMPLES
@given(body=JSON | telegram_updates() | slack_events())
def test_nothing_unsigned_gets_past_either_endpoint_or_changes_anything(
    served: Served, body: Any
) -> None:
    before = served.keys()
    raw = json.dumps(body).encode()
    telegram = served.post(
        "/telegram/webhook",
        raw,
        {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret", "Content-Type": "application/json"},
    )
    slack = served.post(
        "/slack/events",
        raw,
        {**SlackSigner("not-the-secret").sign(raw), "Content-Type": "application/json"},
    )
    assert (telegram, slack) == (401, 401)
    assert served.keys() == before


@EXAMPLES
@given(body=JSON | telegram_updates())
def test_telegram_webhook_never_fails_on_any_signed_json(served: Served, body: Any) -> None:
    status = served.post(
        "/telegram/webhook",
        json.dumps(body).encode(),
        {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"},
    )
    assert status < 500


@EXAMPLES
@given(body=JSON | slack_events())
def test_slack_endpoint_never_fails_on_any_signed_json(served: Served, body: Any) -> None:
    raw = json.dumps(body).encode()
    status = served.post(
        "/slack/events",
        raw,
        {**SlackSigner(SLACK_SECRET).sign(raw), "Content-Type": "application/json"},
    )
    assert status < 500


async def test_ten_thousand_generated_hostile_requests() -> None:
    """``make fuzz`` itself: 0 5xx, 0 leaked ids or texts, unsigned ones all refused."""
    assert await fuzz(fuzz_args(["--requests", "10000"])) == 0
