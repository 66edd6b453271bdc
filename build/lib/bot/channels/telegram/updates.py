"""Telegram update JSON in, a small typed value out: pure, no PTB objects.

Building PTB's full ``Update``/``Message`` objects costs more CPU than a whole
conversation turn, and the channel needs five fields of an update. This parser
reads them straight from the JSON the webhook (or ``Update.to_dict()`` when
polling) gives.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.frozen import frozen

Kind = Literal["command", "text", "button", "foreign"]
"""``foreign``: a button press the presser does not own (a group, someone else's chat)."""


@frozen
class Incoming:
    update_id: int
    kind: Kind
    user_id: int
    chat_id: int
    language: str | None
    text: str = ""
    """The typed text; for a command its name without the slash (``start``)."""
    data: str = ""
    """A button's callback data."""
    query_id: str = ""
    message_id: int | None = None
    """For a button: the message that carries it."""


def parse(update: dict[str, Any]) -> Incoming | None:
    """The parts of an update the channel acts on; None for anything else (edits, joins...)
    and for anything malformed: a field of the wrong type is "not for us", never an error
    (Telegram retries an error for a day)."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    if (query := update.get("callback_query")) is not None:
        return _button(update_id, query) if isinstance(query, dict) else None
    if (message := update.get("message")) is not None:
        return _message(update_id, message) if isinstance(message, dict) else None
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sender(holder: dict[str, Any]) -> tuple[int, str | None] | None:
    sender = holder.get("from")
    if not isinstance(sender, dict) or sender.get("is_bot") is True:
        return None
    user_id = _int(sender.get("id"))
    if user_id is None:
        return None
    language = sender.get("language_code")
    return user_id, language if isinstance(language, str) else None


def _private_chat(message: dict[str, Any], user_id: int) -> int | None:
    """The chat's id when it is the sender's own private chat with the bot, else None.

    Health answers are private: the bot only talks in a private chat, whose id is the
    user's own id, so a message or button press from a group, or on a message in someone
    else's chat, is never taken as the sender's answer."""
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None
    chat_id = _int(chat.get("id"))
    return chat_id if chat_id == user_id else None


def _message(update_id: int, message: dict[str, Any]) -> Incoming | None:
    who = _sender(message)
    text = message.get("text")
    if who is None or not isinstance(text, str):
        return None
    user_id, language = who
    chat_id = _private_chat(message, user_id)
    if chat_id is None:
        return None
    if text.startswith("/") and _is_command(message):
        name = text.split()[0][1:].split("@")[0].lower()
        return Incoming(update_id, "command", user_id, chat_id, language, text=name)
    return Incoming(update_id, "text", user_id, chat_id, language, text=text)


def _is_command(message: dict[str, Any]) -> bool:
    entities = message.get("entities")
    if not isinstance(entities, list):
        return False
    return any(
        isinstance(e, dict) and e.get("type") == "bot_command" and e.get("offset") == 0
        for e in entities
    )


def _button(update_id: int, query: dict[str, Any]) -> Incoming | None:
    who = _sender(query)
    if who is None:
        return None
    user_id, language = who
    message = query.get("message")
    data = query.get("data")
    query_id = str(query.get("id") or "")
    message_id = _int(message.get("message_id")) if isinstance(message, dict) else None
    chat_id = _private_chat(message, user_id) if isinstance(message, dict) else None
    if chat_id is None or not isinstance(data, str):
        # A press in a group, on a message in someone else's chat, or with no usable data:
        # the presser is told, and nothing changes.
        return Incoming(update_id, "foreign", user_id, user_id, language, query_id=query_id)
    return Incoming(
        update_id,
        "button",
        user_id,
        chat_id,
        language,
        data=data,
        query_id=query_id,
        message_id=message_id,
    )
