"""The channel contract's boundaries, read off the source: adding a channel must not mean
editing the core. The reminders, the store and the engine import no channel; no channel
imports how the process is wired; and no core module spells a channel's stored values."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.actions import COMMANDS, KNEECHECK
from bot.channels import registry
from bot.store.keys import CORE_VALUES

BOT = Path(__file__).resolve().parents[2] / "bot"
CORE = ("reminders", "store", "engine")


def modules(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", CORE)
def test_the_core_imports_no_channel(part: str) -> None:
    found = {
        f"{path.relative_to(BOT)}: {name}"
        for path in modules(BOT / part)
        for name in imported(path)
        if name == "bot.channels" or name.startswith("bot.channels.")
    }
    assert not found


def test_no_channel_imports_the_wiring() -> None:
    found = {
        str(path.relative_to(BOT))
        for path in modules(BOT / "channels")
        if any(name == "bot.wiring" or name.startswith("bot.wiring.") for name in imported(path))
    }
    assert not found


def test_the_store_and_the_reminders_spell_no_channel_value() -> None:
    channel_values = registry.user_values()
    assert channel_values  # the Telegram and Slack entries declare theirs
    spelled = {
        f"{path.relative_to(BOT)}: {node.value!r}"
        for part in ("reminders", "store")
        for path in modules(BOT / part)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in channel_values
    }
    assert not spelled


def test_every_channel_entry_has_its_own_prefix_and_values() -> None:
    entries = registry.entries()
    prefixes = [entry.prefix for entry in entries]
    assert len(set(prefixes)) == len(prefixes)
    for entry in entries:
        assert not entry.values & CORE_VALUES, entry.name
        others = set().union(*(e.values for e in entries if e is not entry))
        assert not entry.values & others, entry.name


def test_no_channel_spells_a_command_name() -> None:
    """Commands are the application layer's (``bot.actions``): a channel that spells one ("if
    the text is 'help'") grows its own copy of the product. ``kneecheck`` is also the product's
    and Slack's slash command's name, so it is left out."""
    names = set(COMMANDS) - {KNEECHECK}
    spelled = {
        f"{path.relative_to(BOT)}:{node.lineno}: {node.value!r}"
        for path in modules(BOT / "channels")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in names
    }
    posted = re.compile(r"command\s*:\s*[\"'`](\w+)[\"'`]")  # what a page script posts
    spelled |= {
        f"{path.relative_to(BOT)}: {found!r}"
        for path in (BOT / "channels").rglob("*.js")
        for found in posted.findall(path.read_text())
    }
    assert not spelled
