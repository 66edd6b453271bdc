"""The pseudo-locale ``xx``: en.yaml with every text a user reads marked (``[xx]`` before
it), written into a copy of the content folder. A text that is not marked came from the
wrong language: the default one, or the code. This is how translators' tooling finds
strings that never reach a translation, without needing a translation.

Used by tests/test_second_locale.py (the application layer) and tests/contract/test_locale.py
(every channel).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.catalog.checks.reading import TEXT_FIELDS
from bot.catalog.loader import CONTENT_DIR
from bot.catalog.yamlio import load_yaml

LOCALE = "xx"
MARK = "[xx]"
UNMARKED_SECTIONS = frozenset({"sources", "locale"})
"""Not texts a user reads as such: citations and the file's own locale."""


def _mark(value: Any, field: str | None, everything: bool) -> Any:
    """Every user-facing string marked; synonyms, ids, sources and the like left alone."""
    if isinstance(value, dict):
        return {k: _mark(v, k, everything) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v, field, everything) for v in value]
    if isinstance(value, str) and (everything or field in TEXT_FIELDS) and field != "synonyms":
        if field in ("emergency", "emergency_department", "urgent_care", "numbers"):
            return value  # pasted inside marked sentences, which carry the mark
        return f"{MARK} {value}"
    return value


def pseudo_locale(en: dict[str, Any]) -> dict[str, Any]:
    marked: dict[str, Any] = {}
    for section, value in en.items():
        if section in UNMARKED_SECTIONS:
            marked[section] = value
        else:
            marked[section] = _mark(value, section, everything=section in ("ui", "commands"))
    marked["locale"] = LOCALE
    return marked


def write_content(folder: Path) -> Path:
    """``folder`` made a content folder: the real one, and the pseudo-locale beside English
    (its words understood as English ones: what is tested is what is said)."""
    shutil.copytree(CONTENT_DIR, folder, dirs_exist_ok=True)
    en = load_yaml(CONTENT_DIR / "en.yaml")
    (folder / f"{LOCALE}.yaml").write_text(
        yaml.safe_dump(pseudo_locale(en), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    lexicon = load_yaml(folder / "understanding" / "en.yaml")
    lexicon["locale"] = LOCALE
    (folder / "understanding" / f"{LOCALE}.yaml").write_text(
        yaml.safe_dump(lexicon, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return folder
