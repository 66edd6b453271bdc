"""Driving the real Slack app as a person in Slack would, and reading what they would see.

:class:`BotProcess` is one bot process: its own App (own Redis client) and the real bolt app
served over HTTP on 127.0.0.1; stopping one and starting another on the same Redis is a
process restart. :class:`SlackUser` types commands and messages and presses buttons by
sending signed requests shaped like Slack's, then waits until the bot has finished the work
those requests started (``drain``: no sleeps). What the user saw is read back from the fake
Slack: messages in their DM (as updated), and ephemeral messages.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from pydantic import SecretStr

from bot.channels.slack.app import KneecheckSlackApp, build_slack_app
from bot.channels.slack.runner import PATH, web_app
from bot.engine.assessment import TOPIC_STEP
from bot.parts import App
from bot.settings import Settings
from bot.wiring import build_app
from tests.fakes.slack import (
    FakeMessage,
    FakeSlack,
    LocalServer,
    SlackSigner,
    block_actions_body,
    message_event_body,
    slash_command_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T1"
JSON = dict[str, Any]
_ids = itertools.count(1)


def settings_for(fake: FakeSlack, redis_url: str, **extra: Any) -> Settings:
    """The bot's settings against ``fake``; ``extra`` for others (the reminder timings)."""
    return Settings(
        redis_url=redis_url,
        slack_bot_token=SecretStr(fake.token),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=fake.base_url,
        **extra,
    )


class BotProcess:
    """One running bot: build it, serve it, stop it. ``clock`` is the app's "now" (the
    reminder tests set it)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.app: App = build_app(settings, clock=clock)
        self.bolt: KneecheckSlackApp = build_slack_app(self.app)
        self.server = LocalServer(web_app(self.bolt))

    @property
    def url(self) -> str:
        return f"{self.server.url}{PATH}"

    async def start(self) -> BotProcess:
        await self.server.start()
        return self

    async def idle(self) -> None:
        assert await self.bolt.drain(10), "the bot's work did not finish in 10 s"

    async def stop(self) -> None:
        await self.idle()
        await self.server.stop()
        await self.app.close()


# -- what a person sees ------------------------------------------------------------------


def visible_text(message: FakeMessage) -> str:
    """Section and context texts with the markup a reader does not see taken out."""
    parts: list[str] = []
    for block in message.blocks:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts += [e["text"] for e in block["elements"] if "text" in e]
    text = "\n".join(parts) if parts else message.text
    text = re.sub(r"(?m)^\*(.*)\*$", r"\1", text)
    text = re.sub(r"(?m)^(\u27a1\ufe0f) \*(.*)\*$", r"\1 \2", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def elements(message: FakeMessage) -> list[tuple[str, JSON]]:
    """(block_id, element) of every interactive element, in order."""
    return [
        (block.get("block_id", ""), element)
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def codec_values(message: FakeMessage) -> list[str]:
    values: list[str] = []
    for _, element in elements(message):
        if element["type"] == "checkboxes":
            values += [o["value"] for o in element["options"]]
        else:
            values.append(element.get("value", ""))
    return values


def step_of(message: FakeMessage) -> str | None:
    """The question a message asks, read from its answers' codec values."""
    for value in codec_values(message):
        parts = value.split("|")
        if len(parts) == 4 and parts[0] in ("c", "t") and parts[1] and parts[1] != TOPIC_STEP:
            return parts[1]
    return None


@dataclass
class TurnView:
    """What one action of the user made appear or change."""

    new: list[FakeMessage] = field(default_factory=list)
    updated: list[FakeMessage] = field(default_factory=list)
    whispers: list[FakeMessage] = field(default_factory=list)

    @property
    def shown(self) -> list[FakeMessage]:
        """The messages the action brought: new DM messages, else ephemeral ones."""
        return self.new or self.whispers

    @property
    def text(self) -> str:
        return "\n".join(visible_text(m) for m in self.shown)

    @property
    def everything(self) -> str:
        return "\n".join(visible_text(m) for m in (*self.updated, *self.whispers, *self.new))


