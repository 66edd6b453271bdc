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


def test_malformed_updates_are_not_for_us_never_an_error() -> None:
    """Wrong types anywhere read as "nothing to do" (the webhook then answers 200, so
    Telegram does not retry a broken update for a day)."""
    good = message("hello")
    broken: list[Any] = [
        {"update_id": 1, "message": "x"},
        {"update_id": 1, "callback_query": "x"},
        {"update_id": "1", "message": good["message"]},
        {"update_id": True, "message": good["message"]},
        {"update_id": 1, "message": {**good["message"], "chat": {"id": "abc", "type": "private"}}},
        {"update_id": 1, "message": {**good["message"], "chat": {"type": "private"}}},
        {"update_id": 1, "message": {**good["message"], "chat": "private"}},
        {"update_id": 1, "message": {**good["message"], "from": {"id": "42"}}},
        {"update_id": 1, "message": {**good["message"], "text": 5}},
        {"update_id": 1, "callback_query": {"id": "q", "from": "x", "data": "c|a|b|1"}},
    ]
    for update in broken:
        assert parse(update) is None, update
    with_null_entity = message("/start", entities=[None])  # type: ignore[list-item]
    incoming = parse(with_null_entity)
    assert incoming is not None
    assert incoming.kind == "text"


def press(chat: dict[str, Any] | None, presser: int = 42, data: object = "c|x|y|1") -> Any:
    query: dict[str, Any] = {"id": "q9", "from": {"id": presser, "is_bot": False}, "data": data}
    if chat is not None:
        query["message"] = {"message_id": 3, "date": 1, "chat": chat}
    return parse({"update_id": 7, "callback_query": query})


def test_a_press_counts_only_in_the_pressers_own_private_chat() -> None:
    own = press({"id": 42, "type": "private"})
    assert (own.kind, own.user_id, own.chat_id, own.data) == ("button", 42, 42, "c|x|y|1")
    for foreign in (
        press({"id": -100123, "type": "supergroup"}),  # a press in a group
        press({"id": 42, "type": "private"}, presser=77),  # on someone else's message
        press(None),  # an inline message: no chat of ours
        press({"id": 42, "type": "private"}, data=["c|x|y|1"]),  # data of the wrong type
    ):
        assert foreign.kind == "foreign"
        assert foreign.query_id == "q9"  # so the presser can be told
        assert foreign.data == ""
