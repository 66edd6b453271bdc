"""From what a person typed to the tokens every later step reads.

Folding is Unicode-aware rather than ASCII-only: NFKC, casefolding and the removal
of combining marks make "Swöllen", full-width "SWOLLEN" and "swollen" one word, and keep
Greek, Cyrillic or Devanagari letters instead of dropping them. Text past
:data:`MAX_CHARS` is not read at all, so the cost of a message has a fixed ceiling and
every later step is linear in what is left.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from bot.frozen import frozen

MAX_CHARS = 1_000
"""Characters read from one message. Chat answers are a few words; a paste of a page is
read as its first thousand characters (about 180 words), in well under a millisecond."""


def kept(text: str) -> str:
    """What a channel keeps of a typed message: the part that is read and one character
    more, so the reply can still say that only the start was read. A channel that can take a
    long paste (the terminal, the web page) cuts it here, before anything else touches it."""
    return text[: MAX_CHARS + 1]


TokenKind = Literal["word", "number", "break", "comma"]
"""``break`` ends a sentence (. ! ? ; or a new line): findings pair with sites within one.
``comma`` ends a context cue's reach backwards ("my chest hurts, breathing is fine")."""

_TOKEN = re.compile(r"\d+(?:[.,:]\d+)?|[^\W\d_]+|[.!?;\n]+|,", re.UNICODE)
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4")
_DASHES = str.maketrans(dict.fromkeys("-\u2010\u2011\u2012\u2013\u2014/_", " "))


@frozen
class Token:
    text: str
    kind: TokenKind


def fold(text: str) -> str:
    """Compatibility-normalised, casefolded, without accents or apostrophes."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFD", folded.translate(_DASHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[Token]:
    """Words, numbers and breaks of the first :data:`MAX_CHARS` characters.

    Digits and letters typed together are split ("20mins" -> 20 mins, "7pm" -> 7 pm);
    a run of breaks is one break, and a comma next to a break disappears into it.
    """
    out: list[Token] = []
    for raw in _TOKEN.findall(fold(text[:MAX_CHARS])):
        first = raw[0]
        if first.isdigit():
            out.append(Token(raw.replace(",", "."), "number"))
        elif first == ",":
            if (out and out[-1].kind == "word") or (out and out[-1].kind == "number"):
                out.append(Token(",", "comma"))
        elif first in ".!?;\n":
            if out and out[-1].kind == "comma":
                out.pop()
            if out and out[-1].kind != "break":
                out.append(Token(".", "break"))
        else:
            out.append(Token(raw, "word"))
    while out and out[-1].kind in ("break", "comma"):
        out.pop()
    return out
