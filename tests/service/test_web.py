"""`kneecheck serve`: both channels, health and metrics on one port, with real Redis and fakes."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from bot.channels.telegram.runner import SECRET_HEADER
from bot.engine.assessment import TOPIC_STEP
from bot.settings import Settings
from bot.web import serve
from bot.wiring import build_app
from tests.fakes.slack import FakeSlack, SlackSigner, slash_command_body
from tests.fakes.telegram import FakeTelegram
from tests.redis_server import RedisServer

SLACK_SECRET = "slack-signing-secret"
WEBHOOK_SECRET = "tg-webhook-secret"


@dataclass
class Service:
    url: str
    telegram: FakeTelegram
    slack: FakeSlack
    redis: RedisServer


def start_update(update_id: int, user_id: int) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "W", "language_code": "en"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    ).encode()


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    async with FakeTelegram() as telegram, FakeSlack() as slack:
        settings = Settings(
            redis_url=redis.url,
            telegram_bot_token=SecretStr(telegram.token),
            telegram_api_base_url=telegram.base_url,
            telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
            slack_bot_token=SecretStr(slack.token),
            slack_signing_secret=SecretStr(SLACK_SECRET),
            slack_api_url=slack.base_url,
        )
        app = build_app(settings)
        stop, port = asyncio.Event(), asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            serve(
                app,
                host="127.0.0.1",
                port=0,
                stop=stop,
                started=port.set_result,
                handle_signals=False,
            )
        )
        yield Service(f"http://127.0.0.1:{await port}", telegram, slack, redis)
        stop.set()
        await asyncio.wait_for(task, 15)
        await app.store.close()
    redis.stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_the_telegram_webhook_needs_the_secret_and_runs_the_conversation(
    service: Service,
) -> None:
    url = f"{service.url}/telegram/webhook"
    assert await post(url, start_update(1, 501), {}) == 401
    assert await post(url, start_update(2, 501), {SECRET_HEADER: "wrong"}) == 401
    assert not service.telegram.messages(501)
    assert await post(url, start_update(3, 501), {SECRET_HEADER: WEBHOOK_SECRET}) == 200
    assert "Question 1 of" in service.telegram.last(501).plain_text


async def test_slack_commands_are_served_on_the_same_port(service: Service) -> None:
    body = slash_command_body(
        user_id="U77", channel_id="DU77", response_url=service.slack.new_response_url()
    )
    status, _ = await SlackSigner(SLACK_SECRET).send(f"{service.url}/slack/events", body)
    assert status == 200
    await service.slack.wait_for(lambda: bool(service.slack.messages("DU77")))
    assert "Question 1 of" in service.slack.messages("DU77")[-1].text
    _, metrics = await get(f"{service.url}/metrics")
    acks = re.search(r"^kneecheck_slack_ack_seconds_count (\S+)$", metrics, re.M)
    assert acks is not None
    assert float(acks[1]) >= 1  # how long Slack waited for its 200


async def test_health_follows_redis_and_metrics_count_turns(service: Service) -> None:
    assert await get(f"{service.url}/healthz") == (200, '{"status": "ok"}')
    url = f"{service.url}/telegram/webhook"
    await post(url, start_update(10, 987650601), {SECRET_HEADER: WEBHOOK_SECRET})
    status, metrics = await get(f"{service.url}/metrics")
    assert status == 200
    assert 'kneecheck_turns_total{channel="tg",step="consent"}' in metrics
    assert "987650601" not in metrics  # no user id in any label

    service.redis.stop(keep_data=True)
    status, body = await get(f"{service.url}/healthz")
    assert status == 503
    assert "redis unreachable" in body
    assert await post(url, start_update(11, 987650602), {SECRET_HEADER: WEBHOOK_SECRET}) == 200
    assert "not working right now" in service.telegram.last(987650602).plain_text
    _, metrics = await get(f"{service.url}/metrics")
    assert errors(metrics, "redis") >= 1  # the outage shows where operators look

    service.redis.start()
    assert (await get(f"{service.url}/healthz"))[0] == 200


def button_update(update_id: int, user_id: int, message_id: int, data: str) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "callback_query": {
                "id": f"q{update_id}",
                "from": {"id": user_id, "is_bot": False, "first_name": "W"},
                "chat_instance": "c",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": 1,
                    "chat": {"id": user_id, "type": "private"},
                },
            },
        }
    ).encode()


async def test_two_serve_processes_on_one_redis_behave_as_one(tmp_path: Path) -> None:
    """A conversation whose turns alternate between two web processes completes correctly."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    user = 987650777
    async with FakeTelegram() as telegram:
        settings = Settings(
            redis_url=redis.url,
            telegram_bot_token=SecretStr(telegram.token),
            telegram_api_base_url=telegram.base_url,
            telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
        )
        apps = [build_app(settings), build_app(settings)]
        stop = asyncio.Event()
        ports = [asyncio.get_running_loop().create_future() for _ in apps]
        tasks = [
            asyncio.create_task(
                serve(
                    app,
                    host="127.0.0.1",
                    port=0,
                    stop=stop,
                    started=port.set_result,
                    handle_signals=False,
                )
            )
            for app, port in zip(apps, ports, strict=True)
        ]
        urls = [f"http://127.0.0.1:{await port}/telegram/webhook" for port in ports]
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        assert await post(urls[0], start_update(1, user), headers) == 200
        update_id = 2
        while True:
            last = telegram.messages(user)[-1]
            buttons = [
                data
                for _, data in last.buttons()
                if data.startswith(("c|", "t|")) and not data.startswith(f"c|{TOPIC_STEP}|")
            ]
            if not buttons:
                break
            step = buttons[0].split("|")[1]
            # Always the first option; on a multi-choice step, the "none"/"not sure" way out.
            data = (
                buttons[0]
                if buttons[0].startswith("c|")
                else next(
                    (d for d in buttons if d.split("|")[2] in ("none", "not_sure")), buttons[0]
                )
            )
            url = urls[update_id % 2]
            assert (
                await post(url, button_update(update_id, user, last.message_id, data), headers)
                == 200
            )
            update_id += 1
            if data.startswith("t|"):
                done = f"s|{step}|done|{data.split('|')[3]}"
                assert (
                    await post(
                        urls[update_id % 2],
                        button_update(update_id, user, last.message_id, done),
                        headers,
                    )
                    == 200
                )
                update_id += 1
        assert "Self-care is a reasonable start" in "\n".join(
            m.plain_text for m in telegram.messages(user)
        )
        stop.set()
        for task in tasks:
            await asyncio.wait_for(task, 15)
        for app in apps:
            await app.store.close()
    redis.stop()


