"""Diaries built directly (the check-in flow that writes them is not needed to test them)."""

from __future__ import annotations

from bot.diary.model import MAX_ENTRIES, Diary, Entry, Trend

T0 = 1_767_225_600
"""2026-01-01T00:00:00Z."""
DAY = 86_400
TRENDS: tuple[Trend, ...] = ("better", "same", "worse")
SPASMS = ("none", "few", "some", "many")


def entry(
    at: int, *, trend: Trend = "same", severity: int = 4, flags: tuple[str, ...] = ()
) -> Entry:
    return Entry(at=at, trend=trend, spasms="few", severity=severity, flags=flags)


def daily(count: int = MAX_ENTRIES, *, start: int = T0) -> Diary:
    """``count`` daily check-ins at 18:00 UTC, every trend, spasms answer and severity used."""
    entries = tuple(
        Entry(
            at=start + i * DAY + 18 * 3600,
            trend=TRENDS[i % 3],
            spasms=SPASMS[i % 4],
            severity=(i * 7) % 11,
        )
        for i in range(count)
    )
    return Diary(started=start, entries=entries)
