"""Typos and run-together words, against the vocabulary of one locale's lexicon.

A typed word that is not in the vocabulary is looked up through a symmetric-delete index
(the SymSpell idea): every vocabulary word is stored under itself and each spelling with
one letter removed, and a typed word is looked up the same way, so a candidate costs a few
dictionary look-ups whatever the size of the vocabulary. rapidfuzz then confirms the
Damerau-Levenshtein distance: at most one edit, two in words of eight letters or more, and
the first letter must agree (which keeps "half" from becoming "calf"). Everyday words the
locale lists as ``plain_words`` are never corrected ("could" is not a typo of "cold").

A word still unknown is tried as two known words typed together ("chestpain"), and a long
one as the fewest known or everyday words ("mycalfisallswollen": a frightened thumb skips
the space bar).
Nothing here is cached: typed health text must not outlive the turn that read it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import DamerauLevenshtein

MIN_FIXED = 4
"""Shorter words are too easily another word to correct ("hot" / "not", "wear" / "weak")."""
MIN_SPLIT = 3
"""Each part of a run-together word is at least this long ("chest" + "pain")."""
MIN_SEGMENTED = 10
"""A word this long that is no known word nor two is tried as several words."""
MAX_PART = 20


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrections into one vocabulary; built once per locale when the catalog loads."""

    def __init__(self, vocabulary: Iterable[str], plain_words: Iterable[str]) -> None:
        self.vocabulary = frozenset(vocabulary)
        self.plain = frozenset(plain_words)
        index: dict[str, set[str]] = {}
        for word in self.vocabulary:
            if len(word) >= MIN_FIXED and word.isalpha():
                for key in {word, *_deletes(word)}:
                    index.setdefault(key, set()).add(word)
        self._index = {key: tuple(sorted(words)) for key, words in index.items()}

    def correct(self, word: str) -> tuple[str, ...]:
        """The vocabulary word(s) meant by ``word``; ``(word,)`` when none is close enough."""
        if word in self.vocabulary or word in self.plain or not word.isalpha():
            return (word,)
        if word.endswith("s") and word[:-1] in self.vocabulary:
            # "walking's hard work", "foot's dropping": the apostrophe is folded away, the
            # "'s" (is / has) stays a word of its own for the phrases that read it.
            return (word[:-1], "s")
        if len(word) >= MIN_FIXED:
            fixed = self._nearest(word)
            if fixed is not None:
                return (fixed,)
        if len(word) >= 2 * MIN_SPLIT:
            split = self._split(word)
            if split is not None:
                return split
            if len(word) >= MIN_SEGMENTED:
                return self._segment(word) or (word,)
        return (word,)

    def _nearest(self, word: str) -> str | None:
        candidates: set[str] = set()
        for key in (word, *_deletes(word)):
            candidates.update(self._index.get(key, ()))
        best: tuple[int, str] | None = None
        for known in candidates:
            if known[0] != word[0] or len(known) < MIN_FIXED:
                continue
            allowed = 2 if len(known) >= 8 else 1
            distance = DamerauLevenshtein.distance(word, known, score_cutoff=allowed)
            if distance <= allowed and (best is None or (distance, known) < best):
                best = (distance, known)
        return best[1] if best else None

    def _segment(self, word: str) -> tuple[str, ...] | None:
        """The fewest known or everyday words that make up ``word`` exactly, at least one of
        them a lexicon word of four letters or more (else it is no message of ours); linear
        in the word's length times ``MAX_PART``."""
        known = self.vocabulary | self.plain
        best: list[tuple[int, int] | None] = [None] * (len(word) + 1)  # (pieces, cut)
        best[0] = (0, 0)
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - MAX_PART), end):
                before = best[start]
                if before is None or word[start:end] not in known:
                    continue
                if best[end] is None or before[0] + 1 < best[end][0]:  # type: ignore[index]
                    best[end] = (before[0] + 1, start)
        if best[-1] is None:
            return None
        parts: list[str] = []
        end = len(word)
        while end > 0:
            cut = best[end]
            assert cut is not None
            parts.append(word[cut[1] : end])
            end = cut[1]
        parts.reverse()
        if not any(len(p) >= MIN_FIXED and p in self.vocabulary for p in parts):
            return None
        return tuple(parts)

    def _split(self, word: str) -> tuple[str, str] | None:
        for cut in range(MIN_SPLIT, len(word) - MIN_SPLIT + 1):
            head, tail = word[:cut], word[cut:]
            if head in self.vocabulary and tail in self.vocabulary:
                return head, tail
        return None
