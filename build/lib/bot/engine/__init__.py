"""The functional core: pure, synchronous, no I/O libraries.

``advance(catalog, session, event, now=...)`` is the only entry point channels
need (through :mod:`bot.conversations`).
"""

from bot.engine.events import (
    Back,
    Choose,
    Event,
    Restart,
    Resume,
    Start,
    Stop,
    Submit,
    Text,
    Toggle,
)
from bot.engine.machine import Turn, advance
from bot.engine.replies import Choice, Effect, Finished, Reply, Section, Stopped
from bot.engine.session import Session

__all__ = [
    "Back",
    "Choice",
    "Choose",
    "Effect",
    "Event",
    "Finished",
    "Reply",
    "Restart",
    "Resume",
    "Section",
    "Session",
    "Start",
    "Stop",
    "Stopped",
    "Submit",
    "Text",
    "Toggle",
    "Turn",
    "advance",
]
