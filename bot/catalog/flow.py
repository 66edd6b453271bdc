"""The schema of a flow file (``flows/*.yaml``).

A flow is data: steps with options and the typed conditions that pick the next
step, plus the assessment rules that turn answers into ranked causes, fitting
relief and matched tips. Every word a user reads lives in ``content/``; a flow
only names content keys by convention (``steps.<step>.…``, ``causes.<id>``,
``reasons.<id>``, ``tips.<id>``, ``stretches.<id>``).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.catalog.conditions import Condition

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,23}$")]
"""Ids are short: they travel in Telegram callback data (64 bytes) and Slack action ids."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Option(_Strict):
    id: Ident
    exclusive: bool = False
    """Multi-choice only: picking it clears the others ("none of these")."""
    red_flag: bool = False
    """This option is a warning sign: the conversation goes to urgent advice."""


class Transition(_Strict):
    to: str
    when: Condition | None = None


class Step(_Strict):
    id: Ident
    kind: Literal["single", "multi"]
    options: tuple[Option, ...] = Field(min_length=1)
    next: tuple[Transition, ...] = Field(min_length=1)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Outcome(_Strict):
    """A terminal point of the flow: ``assessment`` or a polite end such as ``declined``."""

    id: Ident
    kind: Literal["assessment", "end"]


class Signal(_Strict):
    """One piece of evidence for a cause; ``id`` names the reason text in content."""

    id: Ident
    when: Condition
    weight: int = Field(ge=1, le=10)


class CauseRule(_Strict):
    id: Ident
    signals: tuple[Signal, ...] = Field(min_length=1)


class Pick(_Strict):
    """Content item ``id`` is included when ``when`` holds (always, without ``when``)."""

    id: Ident
    when: Condition | None = None


class TierRule(_Strict):
    tier: Literal["soon"]
    when: Condition


class Assessment(_Strict):
    red_flag_step: str
    min_score: int = Field(default=2, ge=1)
    max_causes: int = Field(default=3, ge=1)
    causes: tuple[CauseRule, ...] = Field(min_length=1)
    stretches: tuple[Pick, ...] = Field(min_length=1)
    tips: tuple[Pick, ...] = Field(min_length=1)
    tiers: tuple[TierRule, ...] = ()


ReminderKind = Literal["stretch", "hydration", "checkin"]


class FollowUp(_Strict):
    """Defaults for the reminders offered after the assessment (the reminders issue)."""

    quiet_start: dt.time = dt.time(22)
    quiet_end: dt.time = dt.time(8)
    snooze_minutes: int = Field(default=60, ge=5)
    stretch_times: tuple[dt.time, ...] = Field(min_length=1)
    """The times a user can pick for the daily stretch reminder."""
    hydration_times: tuple[dt.time, ...] = Field(min_length=1)
    checkin_after_days: int = Field(default=3, ge=1)
    checkin_time: dt.time = dt.time(18)
    max_lateness_minutes: dict[ReminderKind, int]
    """A reminder that fell due while the service was down is still sent if it is at most this
    late, and dropped otherwise (a hydration nudge hours late makes no sense)."""


class Flow(_Strict):
    id: Ident
    start: str
    steps: tuple[Step, ...] = Field(min_length=1)
    outcomes: tuple[Outcome, ...] = Field(min_length=1)
    assessment: Assessment | None = None
    follow_up: FollowUp | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Flow:
        seen: set[str] = set()
        nodes: tuple[Step | Outcome, ...] = (*self.steps, *self.outcomes)
        for node in nodes:
            if node.id in seen:
                raise ValueError(f"step or outcome id {node.id!r} is defined twice")
            seen.add(node.id)
        return self

    @cached_property
    def steps_by_id(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    @cached_property
    def outcomes_by_id(self) -> dict[str, Outcome]:
        return {o.id: o for o in self.outcomes}

    def step(self, step_id: str) -> Step | None:
        return self.steps_by_id.get(step_id)

    def outcome(self, outcome_id: str) -> Outcome | None:
        return self.outcomes_by_id.get(outcome_id)
