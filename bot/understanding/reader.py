"""Reading one message: which concepts it mentions, in what context, and what that means.

The steps, each linear in the message:

1. :func:`~bot.understanding.text.tokens` folds and splits the text (capped);
2. words not in the lexicon are corrected or split (:class:`~bot.understanding.spelling.Speller`);
3. concept and cue phrases are matched through an index by first word;
4. the ConText algorithm (Chapman et al.; the NegEx family that medspaCy implements) gives
   each mention its context: negated, hypothetical, historical, about another person,
   hedged. A worried question ("could it be a clot?") stays a mention of a clot: a
   person who fears a clot needs the clot advice;
5. each finding is paired with the nearest body site (in its sentence, else the nearest
   sentence that names one: "My calf. It's swollen.");
6. the lexicon's sign rules turn current mentions into warning signs, or into hints to ask
   about when the words are vague ("a bit puffy") or name no site at all.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bot.frozen import frozen
from bot.understanding.compiled import ANSWER, CompiledLexicon, CuePhrase
from bot.understanding.lexicon import LONG_DURATION, Alternative
from bot.understanding.text import MAX_CHARS, Token, tokens
from bot.understanding.values import Value, read_values

LONG_MINUTES = 10
BLOCKED_KINDS = frozenset({"finding", "site", "event"})
"""What an ``ignore`` phrase hides: not answers ("hot weather" still says dehydration)."""


@dataclass(slots=True)
class Mention:
    concept: str
    kind: str
    start: int
    end: int
    sentence: int
    weak: bool = False
    negated: bool = False
    possible: bool = False
    hypothetical: bool = False
    historical: bool = False
    other: bool = False
    specific: bool = True
    """Says which option it means even of a question not asked ("calf", not "ok")."""

    @property
    def current(self) -> bool:
        """Said of the user, now: not denied, imagined, long past or someone else's."""
        return not (self.negated or self.hypothetical or self.historical or self.other)


@frozen
class Reading:
    signs: tuple[str, ...]
    """Warning signs the message states, in the lexicon's order."""
    hints: tuple[str, ...]
    """Warning signs it only hints at: ask a yes/no question before acting."""
    mentions: tuple[Mention, ...]
    values: tuple[Value, ...]
    words: tuple[str, ...]

    def options(
        self, step: str, *, any_context: bool = False, specific: bool = False
    ) -> dict[str, int]:
        """Options of ``step`` the message names (not negated, unless ``any_context``), with
        the longest phrase's length in words: the longer the phrase, the surer the match.

        ``specific`` keeps only phrases of two words or more, or of one word that is neither
        short nor vague (the lexicon's ``vague_words``): "ok" or "good" answer the question
        asked, never one that was not.
        """
        prefix = f"{step}/"
        found: dict[str, int] = {}
        for m in self.mentions:
            if specific and not m.specific:
                continue
            if m.kind == ANSWER and m.concept.startswith(prefix) and (any_context or m.current):
                option = m.concept[len(prefix) :]
                found[option] = max(found.get(option, 0), m.end - m.start)
        return found

    def ages(self) -> tuple[int, ...]:
        return tuple(int(v.amount) for v in self.values if v.kind == "age")

    def numbers(self, kind: str) -> tuple[float, ...]:
        return tuple(v.amount for v in self.values if v.kind == kind)

    def mentions_of(self, concept: str) -> bool:
        return any(m.concept == concept and m.current for m in self.mentions)


def read(text: str, lex: CompiledLexicon) -> Reading:
    if lex.symbols:
        text = text[:MAX_CHARS].translate(lex.symbols)
    toks = _spelled(tokens(text), lex)
    words = tuple(t.text for t in toks)
    sentence_of = _sentences(toks)
    mentions, cues = _match(words, sentence_of, lex)
    values = read_values(toks, lex.values) if lex.values is not None else []
    for v in values:
        if v.kind == "minutes" and v.lasting and v.amount >= LONG_MINUTES:
            mentions.append(Mention(LONG_DURATION, "finding", v.start, v.end, sentence_of[v.start]))
    _apply_context(words, mentions, cues, lex)
    signs, hints = _signs(mentions, words, lex)
    return Reading(signs, hints, tuple(mentions), tuple(values), words)


