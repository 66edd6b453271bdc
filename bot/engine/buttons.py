"""Buttons as compact strings: Telegram callback data and Slack action values.

One format for every channel: ``<action>|<step>|<value>|<version>``, one
character per action so Telegram's 64 bytes are left to the ids. Decoding
never trusts the input: anything malformed (a forged button) decodes to None,
and a well-formed but outdated button is left to the engine to call stale.
"""

from __future__ import annotations

from bot.engine.events import Back, Choose, Event, Restart, Resume, Start, Stop, Submit, Toggle
from bot.engine.replies import Choice, ChoiceAction

CODES: dict[ChoiceAction, str] = {
    "choose": "c",
    "toggle": "t",
    "submit": "s",
    "command": "m",
    "start": "f",
    "reminder": "r",
    "confirm": "x",
}
"""``r`` buttons (``r|<reminder>|<action>|<due>``) belong to the reminder service and ``x``
buttons (``x|forget|yes|0``) to the application (:mod:`bot.actions`), which reads them
before asking this module."""
COMMAND_EVENTS = {"back": Back, "restart": Restart, "resume": Resume, "stop": Stop}
MAX_VERSION_DIGITS = 10


def pack(code: str, step: str, value: str, version: int) -> str:
    return f"{code}|{step}|{value}|{version}"


def encode(action: ChoiceAction, step: str, value: str, version: int) -> str:
    return pack(CODES[action], step, value, version)


def encode_choice(choice: Choice, step: str | None, version: int) -> str:
    if choice.target is not None:
        step, version = choice.target
    return encode(choice.action, step or "", choice.value, version)


def decode(data: str) -> Event | None:
    """The event a button stands for, or None when the data is not one of ours."""
    parts = data.split("|")
    if len(parts) != 4:
        return None
    code, step, value, raw_version = parts
    if not raw_version.isdigit() or len(raw_version) > MAX_VERSION_DIGITS:
        return None
    version = int(raw_version)
    match code:
        case "c":
            return Choose(step, value, version)
        case "t":
            return Toggle(step, value, version)
        case "s":
            return Submit(step, version)
        case "m":
            command = COMMAND_EVENTS.get(value)
            return command() if command else None
        case "f":
            return Start(flow=value) if value.isidentifier() else None
    return None
