"""Benchmark: Telegram turns from raw webhook update JSON in to Bot API requests out.

Ours: every update goes through ``process_webhook`` (secret checked, PTB Application,
our handlers, engine, compare-and-set in a real redis-server this script starts on a
free loopback port, so every turn is durable before its reply goes out). Bot API calls
are answered instantly by :class:`StubRequest`, a ``telegram.request.BaseRequest`` at
PTB's request seam, so PTB's own serialisation and response parsing still run.

The reference (``bench/ptb_reference.py``): the usual way of building this bot, a PTB
``ConversationHandler`` over the same flow and texts with ``PicklePersistence``, fed the
same update bytes through ``Update.de_json`` and ``Application.process_update``, on the
same stub. It runs after ours in a fresh subprocess, so each side's CPU time and peak
RSS are its own; the driver, stub and JSON updates are the same code on both sides.
Ours keeps its AIORateLimiter, with the overall 30 requests/s ceiling lifted (see
``TELEGRAM_MAX_RATE``); the reference, built the usual way, has none.

2,000 users, 100 in flight (each user's turns are sequential): ``/start`` with a
bot_command entity, then callback queries pressing the buttons the bot actually sent
(read from the stub's record of sendMessage / editMessageReplyMarkup), through consent,
red flags ("None of these" + Done), location, ..., to the assessment: 17 turns a user.

Reproduce with:  .venv/bin/python -m bench.telegram --users 2000 --in-flight 100
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import html
import itertools
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.catalog.content import Content

os.environ.setdefault("PTB_TIMEDELTA", "true")

TOKEN = "123456:BENCH-not-a-real-token"
SECRET = "bench-webhook-secret"
BOT_ID = 123456
BOT_USER_JSON = json.dumps(
    {"id": BOT_ID, "is_bot": True, "first_name": "KneeCheck", "username": "kneecheck_bot"}
)
MEASURED_USERS = 10_000_000
"""User (and private chat) ids of the measured users start here; warm-up users elsewhere."""
WARM_USERS = 20_000_000
DONE = "__done__"
# The buttons a user presses after /start, as (step, option id); DONE is the Done button.
PRESSES: tuple[tuple[str, str], ...] = (
    ("consent", "agree"),
    ("red_flags", "none"),
    ("red_flags", DONE),
    ("location", "behind"),
    ("behind_muscle", "calf"),
    ("triggers", "exercise"),
    ("triggers", "dehydration"),
    ("triggers", DONE),
    ("frequency", "weekly"),
    ("water", "low"),
    ("diet", "mixed"),
    ("activity", "heavy"),
    ("sitting", "h4_8"),
    ("age", "a40_54"),
    ("conditions", "none"),
    ("conditions", DONE),
    ("risks", "none"),
    ("risks", DONE),
    ("walking", "no"),
)
TURNS_PER_USER = 1 + len(PRESSES)

Figures = dict[str, float | int | str]
Handle = Callable[[bytes], Awaitable[None]]


class BenchError(AssertionError):
    """The bot did not do what a user needs to go on (a missing button, a notice)."""


# -- the stub at PTB's request seam -------------------------------------------------------------


@dataclass
class Keyboard:
    """The message with buttons the user currently sees (text as sent, markup as JSON)."""

    message_id: int
    text: str
    markup: str


@dataclass
class Chat:
    """One private chat as the user sees it; dropped when the user is done."""

    keyboard: Keyboard | None = None
    last_text: str = ""
    notices: list[str] = field(default_factory=list)


_OK_TRUE = b'{"ok":true,"result":true}'


class StubRequest(BaseRequest):
    """Answers every Bot API call at once with canned JSON, recording what the bot sent.

    ``request_data.json_parameters`` is exactly what PTB's HTTPXRequest posts, so PTB's
    serialisation of every parameter still runs; the response is a real Bot API body
    (a Message echoing text and reply_markup) that PTB parses as it would Telegram's.
    """

    def __init__(self) -> None:
        self.chats: dict[int, Chat] = {}
        self.calls: Counter[str] = Counter()
        self.own_seconds = 0.0
        """Time building answers (after PTB serialised the call): the bench's, not the bot's."""
        self.recorded: list[tuple[str, dict[str, Any]]] | None = None
        """When a list: every call's method and parameters, in order (bench.telegram_floor)."""
        self._message_ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def open_chat(self, chat_id: int) -> Chat:
        chat = self.chats[chat_id] = Chat()
        return chat

    def close_chat(self, chat_id: int) -> None:
        del self.chats[chat_id]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api = url.rpartition("/")[2].lower()  # Bot API method names are case-insensitive
        self.calls[api] += 1
        params = request_data.json_parameters if request_data is not None else {}
        if self.recorded is not None:
            self.recorded.append((api, dict(params)))
        started = time.perf_counter()
        try:
            return self._answer(api, params)
        finally:
            self.own_seconds += time.perf_counter() - started

    def _answer(self, api: str, params: dict[str, str]) -> tuple[int, bytes]:
        if api == "sendmessage":
            return 200, self._send(params)
        if api == "editmessagetext":
            return 200, self._edit_text(params)
        if api == "editmessagereplymarkup":
            return 200, self._edit_markup(params)
        if api == "answercallbackquery":
            text = params.get("text")
            if text:
                chat = self.chats.get(int(params["callback_query_id"].partition(":")[0]))
                if chat is not None:
                    chat.notices.append(text)
            return 200, _OK_TRUE
        if api == "getme":
            return 200, b'{"ok":true,"result":' + BOT_USER_JSON.encode() + b"}"
        if api in ("setmycommands", "deletewebhook", "setwebhook"):
            return 200, _OK_TRUE
        body = {"ok": False, "error_code": 404, "description": f"Not Found: {api} (bench stub)"}
        return 404, json.dumps(body).encode()

    @staticmethod
    def _message(chat_id: int, message_id: int, text: str, markup: str | None) -> bytes:
        chat = f'{{"id":{chat_id},"type":"private","first_name":"Bench"}}'
        body = (
            f'{{"ok":true,"result":{{"message_id":{message_id},"date":{int(time.time())},'
            f'"chat":{chat},"from":{BOT_USER_JSON},"text":{json.dumps(text)}'
        )
        if markup:
            body += f',"reply_markup":{markup}'
        return (body + "}}").encode()

    def _send(self, params: dict[str, str]) -> bytes:
        chat_id, text = int(params["chat_id"]), params["text"]
        markup = params.get("reply_markup")
        message_id = next(self._message_ids)
        chat = self.chats.get(chat_id)
        if chat is not None:
            chat.last_text = text
            if markup and "inline_keyboard" in markup:
                chat.keyboard = Keyboard(message_id, text, markup)
        return self._message(chat_id, message_id, text, markup)

    def _edit_text(self, params: dict[str, str]) -> bytes:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text, markup = params["text"], params.get("reply_markup")
        chat = self.chats.get(chat_id)
        if (
            chat is not None
            and chat.keyboard is not None
            and chat.keyboard.message_id == message_id
        ):
            chat.keyboard = Keyboard(message_id, text, markup) if markup else None
        return self._message(chat_id, message_id, text, markup)

    def _edit_markup(self, params: dict[str, str]) -> bytes:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        markup = params.get("reply_markup")
        chat = self.chats.get(chat_id)
        text = ""
        if (
            chat is not None
            and chat.keyboard is not None
            and chat.keyboard.message_id == message_id
        ):
            text = chat.keyboard.text
            chat.keyboard = Keyboard(message_id, text, markup) if markup else None
        return self._message(chat_id, message_id, text, markup)


