"""Replay every golden transcript (tests/golden/*.yaml) on the engine itself.

The same files are meant to be replayed on Telegram and Slack; here they run
on :class:`EngineChat`, which is what every channel ends up calling.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.catalog import Catalog
from bot.engine import Reply
from tests.engine.chat import EngineChat
from tests.engine.texts import self_care_in
from tests.golden_transcripts import (
    GOLDEN_DIR,
    GoldenError,
    Transcript,
    UserTurn,
    load_transcript,
    load_transcripts,
)

TRANSCRIPTS = load_transcripts()


def play(chat: EngineChat, turn: UserTurn, locale: str) -> Reply:
    """Do what the user does in ``turn`` and return the last reply they see."""
    match turn.action:
        case "start":
            assert turn.start is not None
            return chat.start(turn.start.locale or locale)
        case "say":
            assert turn.say is not None
            return chat.say(turn.say)
        case "press":
            assert turn.press is not None
            return chat.press(turn.press)
        case "tick":
            assert turn.tick is not None
            return chat.tick(*turn.tick)
        case "command":
            commands = {"back": chat.back, "restart": chat.restart, "stop": chat.stop}
            assert turn.command is not None
            return commands[turn.command]()
    raise AssertionError(f"unknown action {turn.action!r}")  # pragma: no cover


def turn_text(chat: EngineChat, turn: UserTurn) -> str:
    """Everything the user was shown for this action (a tick may take several events)."""
    events = len(turn.tick) if turn.tick else 1
    return "\n".join(r.text() for t in chat.turns[-events:] for r in t.replies)


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t.id for t in TRANSCRIPTS])
def test_golden_transcript(catalog: Catalog, transcript: Transcript) -> None:
    chat = EngineChat(catalog)
    for number, turn in enumerate(transcript.turns, 1):
        reply = play(chat, turn, transcript.locale)
        if turn.expect is None:
            continue
        problems = turn.expect.problems(
            kind=reply.kind,
            step=reply.step,
            tier=reply.tier,
            text=reply.text(),
            turn_text=turn_text(chat, turn),
        )
        assert not problems, (
            f"{transcript.file}, turn {number} ({turn.action}): {'; '.join(problems)}\n"
            f"--- the reply was:\n{reply.text()}"
        )
    urgent = [r for r in chat.transcript if r.kind == "urgent"]
    for reply in urgent:
        assert self_care_in(reply.text(), catalog.content(transcript.locale)) == []


def test_the_golden_set_covers_the_clinically_important_endings() -> None:
    assert len(TRANSCRIPTS) >= 8
    endings = {
        (t.expect.kind, t.expect.tier)
        for transcript in TRANSCRIPTS
        for t in transcript.turns
        if t.expect is not None
    }
    for ending in [
        ("urgent", "emergency"),
        ("urgent", "urgent"),
        ("result", "soon"),
        ("result", "self_care"),
        ("info", None),
    ]:
        assert ending in endings, f"no golden transcript ends in {ending}"


def test_every_golden_transcript_checks_something_at_its_end() -> None:
    for transcript in TRANSCRIPTS:
        assert transcript.turns[-1].expect is not None, transcript.file


def test_a_malformed_golden_file_is_reported_with_its_name_and_place(tmp_path: Path) -> None:
    assert GOLDEN_DIR.is_dir()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: two actions\nturns:\n  - press: agree\n    say: yes\n")
    with pytest.raises(GoldenError, match=r"bad\.yaml: turns\.0.*exactly one of"):
        load_transcript(bad)


def test_yes_and_no_stay_words_in_golden_files(tmp_path: Path) -> None:
    path = tmp_path / "words.yaml"
    path.write_text("name: yes and no\nturns:\n  - say: no\n  - say: yes\n")
    transcript = load_transcript(path)
    assert [t.say for t in transcript.turns] == ["no", "yes"]
