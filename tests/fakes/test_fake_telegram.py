"""The fake Telegram server, proven against the real python-telegram-bot over real HTTP.

If these pass, a bot test that runs on the fake exercises PTB's real request encoding and
error mapping, so a green bot test means Telegram would have accepted the same calls.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.telegram import FakeTelegram, parse_html

USER = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url) as client:
        yield client


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


async def test_get_me_and_urls(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == 123456
    assert fake.api_url == f"{fake.base_url}{fake.token}"
    assert fake.calls[0][0] == "getMe"


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass


async def test_send_edit_and_keyboard_removal(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        USER, "<b>Pick</b> one", parse_mode=ParseMode.HTML, reply_markup=keyboard(("Yes", "y"))
    )
    assert sent.text == "Pick one"  # Telegram returns the parsed text plus entities
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == keyboard(("Yes", "y"))
    msg = fake.last(USER)
    assert (msg.message_id, msg.text, msg.parse_mode) == (
        sent.message_id,
        "<b>Pick</b> one",
        "HTML",
    )
    assert fake.buttons(msg) == [("Yes", "y")]
    # PTB posts form fields, with the markup as a JSON string
    assert fake.calls[-1][1]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]
    }

    await bot.edit_message_text("Done", chat_id=USER, message_id=sent.message_id)
    assert (msg.text, msg.reply_markup, msg.edits) == ("Done", None, 1)
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_text("Done", chat_id=USER, message_id=sent.message_id)
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard(("A", "a")))
    assert fake.buttons(msg) == [("A", "a")]
    second = await bot.send_message(USER, "next")
    assert second.message_id > sent.message_id
    assert [m.text for m in fake.messages(USER)] == ["Done", "next"]
    assert await bot.delete_message(USER, second.message_id)
    assert len(fake.messages(USER)) == 1


async def test_callback_query_roundtrip(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Q?", reply_markup=keyboard(("Yes", "yes")))
    query_id = fake.user_presses(USER, sent.message_id, "yes")
    (update,) = await bot.get_updates(timeout=1)
    assert update.callback_query is not None
    assert update.callback_query.data == "yes"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Noted", show_alert=True)
    assert fake.callback_answers[query_id] == {"text": "Noted", "show_alert": True}
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_commands_and_webhook(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Begin")], language_code="de")
    assert fake.bot_commands("de") == [{"command": "start", "description": "Begin"}]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["start"]
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await bot.set_my_commands([BotCommand("Start", "Begin")])
    assert await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""


async def test_get_updates_long_poll_offset_and_entities(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == ()  # nothing queued: returns after the timeout
    first = fake.user_sends(USER, "/start@kneecheck_bot now", language_code="de")
    second = fake.user_sends(USER, "hello")
    updates = await bot.get_updates(timeout=5)
    assert [u.update_id for u in updates] == [first, second]
    message = updates[0].message
    assert message is not None
    assert message.chat.id == USER
    assert message.from_user is not None
    assert message.from_user.language_code == "de"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start@kneecheck_bot")
    assert [u.update_id for u in await bot.get_updates(offset=second, timeout=0)] == [second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    await fake.wait_until_consumed(second)


async def test_duplicate_delivery_is_redelivered(fake: FakeTelegram, bot: Bot) -> None:
    uid = fake.user_sends(USER, "hi")
    (update,) = await bot.get_updates(timeout=1)
    assert await bot.get_updates(offset=uid + 1, timeout=0) == ()
    fake.push_raw(update.to_dict())
    assert [u.update_id for u in await bot.get_updates(offset=uid + 1, timeout=1)] == [uid]


async def test_rate_limit_and_failures(
    fake: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else reading retry_after warns (-> error)
    fake.fail_next("sendMessage", retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "hi")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "hi")
    fake.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "hi")


async def test_blocked_user_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "hi")
    fake.block(USER)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(USER, "again")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("x", chat_id=USER, message_id=sent.message_id)


@pytest.mark.parametrize(
    ("text", "parse_mode", "markup", "error"),
    [
        ("x" * 4097, None, None, "message is too long"),
        ("<b>bold</b>" + "x" * 4090, ParseMode.HTML, None, None),  # limit is after parsing
        ("a < b", ParseMode.HTML, None, "can't parse entities"),
        ("R&D", ParseMode.HTML, None, "can't parse entities"),
        ("<b>open", ParseMode.HTML, None, "can't parse entities"),
        ("<b><i>x</b></i>", ParseMode.HTML, None, "can't parse entities"),
        ("<div>x</div>", ParseMode.HTML, None, "can't parse entities"),
        ("a &lt; b &amp; <a href='https://x.test/?a=1&amp;b=2'>c</a>", ParseMode.HTML, None, None),
        ("a < b & c", None, None, None),  # no parse_mode: anything goes
        ("ok", None, keyboard(("x", "d" * 65)), "BUTTON_DATA_INVALID"),
        ("ok", None, keyboard(("x", "é" * 32)), None),  # 64 bytes exactly
        ("", None, None, "message text is empty"),
    ],
)
async def test_text_rules(
    bot: Bot,
    text: str,
    parse_mode: str | None,
    markup: InlineKeyboardMarkup | None,
    error: str | None,
) -> None:
    if error is None:
        await bot.send_message(USER, text, parse_mode=parse_mode, reply_markup=markup)
    else:
        with pytest.raises(BadRequest, match=f"(?i){error}"):  # PTB lower-cases the message
            await bot.send_message(USER, text, parse_mode=parse_mode, reply_markup=markup)


def test_parse_html_entities_use_utf16_offsets() -> None:
    plain, entities = parse_html("🦵 <i>knee</i> <pre><code>x</code></pre>")
    assert plain == "🦵 knee x"
    assert entities == [
        {"type": "italic", "offset": 3, "length": 4},
        {"type": "pre", "offset": 8, "length": 1},
    ]


async def test_send_photo_multipart(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_photo(USER, b"\x89PNG fake bytes", caption="leg")
    assert message.photo
    method, params = fake.calls[-1]
    assert method == "sendPhoto"
    assert params["caption"] == "leg"
    assert params["photo"]["size"] == len(b"\x89PNG fake bytes")


async def test_unknown_method_is_404(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("definitelyNotAMethod")
    assert fake.calls[-1][0] == "definitelyNotAMethod"


async def test_application_polling_end_to_end(fake: FakeTelegram) -> None:
    """A real Application: /start -> keyboard, press -> answer + edit, all via long polling."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id, "Ready?", reply_markup=keyboard(("Go", "go"))
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"You chose {query.data}")

    app: Application = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=10))
        uid = fake.user_sends(USER, "/start")
        await fake.wait_for(lambda: len(fake.messages(USER)) == 1)
        await fake.wait_until_consumed(uid)
        query_id = fake.user_presses(USER, fake.last(USER).message_id, "go")
        await fake.wait_for(lambda: fake.last(USER).edits == 1)
        await app.updater.stop()
        await app.stop()
    assert fake.last(USER).text == "You chose go"
    assert fake.last(USER).reply_markup is None
    assert fake.callback_answers[query_id] == {"text": "ok", "show_alert": False}
    polls = [params for method, params in fake.calls if method == "getUpdates"]
    assert polls[0]["timeout"] == 10
    assert "deleteWebhook" in [method for method, _ in fake.calls]
    assert json.dumps(polls[-1]["timeout"]) == "0"  # PTB's final confirming poll is short