# -- updates as Telegram sends them -------------------------------------------------------------


def _user_json(user_id: int) -> str:
    return f'{{"id":{user_id},"is_bot":false,"first_name":"Bench","language_code":"en"}}'


def command_update(update_id: int, user_id: int, message_id: int, command: str) -> bytes:
    """A private-chat message ``/command`` with its bot_command entity."""
    chat = f'{{"id":{user_id},"type":"private","first_name":"Bench"}}'
    return (
        f'{{"update_id":{update_id},"message":{{"message_id":{message_id},'
        f'"date":{int(time.time())},"chat":{chat},"from":{_user_json(user_id)},'
        f'"text":{json.dumps(command)},'
        f'"entities":[{{"type":"bot_command","offset":0,"length":{len(command)}}}]}}}}'
    ).encode()


def callback_update(
    update_id: int, user_id: int, query_id: str, pressed: Keyboard, data: str
) -> bytes:
    """A tap on a button of ``pressed``; the query carries the whole message, as Telegram's."""
    chat = f'{{"id":{user_id},"type":"private","first_name":"Bench"}}'
    message = (
        f'{{"message_id":{pressed.message_id},"date":{int(time.time())},"chat":{chat},'
        f'"from":{BOT_USER_JSON},"text":{json.dumps(pressed.text)},'
        f'"reply_markup":{pressed.markup}}}'
    )
    return (
        f'{{"update_id":{update_id},"callback_query":{{"id":{json.dumps(query_id)},'
        f'"from":{_user_json(user_id)},"chat_instance":"ci{user_id}",'
        f'"data":{json.dumps(data)},"message":{message}}}}}'
    ).encode()


