"""Replay every golden transcript (tests/golden/*.yaml) through the terminal chat.

The terminal is a channel too: `kneecheck chat` is how a newcomer first meets kneecheck.
Each turn is typed the way a person at the terminal would type it (a button is its number in
the printed list, a tick is the number of a box, a command is `/back`), through the real
:class:`TerminalChat` and its line parser, on the actions over the suite's own
redis-server. The printed text is what is checked.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import redis.asyncio as aioredis

from bot.actions import Actions
from bot.catalog.catalog import Catalog
from bot.channels.registry import user_values
from bot.channels.terminal import TerminalChat, choices, render
from bot.conversations import Conversations
from bot.engine import Reply, Start
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore
from tests.engine.texts import self_care_in
from tests.golden_transcripts import Transcript, UserTurn, load_transcripts

TRANSCRIPTS = load_transcripts()
USER = UserRef("terminal", "golden")


class Recording(TerminalChat):
    """The real terminal chat, keeping each reply it prints for the checks."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.printed: list[Reply] = []

    def show(self, reply: Reply, *, view: bool = False) -> None:
        self.printed.append(reply)
        super().show(reply, view=view)


def typed(chat: Recording, turn: UserTurn) -> list[str]:
    """What a person types at the terminal for this turn."""
    match turn.action:
        case "say":
            assert turn.say is not None
            return [turn.say]
        case "command":
            return [f"/{turn.command}"]
        case "press":
            return [number(chat, turn.press or "")]
        case "tick":
            return [number(chat, value) for value in turn.tick or ()]
    raise AssertionError(f"no typed form for {turn.action!r}")  # pragma: no cover


def stale_button(chat: Recording, turn: UserTurn) -> bool:
    """A press of a button no longer on screen, to check the "already moved on" notice."""
    if turn.action != "press" or turn.expect is None:
        return False
    on_screen = chat.shown is not None and any(c.value == turn.press for c in chat.shown.choices)
    return not on_screen and any("already moved on" in c for c in turn.expect.contains)


WIDTH = 80
"""Every line printed fits a terminal of this width."""


def unwrapped(text: str) -> str:
    """The printed text with line breaks and indents as single spaces, for the transcript's
    expected phrases (a wrapped line may break one anywhere)."""
    return " ".join(text.split())


def words_of(reply: Reply, chat: Recording) -> str:
    """The reply as printed, without its numbered choices and the headings' rules."""
    lines = render(reply, chat.content, columns=WIDTH).splitlines()
    return " ".join(line for line in lines if line.strip("=- "))


def number(chat: Recording, value: str) -> str:
    """The number printed next to the choice ``value`` (an option id, done, back...)."""
    shown = chat.shown
    assert shown is not None, f"no choices on screen to press {value!r}"
    numbered = choices(shown)
    if value == "done" and shown.multi:  # no Done here: the answers chosen before, again
        return " ".join(str(n) for n, c in enumerate(numbered, 1) if c.selected)
    for position, choice in enumerate(numbered, 1):
        if choice.value == value:
            return str(position)
    raise AssertionError(f"no choice {value!r}: {[c.value for c in numbered]}")


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t.id for t in TRANSCRIPTS])
async def test_golden_transcript_in_the_terminal(
    catalog: Catalog, redis_client: aioredis.Redis, transcript: Transcript
) -> None:
    store = RedisSessionStore(redis_client, ttl_seconds=3600, values=user_values())
    actions = Actions(Conversations(catalog, store, salt=b"s"), store)
    out = io.StringIO()
    chat = Recording(actions, USER, locale=transcript.locale, stdout=out)
    ticked: list[str] = []  # the terminal ticks by typing every number on one line
    for number_, turn in enumerate(transcript.turns, 1):
        before = len(chat.printed)
        if turn.action == "tick":
            ticked += typed(chat, turn)
            continue  # nothing happens until the line is sent (the next turn's Done)
        if stale_button(chat, turn):
            continue  # an old message's button: the terminal has no old buttons to press
        if turn.action == "start":
            locale = (turn.start.locale if turn.start else None) or transcript.locale
            chat.locale = locale
            await chat.send(Start(locale))
        else:
            done = turn.action == "press" and turn.press == "done" and ticked
            lines = [" ".join(ticked)] if done else typed(chat, turn)
            ticked = []
            if lines == [""] and turn.expect is None:
                continue  # Done with nothing chosen: no Done here, and nothing to type
            for line in lines:
                acted = await chat.line(line)
                assert acted, f"{transcript.file}: {line!r} typed to no effect"
        said = chat.printed[before:]
        assert said, f"{transcript.file}, turn {number_}: nothing printed"
        if turn.expect is None:
            continue
        last = said[-1]
        text = render(last, chat.content, columns=WIDTH)
        assert all(len(line) <= WIDTH for line in text.splitlines()), text
        problems = turn.expect.problems(
            kind=last.kind,
            step=last.step,
            tier=last.tier,
            text=unwrapped(text),
            turn_text=unwrapped("\n".join(render(r, chat.content) for r in said)),
            message=words_of(replace(last, choices=(), multi=False), chat),
        )
        assert not problems, (
            f"{transcript.file}, turn {number_} ({turn.action}): {'; '.join(problems)}\n"
            f"--- printed:\n{text}"
        )
    for reply in chat.printed:
        if reply.kind == "urgent":
            assert self_care_in(reply.text(), catalog.content(transcript.locale)) == []
