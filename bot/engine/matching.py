"""Matching what people type to answers and to warning signs.

People write "the back of my knee", "hamstrng" or "no chest pain". Phrases are
matched word by word, in order, tolerating one typo (two in long words) by
Damerau-Levenshtein distance with the first letter fixed, which keeps short
words like "calf" from matching "half". A phrase right after a negation ("no",
"not", "without", ...) does not count, so "no chest pain" is not a red flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

_NON_WORD = re.compile(r"[^a-z0-9+. ]+")
_CLAUSE_BREAK = re.compile(r"[.,;:!?]+")
BREAK = "."
"""A clause boundary token: no phrase spans it and no negation reaches across it."""
_NEGATIONS = frozenset(
    {"no", "not", "dont", "doesnt", "isnt", "never", "without", "nor", "neither"}
)
_NEGATION_REACH = 4
"""How many words before a phrase a negation still applies to ("I do not have any chest pain")."""
_NEGATION_STOPS = frozenset({BREAK, "but", "and", "though", "although", "however", "yet"})
"""Words that end a negation's reach: "I don't know but my calf is swollen" is a warning sign."""


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """Lower-case words and clause breaks; apostrophes vanish ("can't" -> "cant").

    "No, my calf is swollen" gives ``no . my calf is swollen``: the break keeps the
    "no" from negating the warning sign in the next clause.
    """
    lowered = text.lower().replace("'", "").replace("\u2019", "")
    spaced = _NON_WORD.sub(" ", _CLAUSE_BREAK.sub(f" {BREAK} ", lowered))
    tokens: list[str] = []
    for token in spaced.split():
        if token.strip(BREAK) == "":
            if tokens and tokens[-1] != BREAK:
                tokens.append(BREAK)
        else:
            tokens.append(token.replace(BREAK, ""))
    if tokens and tokens[-1] == BREAK:
        tokens.pop()
    return tuple(tokens)


def _same_word(typed: str, known: str) -> bool:
    if typed == known:
        return True
    if len(known) < 4 or typed[:1] != known[:1]:
        return False
    allowed = 2 if len(known) >= 8 else 1
    return DamerauLevenshtein.distance(typed, known, score_cutoff=allowed) <= allowed


def _negated(text: Sequence[str], start: int) -> bool:
    for word in reversed(text[max(0, start - _NEGATION_REACH) : start]):
        if word in _NEGATION_STOPS:
            return False
        if word in _NEGATIONS:
            return True
    return False


def phrase_at(text: Sequence[str], phrase: Sequence[str]) -> int | None:
    """Index where ``phrase`` occurs un-negated in ``text``, or None."""
    n = len(phrase)
    if n == 0:
        return None
    for start in range(len(text) - n + 1):
        if all(_same_word(text[start + i], phrase[i]) for i in range(n)):
            negation_in_phrase = phrase[0] in _NEGATIONS
            if negation_in_phrase or not _negated(text, start):
                return start
    return None


def best_phrase(text: Sequence[str], phrases: Iterable[str]) -> int:
    """Length in words of the longest phrase found in ``text`` (0 when none)."""
    best = 0
    for phrase in phrases:
        pw = words(phrase)
        if len(pw) > best and phrase_at(text, pw) is not None:
            best = len(pw)
    return best


def score_options(text: str, options: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Each option's best phrase length in ``text``, for options that matched at all."""
    tw = words(text)
    scores = {option: best_phrase(tw, phrases) for option, phrases in options.items()}
    return {option: score for option, score in scores.items() if score > 0}
