"""Numbers people type, read as what they measure: ages, durations, times a week, clock times.

"I'm 42", "42 years old", "cramp for 20 minutes", "half an hour", "twice a week",
"i go running 3 times a week", "about 9 hours", "7pm". The words around a number decide
what it is; the words themselves are locale data (``values`` in the lexicon).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.frozen import frozen
from bot.understanding.text import Token

ValueKind = Literal["age", "minutes", "hours", "per_week", "clock", "number"]
LOOK_BACK = 3
"""Words before a duration searched for "for" / "lasted" (and before those, for "sitting")."""


@frozen
class Value:
    kind: ValueKind
    amount: float
    start: int
    end: int
    lasting: bool = False
    """A duration said of how long something lasts ("for 20 minutes"), not when it came."""


@frozen
class ValueWords:
    """The ``values`` section of a lexicon, split into token tuples once at load."""

    numbers: dict[str, int]
    age_before: tuple[tuple[str, ...], ...]
    age_after: tuple[tuple[str, ...], ...]
    minutes: tuple[tuple[str, ...], ...]
    hours: tuple[tuple[str, ...], ...]
    per_week: tuple[tuple[str, ...], ...]
    per_day: tuple[tuple[str, ...], ...]
    duration_before: frozenset[str]
    not_a_duration: frozenset[str]
    fixed_minutes: tuple[tuple[tuple[str, ...], int], ...]
    fixed_per_week: tuple[tuple[tuple[str, ...], float], ...]
    am: frozenset[str]
    pm: frozenset[str]
    fixed_first: frozenset[str] = frozenset()
    """First words of the fixed phrases: most words start none, and skip them at once."""
    lasted: frozenset[str] = frozenset()
    """Words that say how long something lasted, whatever came before them."""


def _at(words: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[i : i + len(phrase)]) == phrase


def _after(words: Sequence[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    """Length of the first of ``phrases`` found at ``i``, or 0."""
    for phrase in phrases:
        if _at(words, i, phrase):
            return len(phrase)
    return 0


def _before(words: Sequence[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(i >= len(p) and tuple(words[i - len(p) : i]) == p for p in phrases)


def _number(
    words: Sequence[str], toks: Sequence[Token], i: int, vw: ValueWords
) -> tuple[float, int] | None:
    """The number starting at ``i`` and how many tokens it takes ("forty two" is two)."""
    if toks[i].kind == "number":
        text = toks[i].text
        if ":" in text:
            return None
        try:
            return float(text), 1
        except ValueError:  # pragma: no cover - the tokenizer only yields digits here
            return None
    tens = vw.numbers.get(words[i])
    if tens is None:
        return None
    if tens % 10 == 0 and 20 <= tens <= 90 and i + 1 < len(words):
        unit = vw.numbers.get(words[i + 1])
        if unit is not None and 1 <= unit <= 9:
            return float(tens + unit), 2
    return float(tens), 1


def _lasting(words: Sequence[str], start: int, vw: ValueWords) -> bool:
    for j in range(max(0, start - LOOK_BACK), start):
        if words[j] in vw.lasted:
            return True
        if words[j] in vw.duration_before:
            before = words[max(0, j - LOOK_BACK) : j]
            return not any(w in vw.not_a_duration for w in before)
    return False


def read_values(toks: Sequence[Token], vw: ValueWords) -> list[Value]:
    """Every number-like value in ``toks``, left to right."""
    words = [t.text for t in toks]
    found: list[Value] = []
    i = 0
    while i < len(words):
        taken = _fixed(words, i, vw, found)
        if taken:
            i += taken
            continue
        if toks[i].kind == "number" and ":" in toks[i].text:
            found.append(_clock_colon(toks[i].text, i))
            i += 1
            continue
        number = _number(words, toks, i, vw)
        if number is None:
            i += 1
            continue
        amount, width = number
        end = i + width
        found.append(_classify(words, i, end, amount, vw))
        i = max(end, found[-1].end)
    return found


def _fixed(words: Sequence[str], i: int, vw: ValueWords, found: list[Value]) -> int:
    if words[i] not in vw.fixed_first:
        return 0
    for phrase, minutes in vw.fixed_minutes:
        if _at(words, i, phrase):
            lasting = _lasting(words, i, vw)
            found.append(Value("minutes", minutes, i, i + len(phrase), lasting))
            return len(phrase)
    for phrase, per_week in vw.fixed_per_week:
        if _at(words, i, phrase):
            found.append(Value("per_week", per_week, i, i + len(phrase)))
            return len(phrase)
    return 0


def _clock_colon(text: str, i: int) -> Value:
    hours, _, minutes = text.partition(":")
    return Value("clock", int(hours) * 60 + int(minutes or 0), i, i + 1)


def _classify(words: Sequence[str], i: int, end: int, amount: float, vw: ValueWords) -> Value:
    if (n := _after(words, end, vw.age_after)) or _before(words, i, vw.age_before):
        return Value("age", amount, i, end + n)
    if n := _after(words, end, vw.minutes):
        return Value("minutes", amount, i, end + n, _lasting(words, i, vw))
    if n := _after(words, end, vw.hours):
        if _lasting(words, i, vw):
            return Value("minutes", amount * 60, i, end + n, True)
        return Value("hours", amount, i, end + n)
    if n := _after(words, end, vw.per_week):
        return Value("per_week", amount, i, end + n)
    if n := _after(words, end, vw.per_day):
        return Value("per_week", amount * 7, i, end + n)
    if end < len(words) and words[end] in vw.pm and amount <= 12:
        return Value("clock", (amount % 12 + 12) * 60, i, end + 1)
    if end < len(words) and words[end] in vw.am and amount <= 12:
        return Value("clock", (amount % 12) * 60, i, end + 1)
    return Value("number", amount, i, end)
