"""Neutral output as JSON for the page: pure functions, no I/O.

The page draws what it is given and decides nothing: a message is its kind, its sections
and its buttons, each button carrying the payload the application reads back
(:func:`bot.engine.buttons.encode_choice`). A picture (the diary chart) travels as a
``data:`` URL, which the page's Content-Security-Policy allows for images and nothing else,
so a chart needs no URL of its own to protect, with its text fallback for screen readers.
"""

from __future__ import annotations

import base64
from typing import Any

from bot.actions import Picture
from bot.engine import Event, Reply
from bot.engine.buttons import encode_choice
from bot.engine.replies import Section

Message = dict[str, Any]
"""One message as the page receives it (and as the stream keeps it)."""


def section(part: Section) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if part.title:
        shown["title"] = part.title
    for name in ("paragraphs", "bullets", "steps"):
        values = getattr(part, name)
        if values:
            shown[name] = list(values)
    return shown


def message(reply: Reply, *, pressed: Event | None = None) -> Message:
    """``reply`` for the page. ``edit``: it redraws the question whose button was just
    pressed (a box ticked), so the page replaces that message instead of adding one."""
    shown: Message = {"kind": reply.kind, "sections": [section(s) for s in reply.sections]}
    if reply.choices:
        shown["choices"] = [
            {
                "label": choice.label,
                "data": encode_choice(choice, reply.step, reply.version),
                "action": choice.action,
                **({"selected": True} if choice.selected else {}),
            }
            for choice in reply.choices
        ]
    if reply.step is not None:
        shown["step"], shown["version"] = reply.step, reply.version
    if reply.multi:
        shown["multi"] = True
    if reply.tier:
        shown["tier"] = reply.tier
    if pressed is not None and _same_question(pressed, reply):
        shown["edit"] = True
    return shown


def picture(shown: Picture) -> Message:
    """The chart as an image the page can show without another request."""
    encoded = base64.b64encode(shown.png).decode()
    return {
        "kind": "picture",
        "title": shown.title,
        "src": f"data:image/png;base64,{encoded}",
        "fallback": message(shown.fallback),
    }


def _same_question(pressed: Event, reply: Reply) -> bool:
    if reply.kind != "question" or reply.step is None:
        return False
    step, version = getattr(pressed, "step", None), getattr(pressed, "version", None)
    return (step, version) == (reply.step, reply.version)
