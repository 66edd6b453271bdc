"""The golden transcripts of the core, replayed through Telegram as a user would type and tap."""

from __future__ import annotations

import pytest

from bot.catalog.catalog import Catalog
from bot.engine.assessment import TOPIC_STEP
from tests.channels.telegram.harness import TelegramUser
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.golden_transcripts import Transcript, UserTurn, load_transcripts

TRANSCRIPTS = load_transcripts()


async def act(user: TelegramUser, turn: UserTurn, locale: str) -> str:
    """Do the turn; returns the notice shown on a pressed button, if any."""
    if turn.start is not None:
        user.language = turn.start.locale or locale
        await user.send("/start")
    elif turn.say is not None:
        await user.send(turn.say)
    elif turn.command is not None:
        await user.send(f"/{turn.command}")
    elif turn.press is not None:
        return await user.press(turn.press)
    elif turn.tick is not None:
        for option in turn.tick:
            await user.press(option)
    return ""


def seen(
    catalog: Catalog, locale: str, new: list[SentMessage], edited: SentMessage | None, notice: str
) -> dict[str, str | None]:
    """What the user sees after a turn, in the terms of a golden expectation."""
    content = catalog.content(locale, catalog.region(language=locale))
    shown = [m for m in new if m.plain_text] or ([edited] if edited else [])
    text = "\n".join(m.plain_text for m in shown) or notice
    buttons = [data for m in shown for _, data in m.buttons()]
    topics = [d for d in buttons if d.startswith(f"c|{TOPIC_STEP}|")]
    options = [d for d in buttons if d.startswith(("c|", "t|")) and d not in topics]
    lines = {line.strip() for line in text.splitlines()}  # a tier's title is a heading line
    headed = any(head.title in lines for head in content.tiers.values())
    kind: str
    tier: str | None = None
    if options:
        kind = "question"
    elif any(d.startswith("m|") for d in buttons):
        kind = "prompt"
    elif content.disclaimer.urgent in text:
        kind = "urgent"
    elif topics and headed:  # the result's first message, its topics one tap away
        kind = "result"
    elif topics or any(o.text in text for o in content.outcomes.values()):
        kind = "info"  # one topic of the result, or an outcome's text
    else:
        kind = "notice"
    if kind in ("urgent", "result"):
        tier = next((t for t, head in content.tiers.items() if head.title in lines), None)
    return {
        "kind": kind,
        "tier": tier,
        "step": options[0].split("|")[1] if options else None,
        "text": text,
        "turn_text": "\n".join([text, notice]),
    }


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t.id for t in TRANSCRIPTS])
async def test_golden_transcript_on_telegram(
    transcript: Transcript, fake: FakeTelegram, alice: TelegramUser, catalog: Catalog
) -> None:
    alice.language = transcript.locale
    for number, turn in enumerate(transcript.turns, 1):
        before = len(alice.messages)
        edits = {m.message_id: m.edits for m in alice.messages}
        notice = await act(alice, turn, transcript.locale)
        if turn.expect is None:
            continue
        new = alice.messages[before:]
        edited = next(
            (
                m
                for m in reversed(alice.messages[:before])
                if m.edits > edits.get(m.message_id, 0) and m.reply_markup
            ),
            None,
        )
        view = seen(catalog, transcript.locale, new, edited, notice)
        problems = turn.expect.problems(
            kind=str(view["kind"]),
            step=view["step"],
            tier=view["tier"],
            text=str(view["text"]),
            turn_text=str(view["turn_text"]),
        )
        assert not problems, (
            f"{transcript.file}, turn {number} ({turn.action}): {problems}\n{view['text']}"
        )