def press_labels(content: Content) -> list[tuple[str, str]]:
    """(step, label) of each press: what a person reads on the button they tap."""
    out = []
    for step, option in PRESSES:
        label = content.ui["done"] if option == DONE else content.steps[step].options[option].label
        out.append((step, label))
    return out


def find_button(markup: str, label: str) -> str:
    """The callback_data of the button labelled ``label`` (a tick mark in front ignored)."""
    for row in json.loads(markup)["inline_keyboard"]:
        for button in row:
            text = button["text"]
            if (text == label or text[2:] == label) and "callback_data" in button:
                return str(button["callback_data"])
    raise BenchError(f"no button {label!r}")


# -- the driver -----------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """Peak RSS of this process's own memory (VmHWM).

    ``getrusage(RUSAGE_SELF).ru_maxrss`` is the same figure for a process that was not
    exec'd from a bigger one, but Linux carries the parent's high-water mark across
    fork+exec, so a subprocess started from a 75 MB parent would report 75 MB whatever it
    used; VmHWM belongs to the process's own address space. ru_maxrss is the fallback.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


class Latencies:
    """Seconds per turn in a preallocated array, so recording them grows no memory."""

    def __init__(self, capacity: int) -> None:
        self.values = array("d", bytes(8 * capacity))
        self.count = 0

    def add(self, seconds: float) -> None:
        self.values[self.count] = seconds
        self.count += 1