def _spelled(toks: list[Token], lex: CompiledLexicon) -> list[Token]:
    out: list[Token] = []
    for t in toks:
        if t.kind != "word":
            out.append(t)
            continue
        out.extend(Token(w, "word") for w in lex.speller.correct(t.text))
    return out


def _sentences(toks: Sequence[Token]) -> list[int]:
    index: list[int] = []
    n = 0
    for t in toks:
        index.append(n)
        if t.kind == "break":
            n += 1
    return index


def _match(
    words: tuple[str, ...], sentence_of: list[int], lex: CompiledLexicon
) -> tuple[list[Mention], list[tuple[int, int, CuePhrase]]]:
    mentions: list[Mention] = []
    cues: list[tuple[int, int, CuePhrase]] = []
    for i in range(len(words)):
        for end, p in lex.phrases.matches(words, i):
            mentions.append(
                Mention(p.concept, p.kind, i, end, sentence_of[i], p.weak, specific=p.specific)
            )
        cues.extend((i, end, c) for end, c in lex.cues.matches(words, i))
    ignored = [(m.start, m.end) for m in mentions if m.kind == "ignore"]
    if ignored:
        covered = _reach(ignored, len(words))
        mentions = [
            m
            for m in mentions
            if m.kind == ANSWER or (m.kind != "ignore" and covered[m.start] < m.end)
        ]
    return _outermost(mentions), _resolved(cues, mentions)


def _outermost(mentions: list[Mention]) -> list[Mention]:
    """Drop a body site inside a longer one ("back" in "back of my knee"): the longer phrase
    says where. Findings overlap freely ("a bit funny" is both hedged and odd)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in mentions:
        if m.kind == "site" and m.end - m.start > 1:
            spans.setdefault(m.kind, []).append((m.start, m.end))
    if not spans:
        return mentions
    return [
        m
        for m in mentions
        if m.kind not in spans
        or not any(
            s <= m.start and m.end <= e and e - s > m.end - m.start for s, e in spans[m.kind]
        )
    ]


def _reach(spans: list[tuple[int, int]], length: int) -> list[int]:
    """``reach[i]``: the furthest end of any span starting at or before ``i``; a span
    (start, end) lies inside one of ``spans`` when ``reach[start] >= end``."""
    furthest = [-1] * (length + 1)
    for s, e in spans:
        furthest[s] = max(furthest[s], e)
    for i in range(1, length + 1):
        furthest[i] = max(furthest[i], furthest[i - 1])
    return furthest


def _inside_longer(spans: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The spans that lie inside a longer one of ``spans`` (one pass, in start order)."""
    inside: set[tuple[int, int]] = set()
    furthest = -1
    for s, e in sorted(spans, key=lambda span: (span[0], -span[1])):
        if furthest >= e:
            inside.add((s, e))
        furthest = max(furthest, e)
    return inside


def _resolved(
    cues: list[tuple[int, int, CuePhrase]], mentions: list[Mention]
) -> list[tuple[int, int, CuePhrase]]:
    """Longest cues win over cues inside them; a cue inside a longer finding phrase ("not
    able to walk") is part of that phrase; pseudo cues only ever take words away."""
    findings = {(m.start, m.end) for m in mentions if m.kind == "finding"}
    cue_spans = {(s, e) for s, e, _ in cues}
    lost = _inside_longer(cue_spans) | (_inside_longer(cue_spans | findings) - findings)
    return [(s, e, cue) for s, e, cue in cues if (s, e) not in lost and cue.direction != "pseudo"]


LISTING = frozenset({"negated", "hedge"})
"""Categories whose reach a joiner ends unless a finding follows ("no swelling and no
redness" / "no swelling and my chest hurts"); another person's story goes on past "and"."""


