"""Replay every golden transcript (tests/golden/*.yaml) through Slack.

The same files the engine replays, played as a Slack user: ``start`` is ``/kneecheck`` in
the DM, ``say`` a DM message, ``press`` a button of the latest message with buttons,
``tick`` checkbox changes kept by the Slack client, ``command`` ``/kneecheck back|restart|
stop``. Each expectation is checked on what the user can see:

- ``contains``/``absent``: the messages the action brought (new DM messages, or the
  ephemeral ones when the action only earned a notice); ``said``: those plus every message
  the action rewrote. When an action brings nothing (a tick), the latest message counts.
- ``step``: read from the codec values of the message's buttons and checkboxes.
- ``kind``: a question has answer buttons, a prompt a Continue button, urgent advice and a
  result the disclaimer in a context block (told apart by their titles); a notice and an
  info are both a plain message on Slack, so either satisfies the other.
- ``tier``: the tier title shown.
"""

from __future__ import annotations

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.engine.assessment import TOPIC_STEP
from tests.channels.slack.driver import SlackUser, codec_values, step_of, visible_text
from tests.engine.texts import self_care_in
from tests.fakes.slack import FakeMessage, FakeSlack
from tests.golden_transcripts import Transcript, UserTurn, load_transcripts

TRANSCRIPTS = load_transcripts()
PLAIN = ("notice", "info")


def visible_kind(message: FakeMessage, content: Content) -> str:
    values = codec_values(message)
    if step_of(message) is not None:
        return "question"
    if any(v.split("|")[2:3] == ["resume"] for v in values):
        return "prompt"
    text = visible_text(message)
    if content.disclaimer.urgent in text:
        return "urgent"
    topics = [v for v in values if v.startswith(f"c|{TOPIC_STEP}|")]
    if topics:  # the result's first message (under its tier's heading), or one of its topics
        return "result" if any(t.title in _lines(text) for t in content.tiers.values()) else "info"
    return "plain"


def visible_tier(text: str, content: Content) -> str | None:
    return next((tier for tier, t in content.tiers.items() if t.title in _lines(text)), None)


def _lines(text: str) -> set[str]:
    """The lines of a message, where a tier's title stands as a heading (bold on Slack)."""
    return {line.strip().strip("*") for line in text.splitlines()}


async def play(user: SlackUser, fake: FakeSlack, turn: UserTurn, locale: str) -> None:
    match turn.action:
        case "start":
            assert turn.start is not None
            # No Slack time zone that places the user: their region comes from the locale,
            # as on Telegram and in the engine, so every channel shows the same numbers.
            fake.set_user(user.id, locale=turn.start.locale or locale, tz="UTC")
            assert await user.command() == 200
        case "say":
            assert turn.say is not None
            assert await user.say(turn.say) == 200
        case "press":
            assert turn.press is not None
            assert await user.press(turn.press) == 200
        case "tick":
            assert turn.tick is not None
            await user.tick(*turn.tick)
        case "command":
            assert turn.command is not None
            assert await user.command(turn.command) == 200


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t.id for t in TRANSCRIPTS])
async def test_golden_transcript_on_slack(
    fake: FakeSlack, user: SlackUser, catalog: Catalog, transcript: Transcript
) -> None:
    content = catalog.content(transcript.locale, catalog.region(language=transcript.locale))
    for number, turn in enumerate(transcript.turns, 1):
        await play(user, fake, turn, transcript.locale)
        shown = user.view.shown or user.messages[-1:]
        assert shown, f"{transcript.file}, turn {number}: nothing to see"
        if not user.view.shown:  # a tick: what is in front of the user is the question
            user.view.new = shown
        text = "\n".join(visible_text(m) for m in shown)
        if content.disclaimer.urgent in text:
            assert self_care_in(text, content) == [], transcript.file
        if turn.expect is None:
            continue
        kind = visible_kind(shown[-1], content)
        if kind == "plain" and turn.expect.kind in PLAIN:
            kind = turn.expect.kind
        problems = turn.expect.problems(
            kind=kind,
            step=step_of(shown[-1]),
            tier=visible_tier(text, content),
            text=text,
            turn_text=user.view.everything,
        )
        assert not problems, (
            f"{transcript.file}, turn {number} ({turn.action}): {'; '.join(problems)}\n"
            f"--- the user saw:\n{text}"
        )
