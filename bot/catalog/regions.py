"""Which region's emergency words a user gets, from what the platform tells us.

A user in Ohio told to "call 999" loses minutes they may not have; "call your local
emergency number" is right everywhere but slower to act on. So every emergency and
urgent-care sentence in ``content/`` names its numbers through placeholders
(``{emergency}``, ``{emergency_department}``, ``{urgent_care}``), filled per region from
the locale file's ``regions:`` words; the ``default`` words, for a user we cannot place,
list every region's number. The mapping from a time zone or language tag to a region is
data (``content/regions/where.yaml``), read here.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_REGION = "default"
PLACEHOLDERS = ("emergency", "emergency_department", "urgent_care", "numbers")
"""The region words a content text may name, as ``{emergency}`` and so on."""
PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Languages(_Strict):
    regions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """A language tag's region part ("GB" in "en-GB") for each region."""
    bare: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Languages spoken mostly in one region, for a tag without a region part."""


class Where(_Strict):
    """``content/regions/where.yaml``: time zones and language tags, by region."""

    zones: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    languages: Languages = Languages()

    def of(self, *, zone: str | None = None, language: str | None = None) -> str | None:
        """The region of an IANA ``zone`` (trusted first), else of a ``language`` tag."""
        if zone:
            exact = next((r for r, names in self.zones.items() if zone in names), None)
            if exact is not None:
                return exact
            prefixes = [
                (len(p), r)
                for r, names in self.zones.items()
                for p in names
                if p.endswith("/") and zone.startswith(p)
            ]
            if prefixes:
                return max(prefixes)[1]
        if language:
            parts = re.split(r"[-_]", language.strip())
            country = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
            if country is not None:
                return next(
                    (r for r, codes in self.languages.regions.items() if country in codes), None
                )
            bare = parts[0].lower()
            return next((r for r, codes in self.languages.bare.items() if bare in codes), None)
        return None
