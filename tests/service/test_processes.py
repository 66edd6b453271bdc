"""The deployment as an operator runs it: two ``kneecheck serve`` processes and a
``kneecheck worker`` process on one real Redis, with the fake Telegram and Slack APIs.

One conversation on each channel goes through the web service (Telegram turns alternate
between the two web processes), the Redis is stopped mid-conversation and started again
with its data, a reminder falls due while it is away, and afterwards the metrics, the
health checks and every log line are read back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.channels.telegram.runner import SECRET_HEADER
from bot.engine.assessment import TOPIC_STEP
from bot.parts import App
from bot.reminders.model import Reminder, Reminders
from bot.settings import Settings
from bot.store.keys import UserRef
from bot.wiring import build_app
from tests.channels.slack.driver import SECRET as SLACK_SECRET
from tests.channels.slack.driver import TEAM, SlackUser, elements, step_of, visible_text
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer, free_port
from tests.reminders.harness import FAST, until

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "tg-webhook-secret"
TG_USER = 987_650_123
REMINDED = 987_650_124
SLACK_USER = "U0PROC"
DONE = "This is not a diagnosis"
"""The last line of a check's result, on any channel."""
TYPED = "the front of my thigh"
"""A free-text answer: it must reach the engine and never a log line."""


class Deployment:
    def __init__(self, tmp: Path, telegram: FakeTelegram, slack: FakeSlack) -> None:
        self.tmp = tmp
        self.redis = RedisServer(tmp / "redis")
        self.telegram = telegram
        self.slack = slack
        self.ports = [free_port(), free_port()]
        self.worker_port = free_port()
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "REDIS_URL": self.redis.url,
            "TELEGRAM_BOT_TOKEN": self.telegram.token,
            "TELEGRAM_API_BASE_URL": self.telegram.base_url,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SLACK_BOT_TOKEN": self.slack.token,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_URL": self.slack.base_url,
            "HOST": "127.0.0.1",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "DEBUG",
            "LOG_SALT": "deployment-salt",
            "PTB_TIMEDELTA": "true",
            **{name.upper(): str(value) for name, value in FAST.items()},
        }

    async def spawn(self, name: str, command: str, **env: str) -> None:
        with (self.tmp / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            self.processes[name] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                command,
                cwd=ROOT,
                env={**self.env(), **env},
                stdout=log,
                stderr=log,
            )

    async def start(self) -> None:
        self.redis.start()
        for n, port in enumerate(self.ports):
            await self.spawn(f"web{n}", "serve", PORT=str(port))
        await self.spawn("worker", "worker", WORKER_PORT=str(self.worker_port))
        for url in [*self.urls("/healthz"), self.worker_url("/healthz")]:
            await until_status(url, 200)

    async def stop(self) -> float:
        """SIGTERM to every process; how long the slowest took to exit."""
        started = time.monotonic()
        for process in self.processes.values():
            if process.returncode is None:
                process.terminate()
        for process in self.processes.values():
            await asyncio.wait_for(process.wait(), 15)
        self.redis.stop()
        return time.monotonic() - started

    def urls(self, path: str) -> list[str]:
        return [f"http://127.0.0.1:{port}{path}" for port in self.ports]

    def worker_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.worker_port}{path}"

    def alive(self) -> bool:
        return all(p.returncode is None for p in self.processes.values())

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("*.log")))


async def status_of(url: str) -> int:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status
    except aiohttp.ClientError:
        return 0