def errors(metrics: str, where: str) -> float:
    found = re.search(rf'^kneecheck_errors_total{{where="{where}"}} (\S+)$', metrics, re.M)
    return float(found[1]) if found else 0.0


async def test_signed_but_malformed_updates_are_acknowledged_and_change_nothing(
    service: Service,
) -> None:
    """Wrong field types and deep nesting get a 200 (Telegram would retry an error for a
    day), no message and no stored key; the process keeps serving."""
    url, headers = f"{service.url}/telegram/webhook", {SECRET_HEADER: WEBHOOK_SECRET}
    good = json.loads(start_update(20, 987650701))
    shapes: list[object] = [
        {"update_id": 21, "message": "x"},
        {"update_id": 22, "callback_query": "x"},
        {"update_id": 23, "message": {**good["message"], "chat": {"id": "abc", "type": "private"}}},
        {"update_id": 24, "message": {**good["message"], "chat": {"type": "private"}}},
        {"update_id": 26, "message": {**good["message"], "from": {"id": "987650701"}}},
    ]
    for shape in shapes:
        assert await post(url, json.dumps(shape).encode(), headers) == 200, shape
    deep = b"[" * 100_000 + b"]" * 100_000
    assert await post(url, deep, headers) == 400
    assert not service.telegram.messages(987650701)
    client = aioredis.Redis.from_url(service.redis.url)
    try:
        assert await client.keys("kc:{tg:987650701}*") == []
    finally:
        await client.aclose()
    assert await post(url, start_update(27, 987650701), headers) == 200  # still serving
    assert "Question 1 of" in service.telegram.last(987650701).plain_text


