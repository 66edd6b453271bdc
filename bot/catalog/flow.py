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


class Means(_Strict):
    """The typed values an option stands for: "I'm 42" is 40 to 64, "twice a week" is weekly.

    ``of`` names a kind of value read from text (:mod:`bot.understanding.values`); ``number``
    also takes a bare number typed at this question ("42" at the age question).
    """

    of: Literal["age", "per_week", "hours", "number"]
    min: float | None = None
    max: float | None = None

    def holds(self, amount: float) -> bool:
        return (self.min is None or amount >= self.min) and (self.max is None or amount <= self.max)


class Option(_Strict):
    id: Ident
    exclusive: bool = False
    """Multi-choice only: picking it clears the others ("none of these")."""
    red_flag: bool = False
    """This option is a warning sign: the conversation goes to urgent advice."""
    zone: str | None = None
    """An IANA time zone this option stands for; the button shows the local time there, so
    "which of these is the time where you are?" is answered at a glance."""
    at: dt.time | None = None
    """A local time of day this option stands for (the stretch reminder's time)."""
    means: Means | None = None


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


OutcomeKind = Literal["assessment", "end", "follow_up", "checkin"]


class Outcome(_Strict):
    """A terminal point of the flow.

    ``assessment`` shows the personalised assessment (or urgent advice); ``end`` is a
    polite end such as ``declined``; ``follow_up`` hands the chosen reminders to the
    reminder service; ``checkin`` records a diary entry. Every kind but ``assessment``
    shows ``outcomes.<id>`` from content.
    """

    id: Ident
    kind: OutcomeKind
    offer: str | None = None
    """For ``assessment``: another flow (the follow-up reminders) offered with a button under
    a non-urgent assessment. Urgent advice never comes with anything else."""
    reminder_buttons: tuple[Literal["keep", "stop"], ...] = ()
    """Buttons under the outcome's text that act on all the user's reminders."""


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


class DerivedFlag(_Strict):
    """A warning sign read from several answers (a clot risk and pain in one leg) rather than
    ticked; ``id`` names its advice in content (``red_flags.<id>``), like a ticked one."""

    id: Ident
    when: Condition


class Assessment(_Strict):
    red_flag_step: str
    min_score: int = Field(default=2, ge=1)
    max_causes: int = Field(default=3, ge=1)
    first_causes: int = Field(default=1, ge=1)
    """Causes named in the result's first message (the rest are in the full result)."""
    causes: tuple[CauseRule, ...] = ()
    stretches: tuple[Pick, ...] = ()
    tips: tuple[Pick, ...] = ()
    """A flow that only screens for warning signs (the check-in) has no causes or tips."""
    relief: tuple[Pick, ...] = ()
    """Which relief steps fit the answers; none listed shows every one in content."""
    tiers: tuple[TierRule, ...] = ()
    flags: tuple[DerivedFlag, ...] = ()
    cautions: dict[Ident, Condition] = Field(default_factory=dict)
    """Answers that make some self-care unsafe (an injury: no heat or massage). A content item
    names them in ``unsafe_with``; ``kneecheck flows check`` proves no pick shows it then."""


ReminderKind = Literal["stretch", "hydration", "checkin"]


class FollowUp(_Strict):
    """Defaults for the reminders offered after the assessment (the reminders issue)."""

    quiet_start: dt.time = dt.time(22)
    quiet_end: dt.time = dt.time(8)
    snooze_minutes: int = Field(default=60, ge=5)
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
    under_18: str | None = None
    """The outcome an age under 18, typed at any question, leads to (adults only)."""
    facts: dict[Ident, tuple[Ident, ...]] = Field(default_factory=dict)
    """Facts the service supplies when a conversation starts (name: possible values), which
    conditions read like answers: whether the user's time zone is known, the last check-in's
    trend. The engine stays pure; the shell looks them up."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Flow:
        seen: set[str] = set()
        nodes: tuple[Step | Outcome, ...] = (*self.steps, *self.outcomes)
        for node in nodes:
            if node.id in seen:
                raise ValueError(f"step or outcome id {node.id!r} is defined twice")
            seen.add(node.id)
        for name in self.facts:
            if name in seen:
                raise ValueError(f"fact {name!r} has the name of a step or outcome")
        return self

    @cached_property
    def steps_by_id(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    @cached_property
    def outcomes_by_id(self) -> dict[str, Outcome]:
        return {o.id: o for o in self.outcomes}

    @cached_property
    def condition_keys(self) -> tuple[str, ...]:
        """Every step or fact a transition's condition reads: all a path depends on."""
        keys = {key for s in self.steps for t in s.next if t.when for key, _ in t.when.refs()}
        return tuple(sorted(keys))

    @cached_property
    def earlier(self) -> dict[str, frozenset[str]]:
        """For each step, the steps that can come before it on some path: an answer to any
        other step was given ahead of time (several answers in one message)."""
        before: dict[str, set[str]] = {s.id: set() for s in self.steps}
        changed = True
        while changed:
            changed = False
            for step in self.steps:
                for t in step.next:
                    if t.to in before:
                        grown = before[t.to] | before[step.id] | {step.id}
                        if grown != before[t.to]:
                            before[t.to] = grown
                            changed = True
        return {k: frozenset(v) for k, v in before.items()}

    @cached_property
    def remaining_memo(self) -> dict[tuple[object, ...], int]:
        """Questions left from a step, by the step and the answers the path depends on
        (kept by ``bot.engine.questions.remaining``; a flow is immutable once loaded)."""
        return {}

    def step(self, step_id: str) -> Step | None:
        return self.steps_by_id.get(step_id)

    def outcome(self, outcome_id: str) -> Outcome | None:
        return self.outcomes_by_id.get(outcome_id)
