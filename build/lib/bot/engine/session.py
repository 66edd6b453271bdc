"""One user's place in one flow, as stored (compact JSON, short field names).

Short aliases keep a mid-flow session well under 256 bytes in Redis. ``v`` is
the first field on purpose: the store's compare-and-set script reads it with an
anchored pattern instead of decoding JSON.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["active", "done", "stopped"]
AnswerValue = str | tuple[str, ...]


class Session(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    version: int = Field(default=0, alias="v", ge=0)
    """Bumped by every saved change; the store's compare-and-set key."""
    shown: int = Field(default=0, alias="q", ge=0)
    """The version at which the current question was shown; buttons carry it."""
    flow: str = Field(default="kneecheck", alias="f")
    status: Status = Field(default="active", alias="st")
    step: str | None = Field(default=None, alias="s")
    answers: dict[str, AnswerValue] = Field(default_factory=dict, alias="a")
    """Answers in the order given: their keys are also the history that ``back`` walks."""
    pending: tuple[str, ...] = Field(default=(), alias="p")
    """Ticks on the current multi-choice step, not yet submitted."""
    misses: int = Field(default=0, alias="m", ge=0)
    confirm: str | None = Field(default=None, alias="c")
    """A warning sign the user only hinted at, asked about with yes/no (``shown`` is the
    version of that question); the current step waits until it is answered."""
    outcome: str | None = Field(default=None, alias="o")
    locale: str = Field(default="en", alias="l")
    facts: dict[str, str] = Field(default_factory=dict, alias="k")
    """What the service knew when the conversation began (the flow's ``facts``)."""
    # No timestamps: the key's TTL already says when the user was last active,
    # and leaving them out keeps a mid-flow session inside Redis's 160-byte class.

    def seen(self, answers: dict[str, AnswerValue] | None = None) -> dict[str, AnswerValue]:
        """What conditions read: the answers, with the facts alongside (answers win)."""
        given = self.answers if answers is None else answers
        return {**self.facts, **given} if self.facts else given

    def dump(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_defaults=True)

    @classmethod
    def load(cls, raw: str | bytes) -> Session:
        return cls.model_validate_json(raw)
