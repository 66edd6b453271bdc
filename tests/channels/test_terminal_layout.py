"""The terminal's layout: every line fits the terminal, and nothing typed is lost by /help."""

from __future__ import annotations

from bot.catalog.catalog import Catalog
from bot.channels.terminal import render
from bot.engine import Session, Text, advance
from bot.engine.replies import Reply, Section


def test_long_replies_wrap_at_word_boundaries_with_hanging_indents(catalog: Catalog) -> None:
    content = catalog.content(None)
    reply = Reply(
        kind="result",
        sections=(
            Section(title="What to do now", paragraphs=("word " * 40,)),
            Section(title="Stretches", bullets=("stretch " * 20,), steps=("hold " * 25,)),
        ),
    )
    lines = render(reply, content, columns=60).splitlines()
    assert max(len(line) for line in lines) <= 60
    assert not any(line.endswith(("wor", "stretc")) for line in lines)  # no word cut
    bullet = lines.index(next(line for line in lines if line.startswith("  * ")))
    assert lines[bullet + 1].startswith("    stretch")  # under the bullet's first word
    step = lines.index(next(line for line in lines if line.startswith("  1. ")))
    assert lines[step + 1].startswith("     hold")
    # The reply's heading stands apart from its sections.
    assert lines[lines.index("What to do now") + 1].startswith("=")
    assert lines[lines.index("Stretches") + 1].startswith("-")


def test_every_line_of_a_real_assessment_fits_a_narrow_terminal(catalog: Catalog) -> None:
    """The self-care answer, the longest reply, on an 80-column terminal."""
    content = catalog.content(None)
    turn = advance(
        catalog,
        Session(flow="kneecheck", step="location", shown=1, version=1),
        Text("my calf hurts and is swollen"),
        now=1_780_000_000,
    )
    for reply in turn.replies:
        assert all(len(line) <= 80 for line in render(reply, content, columns=80).splitlines())