async def until_status(url: str, status: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while (current := await status_of(url)) != status:
        assert time.monotonic() < deadline, f"{url}: {current}, not {status}"
        await asyncio.sleep(0.1)


async def text_of(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return await response.text()


# -- Telegram through the webhook -----------------------------------------------------------


class TelegramThroughWeb:
    def __init__(self, deployment: Deployment, user: int) -> None:
        self.deployment = deployment
        self.fake = deployment.telegram
        self.user = user
        self.update_id = user % 100_000 * 100

    async def post(self, update: dict[str, object]) -> None:
        self.update_id += 1
        url = self.deployment.urls("/telegram/webhook")[self.update_id % 2]  # alternate
        body = json.dumps({"update_id": self.update_id, **update}).encode()
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=body, headers={SECRET_HEADER: WEBHOOK_SECRET}) as response,
        ):
            assert response.status == 200

    def _from(self) -> dict[str, object]:
        return {"id": self.user, "is_bot": False, "first_name": "P", "language_code": "en"}

    async def send(self, text: str) -> None:
        message: dict[str, object] = {
            "message_id": self.update_id,
            "date": int(time.time()),
            "chat": {"id": self.user, "type": "private"},
            "from": self._from(),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        before = len(self.fake.messages(self.user))
        await self.post({"message": message})
        await until(lambda: len(self.fake.messages(self.user)) > before)

    async def press(self, data: str) -> str:
        last = self.fake.messages(self.user)[-1]
        update = self.fake.press_update(self.user, last.message_id, data)
        query = str(update["callback_query"]["id"])
        await self.post(update)
        await until(lambda: query in self.fake.callback_answers)
        return str(self.fake.callback_answers[query].get("text") or "")

    def step(self) -> str | None:
        data = [
            d
            for _, d in self.fake.messages(self.user)[-1].buttons()
            if d[:2] in ("c|", "t|") and not d.startswith(f"c|{TOPIC_STEP}|")
        ]
        return data[0].split("|")[1] if data else None

    async def answer(self) -> None:
        """Answer the question shown the ordinary way: the first option, or "none" and Done."""
        buttons = [d for _, d in self.fake.messages(self.user)[-1].buttons()]
        step = self.step()
        if buttons[0].startswith("c|"):
            await self.press(buttons[0])
        else:
            way_out = next(d for d in buttons if d.split("|")[2] in ("none", "not_sure"))
            await self.press(way_out)
            await self.press(next(d for d in buttons if d.startswith("s|")))
        await until(lambda: self.step() != step)


# -- the test --------------------------------------------------------------------------------


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    async with AsyncExitStack() as stack:
        telegram = await stack.enter_async_context(FakeTelegram())
        slack = await stack.enter_async_context(FakeSlack())
        running = Deployment(tmp_path, telegram, slack)
        await running.start()
        try:
            yield running
        finally:
            if running.alive():
                await running.stop()


@asynccontextmanager
async def scheduling_app(deployment: Deployment) -> AsyncIterator[App]:
    """An app of the test's own, to put a reminder in place as the follow-up offer would."""
    settings = Settings(
        redis_url=deployment.redis.url,
        telegram_bot_token=SecretStr(deployment.telegram.token),
        telegram_api_base_url=deployment.telegram.base_url,
        **FAST,
    )
    app = build_app(settings)
    try:
        yield app
    finally:
        await app.close()


async def finish_on_slack(slack: SlackUser) -> None:
    """Answer each question the ordinary way (first option; "none"/"not sure" and Done)."""
    while (step := step_of(slack.keyboard)) is not None:
        message = slack.keyboard
        boxes = [e for _, e in elements(message) if e["type"] == "checkboxes"]
        if boxes:
            values = [o["value"].split("|")[2] for box in boxes for o in box["options"]]
            await slack.tick(next((v for v in values if v in ("none", "not_sure")), values[0]))
            await slack.press("done")
        else:
            first = next(e for _, e in elements(message) if e["type"] == "button")
            await slack.press(first["value"].split("|")[2])
        await until(lambda step=step: moved_on(slack, step))  # type: ignore[misc]


def moved_on(slack: SlackUser, step: str) -> bool:
    """Whether the DM now asks something other than ``step``. Between the answered
    question losing its buttons and the next one arriving, the DM has no buttons at
    all: that is still waiting, not an error."""
    if not any(elements(m) for m in slack.messages):
        return False
    return step_of(slack.keyboard) != step


def asking(slack: SlackUser) -> str | None:
    """The question the DM asks now, or None while no message has buttons."""
    if not any(elements(m) for m in slack.messages):
        return None
    return step_of(slack.keyboard)


class RemoteSlackBot:
    """The Slack side of a web process, for :class:`SlackUser`: its URL; the test waits
    for what it expects to see instead of draining the (remote) bot."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def idle(self) -> None:
        return None


async def test_serve_and_worker_processes_survive_a_redis_outage_and_log_no_user_data(
    deployment: Deployment,
) -> None:
    tg = TelegramThroughWeb(deployment, TG_USER)
    await tg.send("/start")
    await tg.answer()  # consent
    await tg.answer()  # no warning signs
    assert tg.step() == "location"

    remote = RemoteSlackBot(deployment.urls("/slack/events")[0])
    slack = SlackUser(deployment.slack, remote, SLACK_USER)  # type: ignore[arg-type]
    await slack.command()
    await until(lambda: any(step_of(m) == "consent" for m in slack.messages))
    await slack.press("agree")
    await until(lambda: asking(slack) == "red_flags")

    # A reminder falls due while Redis is away.
    async with scheduling_app(deployment) as app:
        due = int(time.time()) + 3
        reminder = Reminder(
            id="hydration", kind="hydration", zone="UTC", times=(dt.time(10),), due=due
        )
        await app.reminders.replace(
            UserRef("tg", str(REMINDED)), Reminders(items={"hydration": reminder})
        )

    deployment.redis.stop(keep_data=True)
    for url in deployment.urls("/healthz"):
        await until_status(url, 503)
    await until_status(deployment.worker_url("/healthz"), 503)
    location = deployment.telegram.messages(TG_USER)[-1].buttons()[0][1]
    notice = await tg.press(location)
    assert "not working right now" in notice
    await slack.tick("none")
    await slack.press("done")
    await until(lambda: any("not working right now" in m.text for m in slack.whispers()))
    await until(lambda: time.time() > due + 1)
    assert deployment.alive()

    deployment.redis.start()
    for url in [*deployment.urls("/healthz"), deployment.worker_url("/healthz")]:
        await until_status(url, 200)
    assert deployment.alive()

    # Every conversation continues where it was.
    assert tg.step() == "location"
    await tg.send(TYPED)
    while tg.step() is not None:
        await tg.answer()
    result = "\n".join(m.plain_text for m in deployment.telegram.messages(TG_USER))
    assert DONE in result

    await slack.press("done")  # the boxes ticked before the outage are still ticked
    await until(lambda: asking(slack) == "location")
    await finish_on_slack(slack)
    assert any(DONE in visible_text(m) for m in slack.messages)

    # The reminder that fell due during the outage arrives, once.
    await until(lambda: len(deployment.telegram.messages(REMINDED)) == 1, within=60)

    metrics = "".join([await text_of(url) for url in deployment.urls("/metrics")])
    assert 'kneecheck_turns_total{channel="tg"' in metrics
    assert 'kneecheck_turns_total{channel="sl"' in metrics
    assert "kneecheck_conversations_completed_total" in metrics
    worker_metrics = await text_of(deployment.worker_url("/metrics"))
    assert 'kneecheck_reminders_sent_total{kind="hydration"} 1.0' in worker_metrics
    assert len(deployment.telegram.messages(REMINDED)) == 1

    logs = deployment.logs()
    assert '"msg": "turn"' in logs  # the turn lines are there, with pseudonyms
    for secret in (str(TG_USER), str(REMINDED), SLACK_USER, TYPED, "front of my thigh"):
        assert secret not in logs, secret
    assert deployment.telegram.token not in logs
    assert f"{TEAM}:{SLACK_USER}" not in logs

    took = await deployment.stop()  # SIGTERM: web and worker processes finish their work
    assert took < 10
    assert all(p.returncode == 0 for p in deployment.processes.values())
