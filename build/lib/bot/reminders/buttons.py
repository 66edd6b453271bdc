"""A reminder's buttons: ``r|<reminder>|<action>|<due>``, the engine's codec shape.

``due`` names the occurrence the message was sent for, so a press on an old reminder
message is recognisable. Decoding trusts nothing: anything else is None (a forged button).
"""

from __future__ import annotations

import re

from bot.frozen import frozen

REMINDER_IDS = frozenset({"stretch", "hydration", "checkin", "all"})
ACTIONS = frozenset({"done", "snooze", "stop", "pause", "resume", "time", "keep"})
TIME_OPTION = re.compile(r"^t\d{4}$")
"""A new time for the stretch reminder: an option id of the fu_time step."""


@frozen
class ReminderPress:
    reminder: str
    action: str
    due: int


def decode(data: str) -> ReminderPress | None:
    parts = data.split("|")
    if len(parts) != 4 or parts[0] != "r":
        return None
    _, reminder, action, due = parts
    if reminder not in REMINDER_IDS or not due.isdigit() or len(due) > 10:
        return None
    if action not in ACTIONS and not TIME_OPTION.match(action):
        return None
    return ReminderPress(reminder, action, int(due))
