"""Reading Telegram updates: only what the channel acts on, from private chats."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram.updates import parse


def message(
    text: str, *, chat_type: str = "private", entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "update_id": 5,
        "message": {
            "message_id": 9,
            "date": 1,
            "chat": {"id": 42, "type": chat_type},
            "from": {"id": 42, "is_bot": False, "first_name": "A", "language_code": "en-GB"},
            "text": text,
            "entities": entities or [],
        },
    }


def test_a_command_is_read_by_name_without_slash_or_bot_name() -> None:
    incoming = parse(
        message(
            "/Start@kneecheck_bot", entities=[{"type": "bot_command", "offset": 0, "length": 20}]
        )
    )
    assert incoming is not None
    assert (incoming.kind, incoming.text, incoming.language) == ("command", "start", "en-GB")


def test_a_slash_without_a_command_entity_is_just_text() -> None:
    incoming = parse(message("/ not a command"))
    assert incoming is not None
    assert (incoming.kind, incoming.text) == ("text", "/ not a command")


def test_group_chats_and_bots_are_ignored() -> None:
    assert parse(message("hello", chat_type="group")) is None
    from_bot = message("hello")
    from_bot["message"]["from"]["is_bot"] = True
    assert parse(from_bot) is None
    assert parse({"update_id": 1, "edited_message": {}}) is None
    assert parse({"no": "id"}) is None


def test_a_button_press_carries_its_data_query_and_message() -> None:
    incoming = parse(
        {
            "update_id": 6,
            "callback_query": {
                "id": "q1",
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
                "chat_instance": "c",
                "data": "c|consent|agree|1",
                "message": {"message_id": 3, "date": 1, "chat": {"id": 42, "type": "private"}},
            },
        }
    )
    assert incoming is not None
    assert (incoming.kind, incoming.data, incoming.query_id, incoming.message_id) == (
        "button",
        "c|consent|agree|1",
        "q1",
        3,
    )
