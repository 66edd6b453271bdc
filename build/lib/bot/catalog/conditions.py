"""Typed conditions on a session's answers.

Conditions are data in the flow files, never expression strings: there is no
``eval`` and nothing a flow author writes can run code. Each condition is a
small pydantic model with one ``holds`` method; the union is resolved by its
distinct keys (``is``, ``any_of``, ``all``, ``any``, ``not``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Union

from pydantic import BaseModel, ConfigDict, Field

Answer = str | Sequence[str]
Answers = Mapping[str, Answer]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _chosen(answers: Answers, step: str) -> Sequence[str]:
    value = answers.get(step)
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


class AnswerIs(_Strict):
    """The answer to ``step`` is (or, for a multi-choice step, includes) ``is``."""

    step: str
    is_: str = Field(alias="is")

    def holds(self, answers: Answers) -> bool:
        return self.is_ in _chosen(answers, self.step)

    def refs(self) -> Iterator[tuple[str, str | None]]:
        yield self.step, self.is_


class AnswerAnyOf(_Strict):
    """The answer to ``step`` is one of ``any_of`` (multi-choice: shares one)."""

    step: str
    any_of: tuple[str, ...] = Field(min_length=1)

    def holds(self, answers: Answers) -> bool:
        return any(option in self.any_of for option in _chosen(answers, self.step))

    def refs(self) -> Iterator[tuple[str, str | None]]:
        for option in self.any_of:
            yield self.step, option


class Answered(_Strict):
    """``step`` has been answered at all (whatever the answer)."""

    answered: str

    def holds(self, answers: Answers) -> bool:
        return self.answered in answers

    def refs(self) -> Iterator[tuple[str, str | None]]:
        yield self.answered, None


class AllOf(_Strict):
    all: tuple[Condition, ...] = Field(min_length=1)

    def holds(self, answers: Answers) -> bool:
        return all(c.holds(answers) for c in self.all)

    def refs(self) -> Iterator[tuple[str, str | None]]:
        for c in self.all:
            yield from c.refs()


class AnyOf(_Strict):
    any: tuple[Condition, ...] = Field(min_length=1)

    def holds(self, answers: Answers) -> bool:
        return any(c.holds(answers) for c in self.any)

    def refs(self) -> Iterator[tuple[str, str | None]]:
        for c in self.any:
            yield from c.refs()


class Not(_Strict):
    not_: Condition = Field(alias="not")

    def holds(self, answers: Answers) -> bool:
        return not self.not_.holds(answers)

    def refs(self) -> Iterator[tuple[str, str | None]]:
        yield from self.not_.refs()


Condition = Annotated[
    Union[AnswerIs, AnswerAnyOf, Answered, AllOf, AnyOf, Not],  # noqa: UP007  # recursive alias needs Union
    Field(union_mode="left_to_right"),
]

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()