async def test_a_press_in_a_group_or_on_someone_elses_message_changes_nothing(
    service: Service,
) -> None:
    url, headers = f"{service.url}/telegram/webhook", {SECRET_HEADER: WEBHOOK_SECRET}
    owner, other = 987650801, 987650802
    assert await post(url, start_update(30, owner), headers) == 200
    question = service.telegram.last(owner)
    agree = next(d for _, d in question.buttons() if "|agree|" in d)
    before = len(service.telegram.messages(owner))

    # Someone else presses the owner's button (a forged update, signed like Telegram's).
    foreign = service.telegram.press_update(owner, question.message_id, agree)
    foreign["callback_query"]["from"] = {"id": other, "is_bot": False, "first_name": "B"}
    assert await post(url, json.dumps({"update_id": 31, **foreign}).encode(), headers) == 200
    # The owner's own press, but on a copy of the message in a group chat.
    grouped = service.telegram.press_update(owner, question.message_id, agree)
    grouped["callback_query"]["message"]["chat"] = {"id": -100777, "type": "supergroup"}
    assert await post(url, json.dumps({"update_id": 32, **grouped}).encode(), headers) == 200

    for update in (foreign, grouped):
        answer = service.telegram.callback_answers[update["callback_query"]["id"]]
        assert "belong to someone else" in str(answer["text"])
    assert len(service.telegram.messages(owner)) == before  # nothing sent to the owner
    assert not service.telegram.messages(other)
    assert service.telegram.last(owner).buttons() == question.buttons()  # still unanswered


async def test_a_hundred_concurrent_taps_of_one_checkbox_give_no_error(service: Service) -> None:
    """Through the real webhook: every tap answered 200, no 5xx, and the ticks consistent."""
    url, headers = f"{service.url}/telegram/webhook", {SECRET_HEADER: WEBHOOK_SECRET}
    user = 987650901
    assert await post(url, start_update(40, user), headers) == 200
    consent = service.telegram.last(user)
    agree = next(d for _, d in consent.buttons() if "|agree|" in d)
    press = service.telegram.press_update(user, consent.message_id, agree)
    assert await post(url, json.dumps({"update_id": 41, **press}).encode(), headers) == 200
    question = service.telegram.last(user)
    tick = next(d for _, d in question.buttons() if "|clot_leg|" in d)
    updates = [
        json.dumps(
            {"update_id": 100 + i, **service.telegram.press_update(user, question.message_id, tick)}
        ).encode()
        for i in range(100)
    ]
    _, before = await get(f"{service.url}/metrics")  # one registry for every test here
    statuses = await asyncio.gather(*(post(url, body, headers) for body in updates))
    assert statuses == [200] * 100
    _, metrics = await get(f"{service.url}/metrics")
    assert errors(metrics, "telegram") == errors(before, "telegram")
    # An even number of taps: the box ends unticked, and the question is still the same one.
    shown = service.telegram.last(user)
    assert shown.message_id == question.message_id
    ticks = [text for text, data in shown.buttons() if "|clot_leg|" in data]
    assert len(ticks) == 1
    assert ticks[0].startswith("\u2b1c")  # unticked


async def test_slack_bodies_are_refused_before_parsing_unless_signed(service: Service) -> None:
    """Unsigned or badly signed bodies get 401 without being parsed; signed ones that are not
    usable get a 4xx or an acknowledged 200, never a 5xx (Slack would retry it)."""
    url = f"{service.url}/slack/events"
    signer = SlackSigner(SLACK_SECRET)
    garbage = [
        b"{not json",
        b"payload=%7Bnot%20json",
        b"[" * 50_000 + b"]" * 50_000,
        b"[1, 2, 3]",
        b"\xff\xfe\x00 not utf-8",
        b"payload=" + b"%5B" * 5_000,
    ]
    for body in garbage:
        assert (await post(url, body, {"Content-Type": "application/json"})) == 401, body[:20]
        stale = {**signer.sign(body), "X-Slack-Request-Timestamp": "abc"}
        assert await post(url, body, stale) == 401
        status, _ = await signer.send(url, body)
        assert status < 500, (body[:20], status)
    _, metrics = await get(f"{service.url}/metrics")
    # Each noted, without its content (invalid UTF-8 cannot even be verified: a 401).
    assert errors(metrics, "slack") >= len(garbage) - 1
    body = slash_command_body(
        user_id="U78", channel_id="DU78", response_url=service.slack.new_response_url()
    )
    status, _ = await signer.send(url, body)
    assert status == 200  # still serving
