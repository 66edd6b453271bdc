"""The diary as stored: one entry per finished check-in, oldest first.

It is a single small per-user value (``diary``), so /forget erases it with the rest
and the retention TTL covers it. Entries hold option ids from ``flows/checkin.yaml``,
never free text, so the diary can hold nothing the user typed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Trend = Literal["better", "same", "worse"]
MAX_ENTRIES = 120
"""About four months of daily check-ins; older entries give way to newer ones."""


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: int
    """Epoch seconds of the check-in."""
    trend: Trend
    spasms: str
    """Option id of the "how many spasms since last time" answer (``ck_spasms``)."""
    severity: int = Field(ge=0, le=10)
    flags: tuple[str, ...] = ()
    """Red-flag option ids ticked at this check-in (empty for most)."""


class Diary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    started: int | None = None
    """Epoch seconds of the first finished assessment: "since when" in the summary."""
    entries: tuple[Entry, ...] = ()

    def added(self, entry: Entry) -> Diary:
        return self.model_copy(update={"entries": (*self.entries, entry)[-MAX_ENTRIES:]})

    def last_trend(self) -> Trend | None:
        return self.entries[-1].trend if self.entries else None
