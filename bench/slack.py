"""Benchmark: the Slack channel over loopback HTTP, against a plain bolt app doing the same flow.

Everything runs on 127.0.0.1. The bench starts its own redis-server on a free port (never one you
run), a stub Slack Web API in this process, and each app under test in a process of its own (as
deployed, so the load generator's CPU is not charged to the app):

- **kneecheck**: the real channel, ``build_app(Settings(...))`` served by ``run_http`` (the
  production runner: bolt app, ack plus lazy work, our engine and Redis sessions);
- **reference**: a plain bolt ``AsyncApp`` with bolt's defaults and no kneecheck engine, asking
  the same flow's questions with the same kind of buttons and checkboxes, each user's state in ONE
  Redis key (GET, JSON, SET per press), its work done in the listener after ``ack()``;
- **ref-pooled**: the reference with one aiohttp session given to its ``AsyncWebClient`` (bolt's
  default opens a connection per Web API call; kneecheck keeps one session), to show what is left
  of the difference once both reuse connections.

Simulated users (``--users`` at once, 50 by default) speak as Slack does: form bodies shaped like
Slack's, signed (``v0:{timestamp}:{body}``, HMAC-SHA256 with the signing secret). Each user reads
the buttons of the question the app last posted to their DM (from the stub's recorded
``chat.postMessage``/``chat.update`` blocks) and presses the answer, so the payload carries the
``action_id``/``value``/``block_id`` the app rendered, the message, and ``state.values`` with the
ticked boxes. Ticking a box sends its own ``block_actions`` (as the Slack client does); Done then
submits the ticked set.

The stub Web API answers every method ``ok`` at once. It is a minimal aiohttp server, not
``tests.fakes.slack.FakeSlack``: FakeSlack validates every message and wakes every waiter on every
call, which would charge the bench process 50 predicate checks per Web API call. The blocks the
apps sent are checked against FakeSlack's Block Kit rules after each app's phases instead.

Figures, per app, in the same run; the apps take turns, ``--rounds`` times over:

1. ``/kneecheck`` acknowledgement latency: from sending the signed slash command (typed in the
   user's DM) to its HTTP 200, the users each starting ``--conversations`` conversations back to
   back (the next one once the first question has reached the stub), all ``--users`` at once.
2. Button-press turns per second: the users each press through their conversations (consent, red
   flags "none" + Done, location "behind", calf, two triggers + Done, ... conditions "none" + Done,
   risks "none" + Done, walking "no": 14 presses to the assessment), all at once, no think time. A
   **turn** is one button press (a box tick is not one) and it is complete when (a) its HTTP 200
   has come back, (b) the stub has received the ``chat.update`` that rewrites the pressed question
   without buttons, and (c) the stub has received the next ``chat.postMessage`` with the next
   question's buttons, or, after the last press, the message that closes the check (a context block
   at its end, the disclaimer). Turns per second = turns completed / wall time from the first press
   to the last turn complete. Work the app does after that message (kneecheck's question pointer)
   is inside the window for every turn but the very last.

Also printed: ack latency of the presses, a turn's latency, CPU per turn of the app, of this
process and of redis-server, Redis commands (server side, scripts' inner calls included) and
Web API calls per turn, and ``other_cpu_percent``: what anything else on the machine used
meanwhile (on a shared machine turns/s drops with it; CPU per turn holds better).

Reproduce with:  .venv/bin/python -m bench.slack   (50 users, 5 checks each, 2 rounds: ~1 min)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import json
import logging
import multiprocessing
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog.loader import load_catalog
from bot.settings import Settings
from tests.fakes.slack import SLACK_USER_AGENT, block_errors, signature, slash_command_body
from tests.redis_server import RedisServer

JSON = dict[str, Any]

SECRET = "bench-signing-secret-8f742231b10e"
TOKEN = "xoxb-bench"
TEAM = "T1"
PATH = "/slack/events"
COMMAND = "/kneecheck"
TTL_SECONDS = 7 * 86_400
PHASE_TIMEOUT = 300.0
"""A phase that has not finished by then is reported as an error, not waited for."""
APPS = ("kneecheck", "reference", "ref-pooled")

ANSWERS: dict[str, str | tuple[str, ...]] = {
    "consent": "agree",
    "red_flags": ("none",),
    "location": "behind",
    "behind_muscle": "calf",
    "triggers": ("exercise", "dehydration"),
    "frequency": "weekly",
    "water": "low",
    "diet": "mixed",
    "activity": "heavy",
    "sitting": "h4_8",
    "age": "a40_54",
    "conditions": ("none",),
    "risks": ("none",),
    "walking": "no",
}
"""What every user answers, by the step a question's buttons name: 14 presses (5 ticks)."""
PRESSES = len(ANSWERS)


