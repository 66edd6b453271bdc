"""Clinical language understanding: one typed message in, what it says out.

Pure: no I/O after the lexicon is loaded, no caches keyed on typed text. The engine asks
:func:`read` for every typed message, at every step of every flow, before anything else.
"""

from bot.understanding.compiled import CompiledLexicon, compile_lexicon
from bot.understanding.lexicon import Lexicon
from bot.understanding.reader import Mention, Reading, read
from bot.understanding.text import MAX_CHARS, kept
from bot.understanding.values import Value

__all__ = [
    "MAX_CHARS",
    "CompiledLexicon",
    "Lexicon",
    "Mention",
    "Reading",
    "Value",
    "compile_lexicon",
    "kept",
    "read",
]