class Driver:
    """Plays users on a bot through ``handle(update_bytes)``; shared by both sides."""

    def __init__(self, handle: Handle, stub: StubRequest, content: Content) -> None:
        self.handle = handle
        self.stub = stub
        self.labels = press_labels(content)
        # The assessment ends with the disclaimer, in its last message.
        self.finished_marker = html.escape(content.disclaimer.short, quote=False)
        self.update_ids = itertools.count(1)
        self.user_message_ids = itertools.count(1)
        self.own_seconds = 0.0
        """Time spent building updates and finding buttons: the bench's, not the bot's."""

    async def converse(self, user_id: int, latencies: Latencies) -> None:
        clock = time.perf_counter
        mine = clock()
        chat = self.stub.open_chat(user_id)
        body = command_update(next(self.update_ids), user_id, next(self.user_message_ids), "/start")
        started = clock()
        self.own_seconds += started - mine
        await self.handle(body)
        latencies.add(clock() - started)
        for n, (step, label) in enumerate(self.labels):
            mine = clock()
            pressed = chat.keyboard
            if pressed is None:
                raise BenchError(f"user {user_id}: no buttons before pressing {step}/{label!r}")
            try:
                data = find_button(pressed.markup, label)
            except BenchError as exc:
                raise BenchError(f"user {user_id} at {step}: {exc} in {pressed.markup}") from None
            body = callback_update(next(self.update_ids), user_id, f"{user_id}:{n}", pressed, data)
            started = clock()
            self.own_seconds += started - mine
            await self.handle(body)
            latencies.add(clock() - started)
            if chat.notices:
                raise BenchError(f"user {user_id} at {step}: notice {chat.notices}")
        if self.finished_marker not in chat.last_text:
            raise BenchError(
                f"user {user_id}: no assessment; last message {chat.last_text[:200]!r}"
            )
        self.stub.close_chat(user_id)

    async def warm_up(self, users: int) -> None:
        for u in range(users):
            await self.converse(WARM_USERS + u, Latencies(TURNS_PER_USER))

    async def run(self, users: int, in_flight: int) -> Figures:
        """The measured phase: ``users`` conversations, ``in_flight`` at a time."""
        latencies = Latencies(users * TURNS_PER_USER)
        gate = asyncio.Semaphore(in_flight)
        sample_at = min(500, max(1, users // 4))
        done = 0
        rss_at_sample = 0
        calls_before = sum(self.stub.calls.values())
        bench_before = self.own_seconds + self.stub.own_seconds

        async def one(u: int) -> None:
            nonlocal done, rss_at_sample
            async with gate:
                await self.converse(MEASURED_USERS + u, latencies)
            done += 1
            if done == sample_at:
                rss_at_sample = rss_bytes()

        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(u) for u in range(users)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        bench = self.own_seconds + self.stub.own_seconds - bench_before
        rss_at_end = rss_bytes()
        turns = latencies.count
        q = statistics.quantiles(latencies.values[:turns], n=100)
        return {
            "users": users,
            "in_flight": in_flight,
            "turns": turns,
            "seconds": wall,
            "turns_per_second": turns / wall,
            "cpu_us_per_turn": cpu / turns * 1e6,
            # The driver's updates and button lookups and the stub's answers, timed where they
            # run (synchronous code, so their wall time is their CPU time): not the bot's work.
            "bench_driver_stub_us_per_turn": bench / turns * 1e6,
            "bot_cpu_us_per_turn": (cpu - bench) / turns * 1e6,
            "p50_ms": q[49] * 1000,
            "p99_ms": q[98] * 1000,
            "bot_api_requests_per_turn": (sum(self.stub.calls.values()) - calls_before) / turns,
            "peak_rss_mb": peak_rss_bytes() / 2**20,
            f"rss_after_{sample_at}_users_mb": rss_at_sample / 2**20,
            f"rss_after_{users}_users_mb": rss_at_end / 2**20,
            "rss_growth_bytes_per_user": (rss_at_end - rss_at_sample) / max(1, users - sample_at),
        }


# -- ours -----------------------------------------------------------------------------------------


async def run_ours(
    redis_url: str, users: int, in_flight: int, profile: cProfile.Profile | None = None
) -> Figures:
    import redis.asyncio as aioredis
    from pydantic import SecretStr

    from bot.channels.telegram.runner import process_webhook, telegram_app
    from bot.serving import started_up
    from bot.settings import Settings
    from bot.store.keys import UserRef
    from bot.wiring import build_app

    settings = Settings(
        redis_url=redis_url,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=None,
        telegram_webhook_secret=SecretStr(SECRET),
        log_salt=SecretStr("bench"),
        # Telegram's 30 messages/s for a whole bot would make this a benchmark of sleeping:
        # the limiter still runs on every call, with a ceiling no run reaches.
        telegram_max_rate=1e9,
    )
    app = build_app(settings)
    stub = StubRequest()
    application = telegram_app(app, polling=False, request=stub)

    async def handle(body: bytes) -> None:
        status = await process_webhook(application, body, SECRET, SECRET)
        if status != 200:
            raise BenchError(f"process_webhook answered {status}")

    monitor = aioredis.Redis.from_url(redis_url)
    driver = Driver(handle, stub, app.catalog.content("en"))
    try:
        async with application:
            if application.post_init is not None:
                await application.post_init(application)  # setMyCommands, as run_polling does
            await application.start()
            try:
                await driver.warm_up(min(in_flight, users))
                await monitor.config_resetstat()
                cpu_before = await monitor.info("cpu")
                batcher = app.store.batcher
                commands_before, pipelines_before = batcher.commands, batcher.pipelines
                if profile is not None:
                    profile.enable()
                with started_up():  # as `kneecheck serve` and polling do once started
                    figures = await driver.run(users, in_flight)
                if profile is not None:
                    profile.disable()
                cpu_after = await monitor.info("cpu")
                commands = batcher.commands - commands_before
                pipelines = batcher.pipelines - pipelines_before
                stats = await monitor.info("commandstats")
            finally:
                await application.stop()
        redis_cpu = sum(
            float(cpu_after[k]) - float(cpu_before[k]) for k in ("used_cpu_sys", "used_cpu_user")
        )
        turns = int(figures["turns"])
        server_side = sum(
            int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_config", "cmdstat_info")
        )
        figures["redis_cpu_us_per_turn"] = redis_cpu / turns * 1e6
        # Client commands per turn. The once-only marker and the session read go out together,
        # so a turn waits on one round trip fewer than it sends commands; concurrent turns'
        # commands share pipelines (network writes).
        figures["redis_commands_per_turn"] = commands / turns
        figures["redis_pipelines_per_turn"] = pipelines / turns
        figures["redis_server_commands_per_turn_incl_script"] = server_side / turns
        # Durable: the finished conversations are in Redis, read back through the store.
        sample = range(0, users, max(1, users // 50))
        sessions = [
            await app.store.load(UserRef("tg", str(MEASURED_USERS + u)), "kneecheck")
            for u in sample
        ]
        durable = sum(1 for s in sessions if s is not None and s.status == "done")
        figures["finished_sessions_in_redis"] = f"{durable}/{len(sessions)} sampled"
    finally:
        await monitor.aclose()
        await app.store.close()
    return figures


def run_reference(users: int, in_flight: int) -> Figures:
    """The reference in a fresh interpreter (its CPU and RSS are its own)."""
    command = [sys.executable, "-m", "bench.ptb_reference", "--users", str(users)]
    command += ["--in-flight", str(in_flight), "--json"]
    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"PTB_TIMEDELTA": "true"}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"reference failed ({done.returncode}):\n{done.stderr}")
    figures: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# -- report ---------------------------------------------------------------------------------------


def _fmt(value: float | int | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def print_table(ours: Figures, reference: Figures | None, name: str = "ours") -> None:
    keys = list(ours) + [k for k in (reference or {}) if k not in ours]
    width = max(len(k) for k in keys)
    header = f"{'figure':<{width}}  {name:>14}"
    if reference is not None:
        header += f"  {'reference':>14}  {'ours/ref':>9}"
    print(header)
    for key in keys:
        mine, theirs = ours.get(key), (reference or {}).get(key)
        line = f"{key:<{width}}  {_fmt(mine):>14}"
        if reference is not None:
            ratio = (
                f"{mine / theirs:.2f}x"
                if isinstance(mine, float) and isinstance(theirs, float) and theirs
                else ""
            )
            line += f"  {_fmt(theirs):>14}  {ratio:>9}"
        print(line)


def _area(filename: str) -> str:
    for marker, name in (
        ("/telegram/", "python-telegram-bot"),
        ("/bot/", "kneecheck (bot/)"),
        ("/redis/", "redis-py"),
        ("/bench/", "bench driver + stub"),
        ("/pydantic", "pydantic"),
        ("/json/", "json"),
        ("asyncio", "asyncio"),
        ("aiolimiter", "aiolimiter"),
        ("prometheus", "prometheus_client"),
    ):
        if marker in filename:
            return name
    return "other (builtins, stdlib)"


# (file path ending, function name, label): the stages of one of our turns, where present.
_STAGES = (
    ("bot/channels/telegram/runner.py", "process_webhook", "process_webhook: the whole turn"),
    ("bot/channels/telegram/updates.py", "parse", "  updates.parse (JSON -> Incoming)"),
    ("bot/conversations.py", "handle", "  Conversations.handle (load/engine/save)"),
    ("bot/engine/machine.py", "advance", "    engine.advance (pure)"),
    ("bot/store/batching.py", "_send", "  Redis pipelines (redis-py, all turns)"),
    ("bot/channels/telegram/render.py", "messages", "  render.messages"),
    ("bot/channels/telegram/render.py", "keyboard", "  render.keyboard"),
    ("bot/channels/telegram/render.py", "answered_html", "  render.answered_html"),
    ("telegram/_bot.py", "do_api_request", "  Bot.do_api_request (all Bot API calls)"),
    (
        "telegram/ext/_aioratelimiter.py",
        "process_request",
        "    AIORateLimiter (wraps what follows)",
    ),
    ("telegram/_bot.py", "_do_post", "      Bot._do_post (build, post, parse)"),
    ("telegram/request/_requestdata.py", "json_parameters", "        PTB serialisation"),
    ("bench/telegram.py", "do_request", "        stub do_request (incl. serialisation)"),
    ("telegram/request/_baserequest.py", "parse_json_payload", "        PTB response parsing"),
)


def print_profile(profile: cProfile.Profile, turns: int, top: int) -> None:
    stats = pstats.Stats(profile)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    by_area: defaultdict[str, float] = defaultdict(float)
    for (filename, _, name), (_, _, tottime, _, callers) in raw.items():
        area = _area(filename)
        by_area[area] += tottime
        if area == "json" and name in ("dumps", "loads"):
            # json the driver and stub call themselves is bench overhead, not the bot's.
            from_bench = sum(c[3] for (f, _, _), c in callers.items() if "/bench/" in f)
            by_area["json"] -= from_bench
            by_area["bench driver + stub"] += from_bench
    total = sum(by_area.values())
    print(f"\nprofile of ours (cProfile on: every figure inflated by it), {turns:,} turns")
    print("own time by package, µs per turn (json called by the driver/stub counted as bench):")
    for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        print(f"  {area:<28} {seconds / turns * 1e6:8.1f}  {seconds / total:6.1%}")
    print("stages, cumulative µs per turn (coroutines: time running, not waiting):")
    for suffix, function, label in _STAGES:
        cumulative = sum(
            v[3] for (f, _, n), v in raw.items() if n == function and f.endswith(suffix)
        )
        if cumulative:
            print(f"  {label:<46} {cumulative / turns * 1e6:8.1f}  {cumulative / total:6.1%}")
    print(f"\ntop {top} functions by own time:")
    stats.sort_stats("tottime").print_stats(top)
    print(f"top {top} functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument(
        "--no-reference", action="store_true", help="measure ours only (skip the PTB reference)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="profile ours with cProfile and print the top N functions (figures then inflated)",
    )
    args = parser.parse_args(argv)

    from tests.redis_server import RedisServer

    profile = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        server.start()
        try:
            ours = asyncio.run(run_ours(server.url, args.users, args.in_flight, profile))
        finally:
            server.stop()
    reference = None if args.no_reference or profile else run_reference(args.users, args.in_flight)

    command = " ".join([".venv/bin/python", "-m", "bench.telegram", *sys.argv[1:]])
    print(f"command: {command}")
    print(
        "ours: process_webhook in this process, real redis-server on 127.0.0.1, AIORateLimiter "
        "on with its 30 requests/s overall ceiling lifted; reference: bench/ptb_reference.py "
        "(ConversationHandler + PicklePersistence, no rate limiter) in a fresh subprocess; "
        "CPU and RSS include the shared driver and stub on both sides"
    )
    print_table(ours, reference)
    if reference is not None:
        speedup = float(ours["turns_per_second"]) / float(reference["turns_per_second"])
        print(f"\nturns/s ours / reference: {speedup:.2f}x (aim: >= 2x)")
        print(
            f"CPU per turn, ours: {float(ours['cpu_us_per_turn']):.0f} µs with the driver and "
            f"stub, {float(ours['bot_cpu_us_per_turn']):.0f} µs without (aim: < 205 µs)"
        )
        print(f"peak RSS, ours: {float(ours['peak_rss_mb']):.1f} MB (aim: < 50 MB, no growth)")
    if profile is not None:
        print_profile(profile, int(ours["turns"]), args.profile)


if __name__ == "__main__":
    main()
