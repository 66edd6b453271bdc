"""Translations against the default locale: the same keys, the same ``{placeholders}``."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from bot.catalog.checks.problem import Add
from bot.catalog.content import Content


def check_format_strings(content: Content, add: Add) -> None:
    """Every ui string must be a valid ``str.format`` template."""
    for key, text in content.ui.items():
        if _placeholders(text) is None:
            add(f"ui.{key}", "is not a valid template: write a literal brace as {{ or }}")


def check_translation(reference: Content, content: Content, add: Add) -> None:
    """Same keys as the default locale, and the same ``{placeholders}`` in every ui string."""
    ref, own = _keys(reference), _keys(content)
    for key in ref:
        if key not in own:
            add(key, f"missing translation: the key is in {reference.locale!r} but not here")
    for key in own:
        if key not in ref:
            add(key, f"extra key: not in the reference locale {reference.locale!r}")
    check_format_strings(content, add)
    for key, text in content.ui.items():
        mine, theirs = _placeholders(text), _placeholders(reference.ui.get(key, ""))
        if key in reference.ui and mine is not None and theirs is not None and mine != theirs:
            add(
                f"ui.{key}",
                f"placeholders {_fields(mine)} differ from {_fields(theirs)} "
                f"in {reference.locale!r}",
            )


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted key paths of nested mappings; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _keys(content: Content) -> dict[str, Any]:
    # Only what the file sets: an optional key (help, answer, synonyms) in the
    # reference is a key the translation must also have.
    return flatten(content.model_dump(exclude_unset=True, exclude_none=True))


def _placeholders(text: str) -> set[str] | None:
    """Field names in a ``str.format`` template, or None when it is malformed."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def _fields(names: set[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names)) or "(none)"