class BenchError(RuntimeError):
    """The bench could not measure what it meant to (an app misbehaved or timed out)."""


# ---------------------------------------------------------------------------------------------
# The stub Slack Web API


@dataclass
class Posted:
    """A message the app posted to a DM, as it stands after any ``chat.update``."""

    ts: str
    blocks: list[JSON]
    updates: int = 0


def has_actions(blocks: list[JSON]) -> bool:
    return any(block.get("type") == "actions" for block in blocks)


def closes_check(blocks: list[JSON]) -> bool:
    """The last message of a finished check has the disclaimer's context block and no
    question's controls (only, under a non-urgent result, the follow-up offer's button)."""
    values = [
        str(value)
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
        for value in [element.get("value"), *(o["value"] for o in element.get("options", []))]
    ]
    parts = [v.split("|") for v in values]
    # A result's topic buttons ("c|topic|...") answer no question: the check is over.
    asks = any(p[0] in ("c", "t", "s") and p[1:2] != ["topic"] for p in parts)
    return any(block.get("type") == "context" for block in blocks) and not asks


class Inbox:
    """One user's DM as the stub saw it, and a way to wait for what comes next."""

    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.by_ts: dict[str, Posted] = {}
        self._waiter: asyncio.Future[None] | None = None

    def changed(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def until(self, ready: Callable[[], bool]) -> None:
        """Wait until ``ready()``, re-checking each time the app sent this DM something."""
        while not ready():
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    def keyboard(self) -> Posted | None:
        """The latest message with buttons still on it: the question to answer."""
        for message in reversed(self.posted):
            if has_actions(message.blocks):
                return message
        return None


class StubSlack:
    """Answers every Web API method ``ok`` at once; records what was posted to each DM.

    ``conversations.open`` of user ``U…`` is DM ``DU…``; ``users.info`` says en-US and
    Europe/London; response URLs accept anything.
    """

    def __init__(self) -> None:
        self.inboxes: dict[str, Inbox] = {}
        self.calls: Counter[str] = Counter()
        self._ts = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_route("*", "/api/{method}", self._api)
        self.app.router.add_post("/response_url/{id}", self._response_url)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/response_url/{n}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def inbox(self, channel: str) -> Inbox:
        inbox = self.inboxes.get(channel)
        if inbox is None:
            inbox = self.inboxes[channel] = Inbox()
        return inbox

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: JSON = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                params.update(json.loads(await request.read()))
            else:
                params.update(await request.post())
        self.calls[method] += 1
        answer: JSON = {"ok": True}
        if method == "chat.postMessage":
            channel = str(params["channel"])
            ts = f"1700000000.{next(self._ts):06d}"
            inbox = self.inbox(channel)
            message = Posted(ts, _blocks(params))
            inbox.posted.append(message)
            inbox.by_ts[ts] = message
            inbox.changed()
            answer.update(channel=channel, ts=ts)
        elif method == "chat.update":
            channel, ts = str(params["channel"]), str(params["ts"])
            inbox = self.inbox(channel)
            found = inbox.by_ts.get(ts)
            if found is None:
                answer = {"ok": False, "error": "message_not_found"}
            else:
                found.blocks = _blocks(params)
                found.updates += 1
                inbox.changed()
                answer.update(channel=channel, ts=ts)
        elif method == "conversations.open":
            answer["channel"] = {"id": "D" + str(params["users"])}
        elif method == "users.info":
            answer["user"] = {"id": params.get("user"), "locale": "en-US", "tz": "Europe/London"}
        elif method == "auth.test":
            answer.update(user_id="UBOT", bot_id="BBOT", team_id=TEAM, team="bench", user="kc")
        return web.json_response(answer)

    async def _response_url(self, request: web.Request) -> web.Response:
        await request.read()
        self.calls["response_url"] += 1
        return web.json_response({"ok": True})


def _blocks(params: JSON) -> list[JSON]:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return blocks if isinstance(blocks, list) else []


# ---------------------------------------------------------------------------------------------
# The reference: a plain bolt AsyncApp, state in one Redis key per user


class Reference:
    """The same flow's questions on a plain bolt ``AsyncApp``, without the kneecheck engine.

    Written as a bolt app usually is: bolt's defaults (``process_before_response=False``, an
    ``AsyncWebClient`` without a shared HTTP session), each listener acks first and then does
    its work; one JSON value per user in Redis, read and written whole on every press. Button
    values use the same ``<code>|<step>|<option>|<n>`` shape as kneecheck's, so the simulated
    users press both apps the same way; ``n`` (bumped on every answer) makes old buttons stale.
    """

    def __init__(
        self, redis_url: str, api_url: str, session: aiohttp.ClientSession | None = None
    ) -> None:
        catalog = load_catalog()
        flow = catalog.flow("kneecheck")
        self.steps = {step.id: step for step in flow.steps}
        self.order = [step.id for step in flow.steps]
        self.red_flags = {o.id for o in self.steps["red_flags"].options if o.red_flag}
        self.content = catalog.content("en")
        self.redis = aioredis.Redis.from_url(redis_url)
        self.app = AsyncApp(
            client=AsyncWebClient(token=TOKEN, base_url=api_url, session=session),
            signing_secret=SECRET,
        )
        self.app.command(COMMAND)(self.on_command)
        self.app.action(re.compile(r"^ticks:"))(self.on_tick)
        self.app.action(re.compile(r"^[cs]\|"))(self.on_press)

    @staticmethod
    def key(team: str, user: str) -> str:
        return f"ref:{team}:{user}"

    def next_step(self, step: str, chosen: list[str]) -> str | None:
        if step == "consent" and chosen == ["decline"]:
            return None
        if step == "red_flags" and self.red_flags.intersection(chosen):
            return None
        if step == "location" and chosen != ["behind"]:
            return "triggers"
        if step == "risks" and chosen == ["none"]:
            return "walking"  # which leg is asked only with a clot risk (flows/kneecheck.yaml)
        at = self.order.index(step) + 1
        return self.order[at] if at < len(self.order) else None

    def question(self, step: str, n: int, user: str) -> tuple[str, list[JSON]]:
        text = self.content.steps[step]
        number = self.order.index(step) + 1
        head = f"*Question {number} of {len(self.order)}*\n{_escape(text.question)}"
        blocks: list[JSON] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
        options = [(o.id, text.options[o.id].label) for o in self.steps[step].options]
        elements: list[JSON]
        if self.steps[step].kind == "multi":
            checkboxes: JSON = {
                "type": "checkboxes",
                "action_id": f"ticks:{step}:{n}:0",
                "options": [
                    {"text": {"type": "plain_text", "text": label}, "value": f"t|{step}|{o}|{n}"}
                    for o, label in options
                ],
            }
            done = f"s|{step}|done|{n}"
            button: JSON = {"type": "plain_text", "text": self.content.ui["done"]}
            elements = [checkboxes]
            tail = {"type": "button", "text": button, "action_id": done, "value": done}
            blocks.append({"type": "actions", "block_id": f"ref:{user}:0", "elements": elements})
            blocks.append({"type": "actions", "block_id": f"ref:{user}:1", "elements": [tail]})
        else:
            elements = [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": label},
                    "action_id": f"c|{step}|{o}|{n}",
                    "value": f"c|{step}|{o}|{n}",
                }
                for o, label in options
            ]
            blocks.append({"type": "actions", "block_id": f"ref:{user}:0", "elements": elements})
        return text.question, blocks

    def answered(self, step: str, chosen: list[str]) -> tuple[str, list[JSON]]:
        text = self.content.steps[step]
        labels = ", ".join(text.options[o].label for o in chosen)
        mrkdwn = f"{_escape(text.question)}\n\u27a1\ufe0f *{_escape(labels)}*"
        return mrkdwn, [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}]

    def closing(self, answers: dict[str, list[str]]) -> tuple[str, list[JSON]]:
        lines = [
            f"\u2022 {_escape(self.content.steps[s].options[o].label)}"
            for s, chosen in answers.items()
            for o in chosen
        ]
        summary = "*Thank you. You told us:*\n" + "\n".join(lines)
        disclaimer = _escape(self.content.disclaimer.text)
        return summary, [
            {"type": "section", "text": {"type": "mrkdwn", "text": summary[:3000]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": disclaimer}]},
        ]

    async def on_command(self, ack: AsyncAck, body: JSON, client: AsyncWebClient) -> None:
        await ack()
        user = str(body["user_id"])
        opened = await client.conversations_open(users=user)
        channel = str(opened["channel"]["id"])
        info = await client.users_info(user=user, include_locale=True)
        state = {"step": "consent", "n": 1, "answers": {}, "tz": info["user"].get("tz")}
        await self.redis.set(
            self.key(str(body["team_id"]), user), json.dumps(state), ex=TTL_SECONDS
        )
        text, blocks = self.question("consent", 1, user)
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)

    async def on_tick(self, ack: AsyncAck) -> None:
        await ack()  # the Slack client keeps the ticks; Done submits them

    async def on_press(
        self, ack: AsyncAck, body: JSON, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        action = body["actions"][0]
        code, step, option, n = str(action["value"]).split("|")
        user, team = str(body["user"]["id"]), str(body["team"]["id"])
        channel, ts = body["container"]["channel_id"], body["container"]["message_ts"]
        key = self.key(team, user)
        raw = await self.redis.get(key)
        state = json.loads(raw) if raw else None
        if state is None or state["step"] != step or state["n"] != int(n):
            await respond(text="That question has moved on.", replace_original=False)
            return
        if code == "s":
            chosen = [
                str(selected["value"]).split("|")[2]
                for block in body.get("state", {}).get("values", {}).values()
                for element in block.values()
                for selected in element.get("selected_options", [])
            ]
            if not chosen:
                await respond(text="Tick at least one box.", replace_original=False)
                return
        else:
            chosen = [option]
        state["answers"][step] = chosen
        following = self.next_step(step, chosen)
        state["step"], state["n"] = following, state["n"] + 1
        await self.redis.set(key, json.dumps(state), ex=TTL_SECONDS)
        text, blocks = self.answered(step, chosen)
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        if following is None:
            text, blocks = self.closing(state["answers"])
        else:
            text, blocks = self.question(following, state["n"], user)
        await client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------
# The app under test, in a process of its own


def serve(kind: str, redis_url: str, api_url: str, conn: Connection, profile: str | None) -> None:
    """Child process: serve app ``kind`` on 127.0.0.1; send the port; stop on SIGTERM.

    With ``profile``, the whole process runs under cProfile and its stats go to that file.
    """
    logging.basicConfig(level=logging.WARNING)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    asyncio.run(_serve(kind, redis_url, api_url, conn))
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile)


async def _serve(kind: str, redis_url: str, api_url: str, conn: Connection) -> None:
    if kind == "kneecheck":
        from bot.channels.slack.runner import run_http
        from bot.wiring import build_app

        app = build_app(
            Settings(
                redis_url=redis_url,
                slack_bot_token=SecretStr(TOKEN),
                slack_signing_secret=SecretStr(SECRET),
                slack_api_url=api_url,
                slack_app_token=None,
                log_salt=SecretStr("bench"),
            )
        )
        try:
            await run_http(app, host="127.0.0.1", port=0, started=conn.send)
        finally:
            await app.store.close()
        return
    # "ref-pooled": the same app with one aiohttp session for its Web API client, as kneecheck
    # keeps one, to show what is left of the difference once connections are reused alike.
    session = aiohttp.ClientSession() if kind == "ref-pooled" else None
    reference = Reference(redis_url, api_url, session)
    runner = web.AppRunner(reference.app.web_app(path=PATH), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        conn.send(int(runner.addresses[0][1]))
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
        await reference.redis.aclose()
        if session is not None:
            await session.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all processes on this machine have used (Linux ``/proc/stat``)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def app_process(
    kind: str, redis_url: str, api_url: str, profile: str | None = None
) -> Iterator[tuple[int, int]]:
    """The app ``kind`` running in a child process: yields (port, pid)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=serve, args=(kind, redis_url, api_url, theirs, profile), name=f"bench-{kind}"
    )
    process.start()
    try:
        deadline = time.monotonic() + 60
        while not ours.poll(0.1):
            if not process.is_alive():
                raise BenchError(f"{kind} exited with {process.exitcode} before listening")
            if time.monotonic() > deadline:
                raise BenchError(f"{kind} did not start listening within 60 s")
        port = int(ours.recv())
        assert process.pid is not None
        yield port, process.pid
    finally:
        process.terminate()  # SIGTERM: the app stops the way it does in production
        process.join(15)
        if process.is_alive():
            process.kill()
            process.join()


# ---------------------------------------------------------------------------------------------
# Users: signed requests in, reading the stub's DM


@dataclass
class Samples:
    command_acks: list[float] = field(default_factory=list)
    press_acks: list[float] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    ticks: int = 0


class Slack:
    """Speaks to the app under test as Slack does: signed POSTs to its request URL."""

    def __init__(self, session: aiohttp.ClientSession, url: str, stub: StubSlack) -> None:
        self.session = session
        self.url = url
        self.stub = stub
        self._ids = itertools.count(1)

    async def post(self, body: bytes) -> float:
        """Sign ``body`` and post it; the seconds until the HTTP 200 came back."""
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": SLACK_USER_AGENT,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(SECRET, stamp, body),
        }
        started = time.perf_counter()
        async with self.session.post(self.url, data=body, headers=headers) as response:
            await response.read()
            took = time.perf_counter() - started
            if response.status != 200:
                raise BenchError(f"the app answered {response.status} to a signed request")
        return took

    def command(self, user: str) -> bytes:
        return slash_command_body(
            command=COMMAND,
            user_id=user,
            channel_id="D" + user,
            team_id=TEAM,
            trigger_id=f"tr{next(self._ids)}",
            response_url=self.stub.response_url(next(self._ids)),
        )

    def action(self, user: str, message: Posted, action: JSON, ticked: list[JSON]) -> bytes:
        """A ``block_actions`` payload for ``action`` on ``message``, as Slack sends it."""
        values: JSON = {}
        for block in message.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("type") == "checkboxes":
                    chosen = [o for o in element["options"] if o in ticked]
                    values.setdefault(block["block_id"], {})[element["action_id"]] = {
                        "type": "checkboxes",
                        "selected_options": chosen,
                    }
        channel = "D" + user
        payload: JSON = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "token": "verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"tr{next(self._ids)}",
            "team": {"id": TEAM, "domain": "bench"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "directmessage"},
            "message": {
                "type": "message",
                "user": "UBOT",
                "ts": message.ts,
                "text": "",
                "blocks": message.blocks,
            },
            "state": {"values": values},
            "response_url": self.stub.response_url(next(self._ids)),
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        }
        return urlencode({"payload": json.dumps(payload)}).encode()


def step_of(message: Posted) -> str | None:
    """The question a message asks, read from its buttons' values."""
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            values = [o["value"] for o in element.get("options", [])] or [element.get("value")]
            for value in values:
                parts = str(value).split("|")
                if len(parts) == 4 and parts[0] in ("c", "t") and parts[1] != "topic":
                    return parts[1]  # a result's topic buttons answer no question
    return None


def controls(message: Posted) -> Iterator[tuple[str, JSON]]:
    for block in message.blocks:
        if block.get("type") == "actions":
            for element in block["elements"]:
                yield str(block["block_id"]), element


async def start(slack: Slack, user: str, samples: Samples | None) -> None:
    """Type ``/kneecheck`` in the DM; return once the first question has reached the stub."""
    inbox = slack.stub.inbox("D" + user)
    took = await slack.post(slack.command(user))
    if samples is not None:
        samples.command_acks.append(took)
    await inbox.until(lambda: (k := inbox.keyboard()) is not None and step_of(k) == "consent")


async def answer(slack: Slack, user: str, samples: Samples | None) -> None:
    """Press through the whole check, one turn at a time (ticks first on multi-choice)."""
    inbox = slack.stub.inbox("D" + user)
    for _ in range(PRESSES):
        message = inbox.keyboard()
        step = step_of(message) if message is not None else None
        if message is None or step is None:
            raise BenchError(f"{user}: no question to answer")
        wanted = ANSWERS[step]
        ticked: list[JSON] = []
        if isinstance(wanted, tuple):
            for block_id, element in controls(message):
                if element["type"] != "checkboxes":
                    continue
                for option in element["options"]:
                    if option["value"].split("|")[2] in wanted:
                        ticked.append(option)
                        tick = {
                            "type": "checkboxes",
                            "action_id": element["action_id"],
                            "block_id": block_id,
                            "selected_options": [o for o in element["options"] if o in ticked],
                        }
                        await slack.post(slack.action(user, message, tick, ticked))
                        if samples is not None:
                            samples.ticks += 1
            name = "done"
        else:
            name = wanted
        found = [
            (block_id, e)
            for block_id, e in controls(message)
            if e["type"] == "button" and str(e.get("value", "")).split("|")[2:3] == [name]
        ]
        if not found:
            raise BenchError(f"{user}: no button {name!r} on the {step} question")
        block_id, button = found[0]
        press = {
            "type": "button",
            "block_id": block_id,
            "action_id": button["action_id"],
            "value": button["value"],
            "text": button["text"],
        }
        updates, posted = message.updates, len(inbox.posted)

        def done(pressed: Posted = message, updates: int = updates, posted: int = posted) -> bool:
            return pressed.updates > updates and any(
                has_actions(m.blocks) or closes_check(m.blocks) for m in inbox.posted[posted:]
            )

        started = time.perf_counter()
        took = await slack.post(slack.action(user, message, press, ticked))
        await inbox.until(done)
        if samples is not None:
            samples.press_acks.append(took)
            samples.turns.append(time.perf_counter() - started)
    if not any(closes_check(m.blocks) for m in inbox.posted[-3:]):
        raise BenchError(f"{user}: the check did not close after {PRESSES} presses")


# ---------------------------------------------------------------------------------------------
# One app, measured


def ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


@dataclass
class Round:
    """One app measured once: the samples and what the phases cost."""

    samples: Samples
    commands_wall: float
    wall: float
    app_cpu: float
    bench_cpu: float
    redis_cpu: float
    other_cpu: float
    redis_commands: int
    web_calls: int


async def measure(
    kind: str,
    number: int,
    port: int,
    pid: int,
    stub: StubSlack,
    redis: aioredis.Redis,
    args: argparse.Namespace,
) -> Round:
    prefix = f"U{APPS.index(kind)}R{number}"
    users = [
        [f"{prefix}S{slot:03d}X{k:03d}" for k in range(args.conversations)]
        for slot in range(args.users)
    ]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        slack = Slack(session, f"http://127.0.0.1:{port}{PATH}", stub)

        async def warm(n: int) -> None:
            user = f"{prefix}W{n:04d}"
            await start(slack, user, None)
            await answer(slack, user, None)

        async with asyncio.timeout(PHASE_TIMEOUT):
            await asyncio.gather(*(warm(n) for n in range(args.warmup)))

        samples = Samples()

        async def open_all(mine: list[str]) -> None:
            for user in mine:
                await start(slack, user, samples)

        async def press_all(mine: list[str]) -> None:
            for user in mine:
                await answer(slack, user, samples)

        # The simulated users keep every message they were sent: a full collection of this
        # process's heap mid-phase would be a pause charged to the app's latency.
        gc.collect()
        gc.disable()
        try:
            async with asyncio.timeout(PHASE_TIMEOUT):
                wall0 = time.perf_counter()
                await asyncio.gather(*(open_all(mine) for mine in users))
                commands_wall = time.perf_counter() - wall0

            calls_before = Counter(stub.calls)
            await redis.config_resetstat()
            redis_cpu0 = await _redis_cpu(redis)
            app_cpu0, bench_cpu0 = cpu_seconds(pid), time.process_time()
            machine0 = machine_busy_seconds()
            async with asyncio.timeout(PHASE_TIMEOUT):
                wall0 = time.perf_counter()
                await asyncio.gather(*(press_all(mine) for mine in users))
                wall = time.perf_counter() - wall0
            app_cpu, bench_cpu = cpu_seconds(pid) - app_cpu0, time.process_time() - bench_cpu0
            machine = machine_busy_seconds() - machine0
        finally:
            gc.enable()
        redis_cpu = await _redis_cpu(redis) - redis_cpu0
        stats = await redis.info("commandstats")
    return Round(
        samples=samples,
        commands_wall=commands_wall,
        wall=wall,
        app_cpu=app_cpu,
        bench_cpu=bench_cpu,
        redis_cpu=redis_cpu,
        other_cpu=max(machine - app_cpu - bench_cpu - redis_cpu, 0.0),
        redis_commands=sum(
            int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_config", "cmdstat_info")
        ),
        web_calls=sum((stub.calls - calls_before).values()),
    )


def figures(rounds: list[Round]) -> dict[str, float]:
    """One app's figures over its rounds: latencies pooled, rates over the summed time."""
    acks = [t for r in rounds for t in r.samples.command_acks]
    turn_times = [t for r in rounds for t in r.samples.turns]
    press_acks = [t for r in rounds for t in r.samples.press_acks]
    turns = len(turn_times)
    wall = sum(r.wall for r in rounds)
    return {
        "commands_sent": len(acks),
        "commands_per_second": len(acks) / sum(r.commands_wall for r in rounds),
        "command_ack_p50_ms": ms(acks, 50),
        "command_ack_p99_ms": ms(acks, 99),
        "command_ack_max_ms": max(acks) * 1000,
        "turns": turns,
        "box_ticks_sent": sum(r.samples.ticks for r in rounds),
        "seconds": wall,
        "turns_per_second": turns / wall,
        "turn_p50_ms": ms(turn_times, 50),
        "turn_p99_ms": ms(turn_times, 99),
        "press_ack_p50_ms": ms(press_acks, 50),
        "press_ack_p99_ms": ms(press_acks, 99),
        "app_cpu_us_per_turn": sum(r.app_cpu for r in rounds) / turns * 1e6,
        "app_cpu_busy_percent": sum(r.app_cpu for r in rounds) / wall * 100,
        "bench_cpu_us_per_turn": sum(r.bench_cpu for r in rounds) / turns * 1e6,
        "redis_cpu_us_per_turn": sum(r.redis_cpu for r in rounds) / turns * 1e6,
        "redis_commands_per_turn": sum(r.redis_commands for r in rounds) / turns,
        "web_api_calls_per_turn": sum(r.web_calls for r in rounds) / turns,
        # Anything else running on the machine meanwhile (other programs, the kernel's work):
        # a busy machine lowers turns/s; CPU per turn is the steadier figure then.
        "other_cpu_percent": sum(r.other_cpu for r in rounds) / wall * 100,
    }


async def _redis_cpu(redis: aioredis.Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def check_blocks(stub: StubSlack) -> int:
    """Every message the apps left in the DMs passes FakeSlack's Block Kit checks."""
    messages = [m for inbox in stub.inboxes.values() for m in inbox.posted]
    for message in messages:
        errors = block_errors(message.blocks)
        if errors:
            raise BenchError(f"a message Slack would refuse: {errors[:3]}")
    return len(messages)


async def run(args: argparse.Namespace, redis_url: str) -> dict[str, list[Round]]:
    """Each app in turn, ``--rounds`` times over (alternating, so a machine that gets busier
    during the run weighs on every app alike)."""
    stub = StubSlack()
    await stub.start()
    redis = aioredis.Redis.from_url(redis_url)
    rounds: dict[str, list[Round]] = {kind: [] for kind in args.apps}
    try:
        for number in range(args.rounds):
            for kind in args.apps:
                await redis.flushdb()
                profile = f"{args.profile}.{kind}.{number}" if args.profile else None
                with app_process(kind, redis_url, stub.base_url, profile) as (port, pid):
                    rounds[kind].append(await measure(kind, number, port, pid, stub, redis, args))
                check_blocks(stub)
                stub.inboxes.clear()
    finally:
        await redis.aclose()
        await stub.stop()
    return rounds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50, help="users at once (default 50)")
    parser.add_argument(
        "--conversations",
        type=int,
        default=5,
        help="whole checks each user goes through, one after another (default 5)",
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="untimed whole checks per app first (default 20)"
    )
    parser.add_argument("--apps", nargs="+", choices=APPS, default=list(APPS))
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="run each app under cProfile; stats to PATH.<app> (figures then include its cost)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="times each app is measured, the apps alternating (default 2)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        server.start()
        try:
            rounds = asyncio.run(run(args, server.url))
        finally:
            server.stop()
    results = {kind: figures(measured) for kind, measured in rounds.items()}
    command = " ".join([".venv/bin/python", "-m", "bench.slack", *sys.argv[1:]])
    print(f"command: {command}")
    print(
        f"{args.users} users at once, {args.conversations} checks each "
        f"({PRESSES} presses per check), {args.rounds} rounds, {os.cpu_count()} CPUs"
    )
    names = list(next(iter(results.values())))
    width = max(len(k) for k in names)
    print(f"{'':<{width}}  " + "  ".join(f"{kind:>12}" for kind in results))
    for name in names:
        cells = "  ".join(_cell(results[kind][name]) for kind in results)
        print(f"{name:<{width}}  {cells}")
    for kind, measured in rounds.items():
        each = ", ".join(f"{len(r.samples.turns) / r.wall:,.0f}" for r in measured)
        print(f"{kind} turns/s by round: {each}")
    ours = results.get("kneecheck", {}).get("turns_per_second")
    for kind in APPS[1:]:
        if ours is not None and kind in results:
            theirs = results[kind]["turns_per_second"]
            aim = " (aim: at least 2x)" if kind == "reference" else ""
            print(
                f"kneecheck / {kind}: {ours:,.0f} / {theirs:,.0f} turns/s"
                f" = {ours / theirs:.2f}x{aim}"
            )
    if "kneecheck" in results:
        p99 = results["kneecheck"]["command_ack_p99_ms"]
        print(f"/kneecheck ack p99: {p99:.1f} ms (aim: under 50 ms)")
    if any(r["other_cpu_percent"] > 20 for r in results.values()):
        print("note: other work was using this machine during the run (other_cpu_percent)")


def _cell(value: float) -> str:
    return f"{value:>12,.2f}" if isinstance(value, float) else f"{value:>12,}"


if __name__ == "__main__":
    main()
