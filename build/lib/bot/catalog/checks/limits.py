"""Telegram's sizes: 64 bytes of callback data per button, 4,096 characters per message."""

from __future__ import annotations

import contextlib

from bot.catalog.checks.problem import Add
from bot.catalog.content import Content, Sourced
from bot.catalog.flow import Flow, Step
from bot.engine import buttons
from bot.engine.replies import Reply, Section

CALLBACK_LIMIT = 64
"""Telegram refuses inline buttons whose callback data exceeds 64 bytes."""
WIDEST_VERSION = 10**9
"""The widest question version a button may carry (ten digits); sessions restart before it."""
MESSAGE_LIMIT = 4096
"""Telegram's limit on one text message, in characters (counted as UTF-16 code units)."""
CALLBACK_ACTIONS = buttons.CODES
"""One character per button action, to leave the 64 bytes to the ids."""


callback_data = buttons.pack
"""The callback data of one button, exactly as the channels encode it."""


def check_callbacks(step: Step, add: Add) -> None:
    """Every button of the step, at the widest version, must fit in Telegram's callback data."""
    action = CALLBACK_ACTIONS["toggle" if step.kind == "multi" else "choose"]
    buttons = [(action, o.id, f"steps[{step.id}].options[{o.id}].id") for o in step.options]
    if step.kind == "multi":
        buttons.append((CALLBACK_ACTIONS["submit"], "done", f"steps[{step.id}]"))
    buttons.append((CALLBACK_ACTIONS["command"], "back", f"steps[{step.id}]"))
    for act, value, path in buttons:
        data = callback_data(act, step.id, value, WIDEST_VERSION)
        size = len(data.encode("utf-8"))
        if size > CALLBACK_LIMIT:
            add(
                path,
                f"button callback data {data!r} is {size} bytes, over Telegram's "
                f"{CALLBACK_LIMIT}-byte limit: shorten the step or option id",
            )


def rendered(section: Section) -> str:
    """The section as the user reads it, alone in one message."""
    return Reply(kind="info", sections=(section,)).text()


def _size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def too_long(path: str, what: str, text: str, add: Add) -> None:
    """Report ``text`` when it does not fit in one Telegram message."""
    size = _size(text)
    if size > MESSAGE_LIMIT:
        add(path, f"{what} is {size} characters, over Telegram's {MESSAGE_LIMIT} per message")


def _sourced(item: Sourced) -> Section:
    return Section(title=item.title, paragraphs=(item.text,))


def check_message_lengths(flows: list[Flow], content: Content, add: Add) -> None:
    """Each text a user receives as one message must fit in one Telegram message."""
    progress = content.ui.get("progress", "")
    # A broken template is reported by the translation and assessment checks.
    with contextlib.suppress(KeyError, IndexError, ValueError):
        progress = progress.format(n=99, total=99)
    for step in (s for f in flows for s in f.steps):
        text = content.steps.get(step.id)
        if text is None:
            continue
        paragraphs = [text.question, *([text.help] if text.help else [])]
        if step.kind == "multi":
            paragraphs.append(content.ui.get("multi_hint", ""))
        section = Section(title=progress, paragraphs=tuple(paragraphs))
        too_long(f"steps.{step.id}.question", "the question message", rendered(section), add)
    for key, ui_text in content.ui.items():
        too_long(f"ui.{key}", "the message", ui_text, add)
    for flag, red_flag in content.red_flags.items():
        too_long(f"red_flags.{flag}.advice", "the advice", red_flag.advice, add)
    sourced = {
        "outcomes": content.outcomes,
        "causes": content.causes,
        "relief": content.relief,
        "treatment": content.treatment,
        "tips": content.tips,
        "complications": content.complications,
        "seek_help": content.seek_help,
        "facts": content.facts,
    }
    for name, items in sourced.items():
        for key, item in items.items():
            too_long(f"{name}.{key}", "the text", rendered(_sourced(item)), add)
    too_long("disclaimer", "the text", rendered(_sourced(content.disclaimer)), add)
    for tier, tier_text in content.tiers.items():
        section = Section(title=tier_text.title, paragraphs=(tier_text.text,))
        too_long(f"tiers.{tier}", "the text", rendered(section), add)
    for key, stretch in content.stretches.items():
        section = Section(title=stretch.title, steps=stretch.steps)
        too_long(f"stretches.{key}", "the stretch", rendered(section), add)
