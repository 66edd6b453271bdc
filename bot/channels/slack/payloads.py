"""Slack payloads in, channel-neutral facts out: who, where, and which engine event.

Pure functions over the dicts bolt hands us, unit-tested without HTTP. A payload has passed
the signature check by the time it gets here, but its contents are still input: a value we
did not render decodes to None, a block we did not render has no owner, an id that is not
a Slack id makes no :class:`UserRef`.

Multi-choice questions: the ticks of a Slack ``checkboxes`` element are kept by the Slack
client; Done turns the ticked boxes (``state.values`` of the pressed message) into one
``Submit(options=...)``. So a burst of ticks can never race a re-render, and the answer
recorded is exactly what the user saw ticked when they pressed Done. A tick itself becomes
the same ``Submit`` (:func:`ticks`), which the channel only checks, never saves: a tick on a
question that has moved on is told so at once instead of at Done.

Reminder buttons (``r|<reminder>|<action>|<due>``, on a reminder message or the /kneecheck
reminders list) are not engine events: they decode to a :class:`ReminderPress` for the
reminder service, read before the engine's codec. Start buttons (``f|...``, the follow-up
offer under an assessment, a check-in reminder) are engine events like any other.
"""

from __future__ import annotations

import re
from typing import Any

from bot.channels.slack.entry import PREFIX
from bot.channels.slack.render import TICKS_PREFIX, owner_of
from bot.engine.buttons import decode
from bot.engine.events import Event, Submit, Toggle
from bot.frozen import frozen
from bot.store.keys import UserRef

_TICKS = re.compile(rf"{re.escape(TICKS_PREFIX)}([A-Za-z0-9_.-]+):(\d{{1,10}}):\d{{1,3}}")


@frozen
class Press:
    """A button press: who pressed, whose conversation it was, where, and what it means."""

    user: UserRef
    owner: str | None
    channel: str | None
    message_ts: str | None
    value: str
    """The button's payload, for the application to read (:mod:`bot.actions`)."""
    event: Event | None
    """The engine event it stands for, if any: the pressed question is rewritten in place."""
    ticks: bool = False
    """Done on a question of checkboxes: ``event`` carries the boxes ticked in the message
    (None when one of them is not a box we rendered)."""


@frozen
class DirectMessage:
    """Something a person typed in their direct message with the app."""

    user: UserRef
    channel: str
    text: str
    event_id: str


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def user_ref(team: object, user: object) -> UserRef | None:
    """The store identity of a Slack user in a workspace, or None for a malformed id."""
    try:
        return UserRef(PREFIX, _str(user), workspace=_str(team))
    except ValueError:
        return None


def subcommand(text: str) -> str:
    """``/kneecheck restart`` -> ``restart``; nothing after the command -> ``""``."""
    words = text.split()
    return words[0].lower() if words else ""


def unescape(text: str) -> str:
    """Slack escapes these three in message text; the engine wants what the user typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def direct_message(body: dict[str, Any]) -> DirectMessage | None:
    """A person's plain message in a DM with the app; None for anything else (edits, joins,
    bots, channels), which is acknowledged and ignored."""
    event = _dict(body.get("event"))
    if (
        event.get("type") != "message"
        or event.get("channel_type") != "im"
        or event.get("subtype") is not None
        or event.get("bot_id") is not None
    ):
        return None
    user = user_ref(body.get("team_id") or event.get("team"), event.get("user"))
    channel, text, event_id = _str(event.get("channel")), event.get("text"), body.get("event_id")
    if user is None or not channel or not isinstance(text, str) or not isinstance(event_id, str):
        return None
    return DirectMessage(user, channel, unescape(text), event_id)


def press(body: dict[str, Any]) -> Press | None:
    """The first action of a ``block_actions`` payload, translated; None when malformed."""
    actions = body.get("actions")
    action = _dict(actions[0]) if isinstance(actions, list) and actions else {}
    person = _dict(body.get("user"))
    team = _dict(body.get("team")).get("id") or person.get("team_id")
    user = user_ref(team, person.get("id"))
    if user is None or not action:
        return None
    container = _dict(body.get("container"))
    channel = _str(container.get("channel_id")) or _str(_dict(body.get("channel")).get("id"))
    value = _str(action.get("value"))
    event = decode(value)
    done = isinstance(event, Submit)
    if isinstance(event, Submit):
        event = with_ticks(event, _dict(body.get("state")))
    return Press(
        user=user,
        owner=owner_of(_str(action.get("block_id"))),
        channel=channel or None,
        message_ts=_str(container.get("message_ts")) or None,
        value=value,
        event=event,
        ticks=done,
    )


def ticks(body: dict[str, Any]) -> Press | None:
    """A checkbox change, as the Done it would make: ``Submit`` with every box now ticked.

    The event is None when the group or a ticked value is not one we rendered.
    """
    pressed = press(body)
    if pressed is None:
        return None
    action = _dict(body["actions"][0])
    found = _TICKS.fullmatch(_str(action.get("action_id")))
    event: Event | None = None
    if found is not None:
        event = with_ticks(Submit(found[1], int(found[2])), _dict(body.get("state")))
    return Press(
        pressed.user, pressed.owner, pressed.channel, pressed.message_ts, pressed.value, event
    )


def with_ticks(done: Submit, state: dict[str, Any]) -> Submit | None:
    """Done, carrying the boxes ticked in the pressed message.

    No checkbox state reported: the Submit stays as it is, so the ticks we rendered (the
    session's pending ticks) stand. A ticked value that is not one of this question's boxes
    at this version was not rendered by us: None (a forged press).
    """
    groups = [
        _dict(element)
        for block in _dict(state.get("values")).values()
        for element in _dict(block).values()
        if _dict(element).get("type") == "checkboxes"
    ]
    if not groups:
        return done
    options: list[str] = []
    for group in groups:
        selected = group.get("selected_options")
        for option in selected if isinstance(selected, list) else []:
            ticked = decode(_str(_dict(option).get("value")))
            if not isinstance(ticked, Toggle) or (ticked.step, ticked.version) != (
                done.step,
                done.version,
            ):
                return None
            options.append(ticked.option)
    return Submit(done.step, done.version, tuple(options))
