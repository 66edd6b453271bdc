"""A lexicon made ready to read with: every phrase in a word trie.

Built once per locale when the catalog loads. Matching a message then costs, at each word,
one dictionary step per word of the longest phrase that starts there, whatever the number
of phrases ("my (mum|dad|...) ..." expands to thousands), so a read is linear in the
length of the message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.understanding.lexicon import Alternative, Category, Direction, Lexicon, expand
from bot.understanding.spelling import Speller
from bot.understanding.text import tokens
from bot.understanding.values import ValueWords

T = TypeVar("T")

ANSWER = "answer"
"""The kind of a concept that stands for an option of a question ("step/option")."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """What a phrase means; its words are the trie's path to it. Equal phrases are one
    object: tens of thousands of expanded phrases share a few hundred of these."""

    concept: str
    kind: str
    weak: bool = False
    specific: bool = True
    """Says which option it means even of a question not asked ("calf", not "ok")."""


@dataclass(frozen=True, slots=True)
class CuePhrase:
    category: Category
    direction: Direction
    scope: int
    final: bool = False
    across: bool = False


@dataclass(frozen=True)
class CompiledLexicon:
    locale: str
    phrases: Trie[Phrase]
    cues: Trie[CuePhrase]
    kinds: dict[str, str]
    signs: dict[str, tuple[Alternative, ...]]
    speller: Speller
    terminators: frozenset[str]
    joiners: frozenset[str]
    subjects: frozenset[str]
    relatives: frozenset[str]
    reporting: frozenset[str]
    vague: frozenset[str]
    values: ValueWords | None
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each question's option concepts ("location/behind"), in the flow's order."""
    symbols: dict[int, str] = field(default_factory=dict)
    """``str.translate`` table: each picture the lexicon knows, as its words."""


SPECIFIC_LETTERS = 4


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(sys.intern(t.text) for t in tokens(phrase) if t.kind in ("word", "number"))


def specific(phrase: tuple[str, ...], vague: frozenset[str]) -> bool:
    """Says something of its own: "calf", "every day", "at night"; not "ok", "a bit"."""
    if len(phrase) == 1:
        return len(phrase[0]) >= SPECIFIC_LETTERS and phrase[0] not in vague
    return any(len(w) > 2 and w not in vague for w in phrase)


_NO_NEXT: dict[str, Any] = {}


class Trie(Generic[T]):
    """Phrases by their words: ``next`` by the following word, ``ends`` the phrases that
    end here. Most nodes are leaves: they share one empty ``next`` and hold a tuple, which
    keeps the expanded lexicon to a few tens of megabytes."""

    __slots__ = ("ends", "next")

    def __init__(self) -> None:
        self.next: dict[str, Trie[T]] = _NO_NEXT
        self.ends: tuple[T, ...] = ()

    def add(self, words: tuple[str, ...], item: T) -> None:
        node = self
        for word in words:
            if node.next is _NO_NEXT:
                node.next = {}
            node = node.next.setdefault(word, Trie())
        if item not in node.ends:
            node.ends = (*node.ends, item)

    def matches(self, words: Sequence[str], start: int) -> Iterator[tuple[int, T]]:
        """(end, item) for every phrase that starts at ``start``."""
        node: Trie[T] | None = self
        for end in range(start, len(words)):
            node = node.next.get(words[end]) if node is not None else None
            if node is None:
                return
            for item in node.ends:
                yield end + 1, item


class _Builder(Generic[T]):
    """Fills a trie as phrases are expanded (no list of them all at once), with each
    distinct meaning stored once, and collects the words the speller may correct into."""

    def __init__(self, vocabulary: set[str]) -> None:
        self.trie: Trie[T] = Trie()
        self.vocabulary = vocabulary
        self._shared: dict[T, T] = {}

    def add(self, words: tuple[str, ...], item: T) -> None:
        if not words:
            return
        self.vocabulary.update(words)
        self.trie.add(words, self._shared.setdefault(item, item))


def _value_words(lexicon: Lexicon) -> ValueWords | None:
    v = lexicon.values
    if v is None:
        return None

    def tup(items: Iterable[str]) -> tuple[tuple[str, ...], ...]:
        return tuple(sorted({_words(p) for p in items}, key=lambda w: -len(w)))

    return ValueWords(
        numbers={_words(k)[0]: n for k, n in v.numbers.items()},
        age_before=tup(v.age_before),
        age_after=tup(v.age_after),
        minutes=tup(v.minutes),
        hours=tup(v.hours),
        per_week=tup(v.per_week),
        per_day=tup(v.per_day),
        duration_before=frozenset(v.duration_before),
        lasted=frozenset(v.lasted),
        not_a_duration=frozenset(v.not_a_duration),
        fixed_minutes=tuple((_words(k), n) for k, n in v.fixed_minutes.items()),
        fixed_per_week=tuple((_words(k), n) for k, n in v.fixed_per_week.items()),
        am=frozenset(v.am),
        pm=frozenset(v.pm),
        fixed_first=frozenset(
            _words(k)[0] for k in (*v.fixed_minutes, *v.fixed_per_week) if _words(k)
        ),
    )


def compile_lexicon(
    lexicon: Lexicon, options: Mapping[str, Mapping[str, Iterable[str]]] | None = None
) -> CompiledLexicon:
    """``options``: each question's option phrases ({step: {option: phrases}}) from content."""
    vocabulary: set[str] = set()
    vague = frozenset(lexicon.vague_words)
    phrases: _Builder[Phrase] = _Builder(vocabulary)

    def add(pattern: str, concept: str, kind: str, weak: bool = False) -> None:
        for p in expand(pattern):
            words = _words(p)
            phrases.add(words, Phrase(concept, kind, weak, specific(words, vague)))

    for cid, concept in lexicon.concepts.items():
        for pattern in concept.phrases:
            add(pattern, cid, concept.kind)
        for pattern in concept.weak:
            add(pattern, cid, concept.kind, weak=True)
    kinds: dict[str, str] = {cid: c.kind for cid, c in lexicon.concepts.items()}
    by_step: dict[str, tuple[str, ...]] = {}
    for step, opts in (options or {}).items():
        ids = []
        for option, texts in opts.items():
            cid = f"{step}/{option}"
            ids.append(cid)
            kinds[cid] = ANSWER
            for text in texts:
                add(text, cid, ANSWER)
        by_step[step] = tuple(ids)
    cues: _Builder[CuePhrase] = _Builder(vocabulary)
    for cue in lexicon.context:
        meaning = CuePhrase(cue.category, cue.direction, cue.scope, cue.final, cue.across)
        for phrase in cue.phrases:
            for p in expand(phrase):
                cues.add(_words(p), meaning)
    if lexicon.values is not None:
        vocabulary |= {
            w for t in lexicon.values.model_dump().values() for p in t for w in _words(p)
        }
    return CompiledLexicon(
        locale=lexicon.locale,
        phrases=phrases.trie,
        cues=cues.trie,
        kinds=kinds,
        signs=lexicon.signs,
        speller=Speller(vocabulary, {w for p in lexicon.plain_words for w in _words(p)}),
        terminators=frozenset(lexicon.terminators),
        joiners=frozenset(lexicon.joiners),
        subjects=frozenset(lexicon.subjects),
        relatives=frozenset(lexicon.relatives),
        reporting=frozenset(lexicon.reporting),
        vague=vague,
        values=_value_words(lexicon),
        options=by_step,
        symbols={ord(c): f" {words} " for c, words in lexicon.symbols.items()},
    )