def _forward_stop(
    words: tuple[str, ...], end: int, cue: CuePhrase, starts: set[int], lex: CompiledLexicon
) -> int:
    j, counted = end, 0
    while j < len(words) and counted < cue.scope:
        word = words[j]
        if cue.category == "other":
            if word in (".", ",") or (word in lex.subjects and j > end) or word in lex.reporting:
                break  # "my husband says my calf is swollen": the user's own calf
            if word not in lex.relatives and _terminates(words, j, lex):
                break  # "my partner is the one who gets short of breath" is still his
        elif word == "." or _terminates(words, j, lex):
            break
        joiner = word == "," or word in lex.joiners
        # A list of denied findings goes on past "and" ("no swelling and no redness"), but
        # only if the denial was of a finding: "not going anywhere, can't walk" denies
        # nothing the next clause says.
        listing = j + 1 in starts and any(k in starts for k in range(end, j))
        if joiner and cue.category in LISTING and not listing:
            break
        counted += word != ","
        j += 1
    return j


def _terminates(words: tuple[str, ...], j: int, lex: CompiledLexicon) -> bool:
    """A word like "while" or "now" that turns the sentence, unless a noun ("for a while")."""
    return words[j] in lex.terminators and not (j > 0 and words[j - 1] in NOUN_MARKERS)


NOUN_MARKERS = frozenset({"a", "the", "that", "this"})


def _clause_ends(word: str, lex: CompiledLexicon) -> bool:
    """Whether ``word`` starts a new clause: "it's gone now, and I feel fine"."""
    return word in (".", ",") or word in lex.joiners or word in lex.terminators


def _backward_stop(
    words: tuple[str, ...], start: int, scope: int, lex: CompiledLexicon, across: bool = False
) -> int:
    j, counted = start - 1, 0
    while j >= 0 and counted < scope:
        if words[j] == "." or (
            not across
            and (words[j] == "," or _terminates(words, j, lex) or words[j] in lex.joiners)
        ):
            break
        counted += 1
        j -= 1
    return j + 1


def _apply_context(
    words: tuple[str, ...],
    mentions: list[Mention],
    cues: list[tuple[int, int, CuePhrase]],
    lex: CompiledLexicon,
) -> None:
    starts = {m.start for m in mentions if m.kind == "finding"}
    starts |= {s for s, _, _ in cues}
    by_start: dict[int, list[Mention]] = {}
    for m in mentions:
        by_start.setdefault(m.start, []).append(m)
    for start, end, cue in cues:
        lo, hi = start, end
        if cue.direction in ("forward", "both"):
            hi = _forward_stop(words, end, cue, starts, lex)
        if cue.direction in ("backward", "both"):
            if cue.final and end < len(words) and not _clause_ends(words[end], lex):
                continue
            lo = _backward_stop(words, start, cue.scope, lex, cue.across)
        # Only the mentions that start within the cue's reach: a bounded window.
        for m in (m for i in range(lo, max(hi, end)) for m in by_start.get(i, ())):
            # Backward cues are about findings ("breathing is fine"), never an answer before
            # them ("yeah, that's fine").
            before = m.end <= start and m.start >= lo and m.kind != ANSWER
            # Forward: what starts after the cue, or inside it and runs on past it ("no
            # problems peeing": the cue "no problems" and the finding "problems peeing").
            after = start < m.start < hi and m.end > end
            # Inside a cue that names it: "if my calf ever swells up" imagines the swelling.
            inside = start <= m.start and m.end <= end and m.kind == "finding"
            if cue.category == "other" and not lex.subjects.isdisjoint(words[m.start : m.end]):
                continue  # "my husband had to carry me": what happened to me is mine
            if before or after or inside:
                _mark(m, cue)


def _mark(m: Mention, cue: CuePhrase) -> None:
    match cue.category:
        case "negated":
            m.negated = True
        case "possible":
            m.possible = True
        case "hypothetical":
            m.hypothetical = True
        case "historical":
            m.historical = True
        case "other":
            m.other = True
        case "hedge":
            m.weak = True