async def test_allowed_updates_is_remembered_like_telegram(fake: FakeTelegram, bot: Bot) -> None:
    """A bot that once polled with allowed_updates=["message"] never sees button presses."""
    assert await bot.get_updates(timeout=0, allowed_updates=[Update.MESSAGE]) == ()
    sent = await bot.send_message(USER, "Q?", reply_markup=keyboard(("Yes", "yes")))
    fake.user_presses(USER, sent.message_id, "yes")
    uid = fake.user_sends(USER, "hi")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid]
    assert [u["callback_query"]["data"] for u in fake.filtered_out] == ["yes"]


async def test_second_poller_gets_conflict(fake: FakeTelegram, bot: Bot) -> None:
    """Two bot instances polling at once: Telegram ends the older poll with 409."""
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: len(fake.calls) == 2)  # getMe, then the first long poll
    # A second Bot: PTB's getUpdates connection pool holds one connection per Bot.
    async with Bot(fake.token, base_url=fake.base_url) as other:
        assert await other.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


async def test_raw_callback_query_and_caption_html(fake: FakeTelegram, bot: Bot) -> None:
    fake.push_raw(
        {
            "update_id": 77,
            "callback_query": {
                "id": "forged",
                "from": {"id": USER, "is_bot": False, "first_name": "U"},
                "chat_instance": "x",
                "data": "stale",
            },
        }
    )
    (update,) = await bot.get_updates(timeout=1)
    assert update.update_id == 77
    assert await bot.answer_callback_query("forged")
    assert fake.user_sends(USER, "next") == 78  # auto ids continue after forged ones
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_photo(USER, b"img", caption="1 < 2", parse_mode=ParseMode.HTML)


async def test_pressing_a_missing_message_is_a_test_error(fake: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match="no bot message 5 in chat"):
        fake.user_presses(USER, 5, "x")


async def test_wait_for_times_out_with_context(fake: FakeTelegram) -> None:
    fake.user_sends(USER, "hi")
    with pytest.raises(AssertionError, match=r"still false after 0.05s.*pending updates: \[1\]"):
        await fake.wait_for(lambda: bool(fake.messages(USER)), timeout=0.05)