class SlackUser:
    """A person in the test workspace, with their DM with the app."""

    def __init__(self, fake: FakeSlack, bot: BotProcess, user_id: str = "U0KNEE") -> None:
        self.fake = fake
        self.bot = bot
        self.id = user_id
        self.dm = "D" + user_id
        self.signer = SlackSigner(SECRET)
        self.view = TurnView()
        self._ticks: dict[tuple[str, int], set[str]] = {}
        self.channels = {self.dm}
        """Where this user may have been shown ephemeral messages."""

    # -- acting ---------------------------------------------------------------------------

    async def send(self, body: bytes, **kwargs: Any) -> int:
        """Post a signed request as Slack would; wait for the work it started; record it."""
        before = self._snapshot()
        status, _ = await self.signer.send(self.bot.url, body, **kwargs)
        await self.bot.idle()
        self.view = self._diff(before)
        return status

    async def command(self, text: str = "", *, channel: str | None = None) -> int:
        where = channel or self.dm
        self.channels.add(where)
        body = slash_command_body(
            text=text,
            user_id=self.id,
            channel_id=where,
            team_id=TEAM,
            trigger_id=f"tr{next(_ids)}",
            response_url=self.fake.new_response_url(channel=where, user=self.id),
        )
        return await self.send(body)

    async def say(self, text: str, *, event_id: str | None = None, **kwargs: Any) -> int:
        body = message_event_body(
            user_id=self.id,
            channel_id=self.dm,
            text=text,
            team_id=TEAM,
            event_id=event_id or f"Ev{next(_ids)}",
        )
        return await self.send(body, **kwargs)

    async def press(self, name: str, *, on: FakeMessage | None = None) -> int:
        """Press the button for option/command ``name`` (``done``, ``back``, ``resume``...);
        on a multi-choice question an option's "button" is its checkbox."""
        message = on or self.keyboard
        self.channels.add(message.channel)
        for block_id, element in elements(message):
            value = element.get("value", "")
            if element["type"] == "button" and name in (value, *value.split("|")[2:3]):
                action = {"action_id": element["action_id"], "value": value, "block_id": block_id}
                return await self.send(self.action_body(message, action))
            if element["type"] == "checkboxes" and any(
                o["value"].split("|")[2] == name for o in element["options"]
            ):
                await self.tick(name, on=message)
                return 200
        raise AssertionError(f"no button {name!r} on: {codec_values(message)}")

    async def tick(self, *options: str, on: FakeMessage | None = None) -> None:
        """Tick boxes as the Slack client does: kept in the client, each change sent to us."""
        message = on or self.keyboard
        before = self._snapshot()
        for option in options:
            for block_id, element in elements(message):
                if element["type"] != "checkboxes":
                    continue
                match = [o for o in element["options"] if o["value"].split("|")[2] == option]
                if not match:
                    continue
                ticked = self.ticked(message)
                ticked ^= {match[0]["value"]}
                selected = [o for o in element["options"] if o["value"] in ticked]
                action = {
                    "type": "checkboxes",
                    "action_id": element["action_id"],
                    "block_id": block_id,
                    "selected_options": selected,
                }
                assert await self.send(self.action_body(message, action)) == 200
                break
            else:
                raise AssertionError(f"no box {option!r} on: {codec_values(message)}")
        self.view = self._diff(before)  # everything the ticks brought, not just the last one

    def ticked(self, message: FakeMessage) -> set[str]:
        """The client's ticks on ``message``: what it was rendered with until changed."""
        key = (message.ts, message.updates)
        if key not in self._ticks:
            self._ticks[key] = {
                o["value"]
                for _, element in elements(message)
                if element["type"] == "checkboxes"
                for o in element.get("initial_options", [])
            }
        return self._ticks[key]

    def action_body(self, message: FakeMessage, action: JSON, *, user: str | None = None) -> bytes:
        body = block_actions_body(
            user_id=user or self.id,
            channel_id=message.channel,
            team_id=TEAM,
            message_ts=message.ts,
            actions=[action],
            response_url=self.fake.new_response_url(
                channel=message.channel, user=user or self.id, message_ts=message.ts
            ),
            message_text=message.text,
            message_blocks=message.blocks,
        )
        return with_state(body, self.state(message))

    def state(self, message: FakeMessage) -> JSON:
        """``state.values`` as Slack reports it: every checkbox group with its ticks."""
        values: JSON = {}
        ticked = self.ticked(message)
        for block_id, element in elements(message):
            if element["type"] == "checkboxes":
                selected = [o for o in element["options"] if o["value"] in ticked]
                values.setdefault(block_id, {})[element["action_id"]] = {
                    "type": "checkboxes",
                    "selected_options": selected,
                }
        return {"values": values}

    # -- seeing -----------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMessage]:
        return self.fake.messages(self.dm)

    @property
    def keyboard(self) -> FakeMessage:
        """The latest DM message with buttons."""
        for message in reversed(self.messages):
            if elements(message):
                return message
        raise AssertionError("no message with buttons in the DM")

    def whispers(self, channel: str | None = None) -> list[FakeMessage]:
        return self.fake.ephemeral(channel or self.dm, self.id)

    def _snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        updates = {m.ts: m.updates for m in self.messages}
        whispers = {c: len(self.fake.ephemeral(c, self.id)) for c in self.channels}
        return updates, whispers

    def _diff(self, before: tuple[dict[str, int], dict[str, int]]) -> TurnView:
        updates, whispers = before
        view = TurnView()
        for message in self.messages:
            if message.ts not in updates:
                view.new.append(message)
            elif message.updates != updates[message.ts]:
                view.updated.append(message)
        for channel, seen in whispers.items():
            view.whispers += self.fake.ephemeral(channel, self.id)[seen:]
        return view


def with_state(body: bytes, state: JSON) -> bytes:
    """A block_actions body with ``state`` filled in (the fake's builder leaves it empty)."""
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    payload["state"] = state
    return urlencode({"payload": json.dumps(payload)}).encode()
