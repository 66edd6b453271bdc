"""Reading level of what kneecheck says: Flesch-Kincaid grade (textstat) per string and per reply.

shared/CLINICAL.md (rule 6) asks for a reading age of 9 to 11, which is US grade 4 to 6.
This prints the grade of every user-facing string of a content file (the same walk as
``kneecheck flows check``: :func:`bot.catalog.checks.reading.reader_texts`), the median and
90th percentile over all strings and over strings of 8 words or more, the share of those
above grade 8, the hardest strings, and the grade of every distinct reply the engine
assembles while replaying the golden transcripts (tests/golden/*.yaml), as a user sees it.
``tests/catalog/test_reading.py`` holds the limits.

Reproduce with:  .venv/bin/python -m bench.reading   (or make bench-reading)
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys

from bot.catalog.catalog import Catalog
from bot.catalog.checks import reading
from bot.catalog.checks.reading import MIN_WORDS, STRING_LIMIT, Reading
from bot.catalog.loader import load_catalog
from bot.engine import Reply
from tests.engine.chat import EngineChat
from tests.engine.test_golden import play
from tests.golden_transcripts import load_transcripts

REPLY_KINDS = ("question", "prompt", "notice", "result", "urgent", "info")
"""Replies measured whole; ``answered`` only repeats a question with its answer."""


def golden_replies(catalog: Catalog) -> list[tuple[str, Reply]]:
    """Every distinct reply of the golden transcripts, replayed on the engine, named by
    transcript file, turn and kind (replies that differ only in numbers, such as a question's
    "Question 3 of 12", count once)."""
    seen: set[str] = set()
    found: list[tuple[str, Reply]] = []
    for transcript in load_transcripts():
        chat = EngineChat(catalog)
        for number, turn in enumerate(transcript.turns, 1):
            before = len(chat.transcript)
            play(chat, turn, transcript.locale)
            for reply in chat.transcript[before:]:
                text = re.sub(r"\d+", "#", reply.text())
                if reply.kind in REPLY_KINDS and text not in seen:
                    seen.add(text)
                    name = f"{transcript.id}#{number} {reply.kind} {reply.step or ''}"
                    found.append((name.strip(), reply))
    return found


def reply_readings(catalog: Catalog) -> list[Reading]:
    return reading.measure((name, reply.text()) for name, reply in golden_replies(catalog))


def figures(label: str, readings: list[Reading]) -> str:
    grades = [r.grade for r in readings]
    if not grades:
        return f"{label}: none"
    return (
        f"{label} ({len(grades)}): median {statistics.median(grades):.1f}, "
        f"90th percentile {reading.percentile(grades, 0.9):.1f}, "
        f"mean {statistics.fmean(grades):.1f}, max {max(grades):.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reading", description=__doc__)
    parser.add_argument("--locale", default=None, help="content locale (default: the default)")
    parser.add_argument("--worst", type=int, default=15, help="how many hardest strings to list")
    parser.add_argument("--all", action="store_true", help="print every string's grade")
    parser.add_argument("--no-replies", action="store_true", help="skip the golden replies")
    args = parser.parse_args(argv)
    if not reading.available():
        print("textstat is not installed: pip install -e '.[dev]'", file=sys.stderr)
        return 1
    catalog = load_catalog()
    content = catalog.contents[catalog.locale_for(args.locale)]  # placeholders unfilled
    strings = reading.measure(reading.reader_texts(content))
    long = reading.long_strings(strings)
    summary = reading.summarise(strings)

    print(f"Flesch-Kincaid grade (textstat), content {content.locale!r}")
    if args.all:
        for r in strings:
            print(f"{r.grade:6.1f} {r.words:4}w  {r.path}")
    print(figures("all strings", strings))
    print(figures(f"strings of {MIN_WORDS}+ words", long))
    print(
        f"strings of {MIN_WORDS}+ words above grade {STRING_LIMIT:g}: {summary.over_limit} "
        f"of {summary.long_strings} ({summary.share_over:.0%}); "
        f"allowed by name: {len(reading.ALLOWED)}"
    )
    print(f"worst {args.worst} strings of {MIN_WORDS}+ words:")
    for r in sorted(long, key=lambda r: r.grade, reverse=True)[: args.worst]:
        mark = " (allowed)" if r.path in reading.ALLOWED else ""
        print(f"{r.grade:6.1f} {r.words:4}w  {r.path}{mark}")
    if not args.no_replies:
        replies = reply_readings(catalog)
        print(figures("golden replies, whole, as shown", replies))
        print("hardest replies:")
        for r in sorted(replies, key=lambda r: r.grade, reverse=True)[:5]:
            print(f"{r.grade:6.1f} {r.words:4}w  {r.path}")
    print("reproduce: .venv/bin/python -m bench.reading  (--all for every string)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
