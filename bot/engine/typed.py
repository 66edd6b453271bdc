"""What a typed message answers: the current question, and any later ones it also names.

Pure helpers over a :class:`~bot.understanding.Reading`; :mod:`bot.engine.machine` decides
what to do with them. Warning signs are not handled here: they are read first, and win.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.catalog.flow import Flow, Step
from bot.engine.session import AnswerValue
from bot.understanding import Reading

MINUTES_PER_DAY = 24 * 60


def answer_for(step: Step, reading: Reading, *, asked: bool = True) -> AnswerValue | None:
    """The answer ``reading`` gives to ``step``, or None when it gives none or several.

    Phrases first (the longest wins a single choice; a multi choice takes every option
    named, "none of these" only alone); then values ("I'm 42", "twice a week", "7pm").
    ``asked`` is False for a later question: then only real options count (never "none" or
    "not sure"), and a bare number does not.
    """
    scores = reading.options(step.id, specific=not asked)
    if not asked:
        exclusive = {o.id for o in step.options if o.exclusive or o.id == "not_sure"}
        scores = {o: s for o, s in scores.items() if o not in exclusive}
    if step.kind == "multi":
        if scores:
            return _multi(step, tuple(scores))
        return None
    top = max(scores.values(), default=0)
    winners = [o for o, s in scores.items() if s == top]
    if len(winners) == 1:
        return winners[0]
    if winners:
        return None
    return _by_value(step, reading, asked)


def _multi(step: Step, picked: tuple[str, ...]) -> tuple[str, ...]:
    exclusive = {o.id for o in step.options if o.exclusive}
    real = [o for o in picked if o not in exclusive]
    keep = set(real) if real else {picked[0]}
    return tuple(o.id for o in step.options if o.id in keep)


def _by_value(step: Step, reading: Reading, asked: bool) -> str | None:
    timed = [o for o in step.options if o.at is not None]
    if timed and asked:
        clocks = reading.numbers("clock")
        if clocks:
            wanted = clocks[0]

            def distance(o_at: int) -> float:
                gap = abs(o_at - wanted)
                return min(gap, MINUTES_PER_DAY - gap)

            return min(
                timed, key=lambda o: distance(o.at.hour * 60 + o.at.minute if o.at else 0)
            ).id
    for option in step.options:
        means = option.means
        if means is None:
            continue
        kinds = (means.of, "number") if asked and means.of in ("age", "hours") else (means.of,)
        amounts = [a for kind in kinds for a in reading.numbers(kind)]
        if means.of == "number" and not asked:
            continue
        if amounts and means.holds(amounts[0]):
            return option.id
    return None


def later_answers(
    flow: Flow, current: str, answers: Mapping[str, AnswerValue], reading: Reading
) -> dict[str, AnswerValue]:
    """Answers to questions after ``current`` that the message also names ("cramps behind my
    knee at night after running, I'm 67"). Never the consent or warning-sign questions: those
    are always asked."""
    found: dict[str, AnswerValue] = {}
    seen_current = False
    for step in flow.steps:
        if step.id == current:
            seen_current = True
            continue
        if not seen_current or step.id in answers or step.id == flow.start:
            continue
        if any(o.red_flag for o in step.options):
            continue
        if reading.options(step.id, any_context=True).keys() != reading.options(step.id).keys():
            continue  # "a lot ... not drinking enough": mixed signals about a question not asked
        value = answer_for(step, reading, asked=False)
        if value is not None:
            found[step.id] = value
    return found


ADULT = 18


def under_age(reading: Reading, step: Step) -> bool:
    """An age under 18 typed as the user's own, words that say so ("I'm a teen"), or a bare
    number under 18 first in the answer where the question's options are ages ("13" at the
    age question)."""
    ages = reading.ages()
    if any(age < ADULT for age in ages) or reading.mentions_of("minor"):
        return True
    if ages:  # an age said as one ("I'm 40, 2 kids"): the other numbers are not ages
        return False
    asks_age = any(o.means is not None and o.means.of == "age" for o in step.options)
    # The answer comes first: "75+. my left calf is 3 cm bigger" is 75, not 3.
    numbers = reading.numbers("number")
    return asks_age and bool(numbers) and numbers[0] < ADULT