def _paired_sites(
    mentions: list[Mention], words: tuple[str, ...], lex: CompiledLexicon
) -> dict[int, Mention | None]:
    """For each finding (by position in ``mentions``), the nearest current body site; a
    site across "and" or a comma counts as further away ("numb bum and can't feel my feet")."""
    sites = [m for m in mentions if m.kind == "site" and m.current]
    joins = [0]  # joins[i]: how many "and"s and commas come before word i
    for w in words:
        joins.append(joins[-1] + (w == "," or w in lex.joiners))
    by_sentence: dict[int, list[Mention]] = {}
    for s in sites:
        by_sentence.setdefault(s.sentence, []).append(s)
    paired: dict[int, Mention | None] = {}
    for n, m in enumerate(mentions):
        if m.kind != "finding":
            continue
        near = by_sentence.get(m.sentence)
        if not near and by_sentence:
            nearest = min(by_sentence, key=lambda s: (abs(s - m.sentence), s > m.sentence))
            near = by_sentence[nearest]
        if not near:
            paired[n] = None
            continue
        paired[n] = min(_neighbours(m, near), key=lambda s: (_gap(m, s, joins), s.start > m.start))
    return paired


def _neighbours(finding: Mention, sites: list[Mention]) -> list[Mention]:
    """The nearest site on each side: a site further away is never nearer by :func:`_gap`.
    ``sites`` are in text order, so this is a bisection, not a scan."""
    starts = [s.start for s in sites]
    cut = bisect.bisect_left(starts, finding.start)
    return sites[max(0, cut - 1) : cut + 1] or sites[-1:]


CLAUSE_GAP = 3
"""Extra distance for each "and" or comma between a finding and a site."""


def _gap(a: Mention, b: Mention, joins: list[int]) -> int:
    lo, hi = (a.end, b.start) if a.end <= b.start else (b.end, a.start)
    if hi <= lo:
        return 0
    return hi - lo + CLAUSE_GAP * (joins[hi] - joins[lo])


def _signs(
    mentions: list[Mention], words: tuple[str, ...], lex: CompiledLexicon
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    paired = _paired_sites(mentions, words, lex)
    signs: list[str] = []
    hints: list[str] = []
    # Current findings by sentence, once per message rather than once per way of saying a sign.
    by_sentence: dict[int, list[tuple[int, Mention]]] = {}
    for n, m in enumerate(mentions):
        if m.kind == "finding" and m.current:
            by_sentence.setdefault(m.sentence, []).append((n, m))
    events = {m.concept for m in mentions if m.kind == "event" and m.current}
    sites_in: dict[int, set[str]] = {}
    for m in mentions:
        if m.kind == "site" and m.current:
            sites_in.setdefault(m.sentence, set()).add(m.concept)
    for sign, alternatives in lex.signs.items():
        best = max(
            (_holds(alt, by_sentence, events, paired, sites_in) for alt in alternatives),
            default=0,
        )
        if best == 2:
            signs.append(sign)
        elif best == 1:
            hints.append(sign)
    return tuple(signs), tuple(hints)


def _holds(
    alt: Alternative,
    by_sentence: dict[int, list[tuple[int, Mention]]],
    events: set[str],
    paired: dict[int, Mention | None],
    sites_in: dict[int, set[str]],
) -> int:
    """2 when ``alt`` is stated, 1 when only hinted at, 0 when not said.

    A finding whose nearest site is the wrong one, in a message that also names a right
    one, is a hint ("calf hurts when I pull my toes up and it's swollen", "kneecap. It gets
    stuck and I had to hop to the loo"): which part is meant is unclear, so one yes/no
    question settles it rather than a guess either way.
    """
    if alt.events and events.isdisjoint(alt.events):
        return 0
    best = 0
    for sentence in sorted(by_sentence):
        here = by_sentence[sentence]
        groups = [[(n, m) for n, m in here if m.concept in group] for group in alt.findings]
        if not all(groups):
            continue
        site_level = max(_site_level(alt, paired[n]) for n, _ in groups[0])
        if site_level == 0 and any(not named.isdisjoint(alt.sites) for named in sites_in.values()):
            site_level = 1
        if site_level == 0:
            continue
        strong = all(any(not m.weak for _, m in g) for g in groups)
        level = 2 if strong and site_level == 2 and not alt.hint else 1
        best = max(best, level)
    return best


def _site_level(alt: Alternative, site: Mention | None) -> int:
    if not alt.sites:
        return 2
    if site is None:
        return {"sign": 2, "hint": 1, "none": 0}[alt.siteless]
    return 2 if site.concept in alt.sites else 0
