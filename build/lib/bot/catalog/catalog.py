"""The loaded, validated flows and content that every part of the bot reads.

A :class:`Catalog` is immutable and built once at start; the engine receives it
as an argument, so the engine never touches files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.catalog.regions import Where
from bot.understanding import CompiledLexicon

DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class Catalog:
    flows: dict[str, Flow]
    contents: dict[str, Content]
    default_locale: str = DEFAULT_LOCALE
    sources: dict[str, str] = field(default_factory=dict)
    """Where each flow and content file came from (``flow:<id>`` / ``content:<locale>``)."""
    lexicons: dict[str, CompiledLexicon] = field(default_factory=dict)
    """What typed text means, per locale (``content/understanding/<locale>.yaml``)."""

    def flow(self, flow_id: str) -> Flow:
        return self.flows[flow_id]

    where: Where = field(default_factory=Where)
    """Time zones and language tags by region (``content/regions/where.yaml``)."""

    def content(self, locale: str | None, region: str | None = None) -> Content:
        """The content for ``locale`` (falling back to its language, then the default), with
        emergency numbers filled for ``region``: the neutral words when it is unknown."""
        return self._content(locale).for_region(region)

    def _content(self, locale: str | None) -> Content:
        if locale:
            if locale in self.contents:
                return self.contents[locale]
            language = locale.split("-")[0].split("_")[0].lower()
            if language in self.contents:
                return self.contents[language]
        return self.contents[self.default_locale]

    def region(self, *, zone: str | None = None, language: str | None = None) -> str | None:
        """The region whose emergency words fit a user (None: the neutral ones)."""
        return self.where.of(zone=zone, language=language)

    def lexicon(self, locale: str | None) -> CompiledLexicon:
        """The lexicon of the content :meth:`content` picks, so words and replies agree."""
        return self.lexicons[self.locale_for(locale)]

    def locale_for(self, locale: str | None) -> str:
        return self._content(locale).locale
