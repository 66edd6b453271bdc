"""Telegram update JSON in, a small typed value out: pure, no PTB objects.

Building PTB's full ``Update``/``Message`` objects costs more CPU than a whole
conversation turn, and the channel needs five fields of an update. This parser
reads them straight from the JSON the webhook (or ``Update.to_dict()`` when
polling) gives.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.frozen import frozen

Kind = Literal["command", "text", "button"]


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
    """The parts of an update the channel acts on; None for anything else (edits, joins...)."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int):
        return None
    if (query := update.get("callback_query")) is not None:
        return _button(update_id, query)
    if (message := update.get("message")) is not None:
        return _message(update_id, message)
    return None


def _sender(holder: dict[str, Any]) -> tuple[int, str | None] | None:
    sender = holder.get("from")
    if (
        not isinstance(sender, dict)
        or sender.get("is_bot")
        or not isinstance(sender.get("id"), int)
    ):
        return None
    language = sender.get("language_code")
    return int(sender["id"]), language if isinstance(language, str) else None


def _message(update_id: int, message: dict[str, Any]) -> Incoming | None:
    who = _sender(message)
    chat = message.get("chat")
    text = message.get("text")
    if who is None or not isinstance(chat, dict) or not isinstance(text, str):
        return None
    if chat.get("type") != "private":
        return None  # health answers are private: the bot only talks in private chats
    user_id, language = who
    chat_id = int(chat["id"])
    if text.startswith("/") and _is_command(message):
        name = text.split()[0][1:].split("@")[0].lower()
        return Incoming(update_id, "command", user_id, chat_id, language, text=name)
    return Incoming(update_id, "text", user_id, chat_id, language, text=text)


def _is_command(message: dict[str, Any]) -> bool:
    entities = message.get("entities") or ()
    return any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities)


def _button(update_id: int, query: dict[str, Any]) -> Incoming | None:
    who = _sender(query)
    if who is None:
        return None
    user_id, language = who
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    chat_id = chat.get("id", user_id)
    return Incoming(
        update_id,
        "button",
        user_id,
        int(chat_id),
        language,
        data=str(query.get("data") or ""),
        query_id=str(query.get("id") or ""),
        message_id=message.get("message_id")
        if isinstance(message.get("message_id"), int)
        else None,
    )
