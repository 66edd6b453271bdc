"""Hostile requests for both webhook endpoints: what an attacker or a broken proxy sends.

One seeded generator shared by ``make fuzz`` (10,000 requests to a real ``kneecheck serve``)
and the property test: real Telegram updates and Slack payloads with fields dropped, given
the wrong type, nested deep or swapped for junk; bodies that are not JSON, not UTF-8, not
forms; headers missing, wrong or malformed. Every user id and typed text carries a marker
(:data:`MARK`) so the logs can be searched for anything that leaked.
"""

from __future__ import annotations

import json
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack import (
    SlackSigner,
    block_actions_body,
    message_event_body,
    slash_command_body,
)

MARK = "zqxfuzz"
"""In every generated user id and text: a log line holding it leaked request data."""
Json = Any


@dataclass(frozen=True)
class Hostile:
    endpoint: str  # "telegram" or "slack"
    body: bytes
    headers: dict[str, str]
    signed: bool
    """Whether the request carries a valid secret or signature (a bad one must get a 4xx)."""


def _junk(rng: random.Random, depth: int = 0) -> Json:
    """Any JSON value, sometimes large, sometimes deep."""
    kind = rng.randrange(9 if depth < 6 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 1.5, -(2**70), 1e308])
    if kind == 3:
        return f"{MARK}-{rng.randrange(10**6)}" * rng.choice([1, 1, 3, 500])
    if kind == 4:
        return rng.choice(["", "\u0000", "é", "🙂" * 10, "x" * 5000])
    if kind == 5:
        return {}
    if kind == 6:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {f"{MARK}{i}": _junk(rng, depth + 1) for i in range(rng.randrange(4))}
    return _deep(rng.randrange(2, 200))


def _deep(n: int) -> Json:
    value: Json = MARK
    for i in range(n):
        value = [value] if i % 2 else {"a": value}
    return value


def _mutate(rng: random.Random, value: Json, depth: int = 0) -> Json:
    """``value`` with one field dropped, retyped, or replaced, somewhere inside it."""
    if isinstance(value, dict) and value and depth < 8:
        key = rng.choice(list(value))
        out = dict(value)
        action = rng.randrange(4)
        if action == 0:
            del out[key]
        elif action == 1:
            out[key] = _junk(rng)
        else:
            out[key] = _mutate(rng, value[key], depth + 1)
        return out
    if isinstance(value, list) and value and depth < 8:
        out_list = list(value)
        i = rng.randrange(len(out_list))
        out_list[i] = _mutate(rng, out_list[i], depth + 1)
        return out_list
    return _junk(rng)


def _telegram_update(rng: random.Random) -> Json:
    user = rng.randrange(10**6, 10**7)
    sender = {"id": user, "is_bot": False, "first_name": MARK, "language_code": "en"}
    chat = {"id": user, "type": rng.choice(["private", "group", "supergroup", "channel"])}
    text = rng.choice(["/start", "/forget", "/mydata", f"my calf {MARK}", "yes", "1"])
    message = {"message_id": rng.randrange(1, 999), "date": int(time.time()), "chat": chat}
    if rng.random() < 0.5:
        return {
            "update_id": rng.randrange(10**9),
            "message": {**message, "from": sender, "text": text},
        }
    data = rng.choice(["a|consent|agree|1", "x", "", MARK * 20, "t|red_flags|none|9"])
    return {
        "update_id": rng.randrange(10**9),
        "callback_query": {
            "id": str(rng.randrange(10**9)),
            "from": sender,
            "chat_instance": "1",
            "data": data,
            "message": {**message, "from": {**sender, "is_bot": True}, "text": "q"},
        },
    }


def _raw(rng: random.Random) -> bytes:
    """A body that is not what it claims to be."""
    return rng.choice(
        [
            b"",
            b"{",
            b"null",
            b"[]",
            b"\xff\xfe\x00garbage",
            ("[" * 100_000 + "]" * 100_000).encode(),
            b"payload=%7B%22type%22",
            b"payload=" + urllib.parse.quote(json.dumps([MARK])).encode(),
            b"payload=" + b"%ff" * 100,
            f"{MARK}=1&command=/kneecheck&user_id={MARK}".encode(),
            json.dumps({"type": "url_verification", "challenge": _junk(rng)}).encode(),
            b"x" * rng.choice([10, 100_000, 2_000_000]),
        ]
    )


def _slack_body(rng: random.Random) -> tuple[bytes, str]:
    user, channel = f"U{MARK}{rng.randrange(10**5)}", f"D{MARK}{rng.randrange(10**5)}"
    kind = rng.randrange(3)
    if kind == 0:
        body = message_event_body(
            user_id=user, channel_id=channel, text=f"calf {MARK}", event_id=f"Ev{rng.random()}"
        )
        data = json.loads(body)
        return json.dumps(_mutate(rng, data)).encode(), "application/json"
    if kind == 1:
        body = slash_command_body(
            user_id=user, channel_id=channel, response_url="http://127.0.0.1:9/x"
        )
        fields = dict(urllib.parse.parse_qsl(body.decode()))
        if fields and rng.random() < 0.7:
            key = rng.choice(list(fields))
            fields[key] = json.dumps(_junk(rng)) if rng.random() < 0.5 else ""
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    body = block_actions_body(
        user_id=user,
        channel_id=channel,
        message_ts="1.000001",
        actions=[{"action_id": "a", "value": f"{MARK}|consent|agree|1"}],
        response_url="http://127.0.0.1:9/x",
    )
    fields = dict(urllib.parse.parse_qsl(body.decode()))
    payload = _mutate(rng, json.loads(fields.get("payload", "{}")))
    return (
        urllib.parse.urlencode({"payload": json.dumps(payload)}).encode(),
        "application/x-www-form-urlencoded",
    )


def requests(seed: int, count: int, telegram_secret: str, slack_secret: str) -> list[Hostile]:
    """``count`` hostile requests, half to each endpoint, about half of them signed."""
    rng = random.Random(seed)
    signer = SlackSigner(slack_secret)
    out: list[Hostile] = []

    def telegram() -> Hostile:
        body = (
            _raw(rng)
            if rng.random() < 0.2
            else json.dumps(
                _mutate(rng, _telegram_update(rng)) if rng.random() < 0.8 else _junk(rng)
            ).encode()
        )
        signed = rng.random() < 0.6
        secret = telegram_secret if signed else rng.choice(["", "wrong", telegram_secret + "x"])
        headers = {"Content-Type": rng.choice(["application/json", "text/plain", ""])}
        if secret or rng.random() < 0.5:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return Hostile("telegram", body, headers, signed)

    def slack() -> Hostile:
        body, content_type = (
            (_raw(rng), "application/json") if rng.random() < 0.2 else _slack_body(rng)
        )
        signed = rng.random() < 0.6
        headers = {"Content-Type": content_type}
        if signed:
            headers.update(signer.sign(body))
        else:
            headers.update(
                rng.choice(
                    [
                        {},
                        SlackSigner("wrong-secret").sign(body),
                        signer.sign(body, int(time.time()) - 3600),
                        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
                        {"X-Slack-Request-Timestamp": str(int(time.time()))},
                    ]
                )
            )
        return Hostile("slack", body, headers, signed)

    makers: list[Callable[[], Hostile]] = [telegram, slack]
    for n in range(count):
        out.append(makers[n % 2]())
    return out
