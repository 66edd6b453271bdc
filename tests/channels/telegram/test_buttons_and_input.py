"""Buttons, commands and bad input on Telegram: each answered clearly, nothing lost."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from bot.catalog.catalog import Catalog
from tests.channels.telegram.harness import BotProcess, TelegramUser
from tests.engine.test_safety import SEEN
from tests.engine.texts import self_care_in
from tests.fakes.telegram import FakeTelegram

RED_FLAGS = [
    "clot_breathless",
    "cold_pale_leg",
    "clot_leg",
    "cant_bear_weight",
    "hot_swollen_fever",
    "numb_weak",
    "dark_urine",
    "long_cramp",
    "cauda_equina",
    "compartment",
    "knee_locks",
]


async def to_safety_question(user: TelegramUser) -> None:
    await user.send("/start")
    await user.press("agree")


@pytest.mark.parametrize("flag", RED_FLAGS)
async def test_each_warning_sign_gets_urgent_advice_and_no_self_care(
    alice: TelegramUser, catalog: Catalog, flag: str
) -> None:
    content = catalog.content("en")
    await to_safety_question(alice)
    before = len(alice.messages)
    await alice.tick(flag)
    assert "\u2705" in alice.keyboard_message.buttons()[RED_FLAGS.index(flag)][0]  # ticked in place
    assert len(alice.messages) == before  # the tick edited the keyboard, no new message
    await alice.press("done")
    shown = alice.texts_since(before)
    assert content.red_flags[flag].advice in shown
    assert content.disclaimer.urgent in shown
    for text in (
        *[r.text for r in content.relief.values()],
        *[t.text for t in content.tips.values()],
    ):
        assert text not in shown


async def test_back_restart_and_stop(alice: TelegramUser) -> None:
    await to_safety_question(alice)
    await alice.tick("none")
    await alice.press("done")
    assert alice.current_step == "location"
    await alice.press("back")
    assert alice.current_step == "red_flags"
    assert "\u2705 None of these" in [text for text, _ in alice.keyboard_message.buttons()]
    await alice.send("/restart")
    assert "Starting over" in alice.texts_since(-2)
    assert alice.current_step == "consent"
    await alice.send("/stop")
    assert "Stopped. I have cleared the answers of this check" in alice.last_text
    notice = await alice.tap(alice.keyboard_message, alice.keyboard_message.buttons()[0][1])
    assert "no knee check in progress" in notice


async def test_free_text_answers_with_synonyms_and_typos(alice: TelegramUser) -> None:
    await to_safety_question(alice)
    await alice.send("none of these")
    await alice.send("the back of my knee")
    assert alice.current_step == "behind_muscle"
    await alice.send("calff")
    assert alice.current_step == "triggers"
    # The questions answered by typing were rewritten as transcript lines, buttons removed.
    answered = [m for m in alice.messages if "\u27a1" in m.plain_text]
    assert [m.plain_text.rsplit("\u27a1\ufe0f ", 1)[1] for m in answered][-2:] == [
        "Behind the knee",
        "Calf (below the knee)",
    ]
    assert all(m.reply_markup is None for m in answered)


async def test_a_warning_sign_typed_mid_check_interrupts_with_urgent_advice(
    alice: TelegramUser,
) -> None:
    await to_safety_question(alice)
    await alice.send("none")
    await alice.send("my calf is swollen and red")
    assert "No self-care tips" in alice.last_text or "Get seen today" in alice.texts_since(-3)
    assert "Stretch:" not in alice.texts_since(-3)


async def test_mydata_shows_answers_in_plain_words(alice: TelegramUser) -> None:
    await to_safety_question(alice)
    await alice.send("/mydata")
    assert "What I store about you" in alice.last_text
    assert "you are an adult and agreed to continue" in alice.last_text


async def test_forget_erases_every_key_of_the_user_after_confirming(
    alice: TelegramUser, redis_client: aioredis.Redis
) -> None:
    await to_safety_question(alice)
    assert await redis_client.keys("kc:{tg:4242}*")
    await alice.send("/forget")
    assert "Erase it now?" in alice.last_text
    await alice.press("Erase everything")
    assert "erased everything" in alice.last_text
    assert await redis_client.keys("kc:{tg:4242}*") == []


async def test_forget_can_be_cancelled(alice: TelegramUser, redis_client: aioredis.Redis) -> None:
    await to_safety_question(alice)
    await alice.send("/forget")
    await alice.press("Keep it")
    assert "Nothing was erased" in alice.last_text
    assert await redis_client.keys("kc:{tg:4242}:session:*")


async def test_a_stale_button_only_gets_a_notice(alice: TelegramUser) -> None:
    await to_safety_question(alice)
    await alice.tick("none")
    await alice.press("done")
    consent = alice.messages[0]
    count, edits = len(alice.messages), [m.edits for m in alice.messages]
    notice = await alice.tap(consent, "c|consent|agree|1")
    assert "already moved on" in notice
    assert len(alice.messages) == count
    assert [m.edits for m in alice.messages] == edits


@pytest.mark.parametrize(
    "data", ["c|location|teleport|3", "nonsense", "c|x|y|99999999999", "m|x|selfdestruct|1"]
)
async def test_forged_callback_data_changes_nothing(alice: TelegramUser, data: str) -> None:
    await to_safety_question(alice)
    count = len(alice.messages)
    notice = await alice.tap(alice.keyboard_message, data)
    assert notice
    assert len(alice.messages) == count
    assert alice.current_step == "red_flags"


async def test_a_double_tap_advances_once(
    fake: FakeTelegram, bot: BotProcess, alice: TelegramUser
) -> None:
    await alice.send("/start")
    consent = alice.keyboard_message
    first = fake.user_presses(alice.id, consent.message_id, "c|consent|agree|1", update_id=9001)
    second = fake.user_presses(alice.id, consent.message_id, "c|consent|agree|1", update_id=9002)
    await bot.processor.wait(9001)
    await bot.processor.wait(9002)
    questions = [m for m in alice.messages if "Question 2 of" in m.plain_text]
    assert len(questions) == 1
    notices = [fake.callback_answers[q].get("text") for q in (first, second)]
    assert sum(1 for n in notices if n and "already moved on" in n) == 1


async def test_a_duplicated_update_is_processed_once(
    fake: FakeTelegram, bot: BotProcess, alice: TelegramUser
) -> None:
    await alice.send("/start")
    update = {
        "update_id": 7777,
        "message": {
            "message_id": 900,
            "date": 1,
            "chat": {"id": alice.id, "type": "private"},
            "from": {"id": alice.id, "is_bot": False, "first_name": "A"},
            "text": "yes",
        },
    }
    fake.push_raw(update)
    await bot.processor.wait(7777)
    fake.push_raw(update)
    await bot.processor.wait(7777, times=2)
    assert len([m for m in alice.messages if "Question 2 of" in m.plain_text]) == 1


async def test_a_429_is_waited_out_and_the_message_arrives(
    fake: FakeTelegram, alice: TelegramUser
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=1)
    await alice.send("/start")
    assert "Question 1 of" in alice.last_text
    assert [m for m, _ in fake.calls].count("sendMessage") >= 2


async def test_a_user_who_blocked_the_bot_is_marked_and_others_are_served(
    fake: FakeTelegram, bot: BotProcess, alice: TelegramUser, redis_client: aioredis.Redis
) -> None:
    fake.block(alice.id)
    await alice.send("/start")
    assert await redis_client.get("kc:{tg:4242}:tg:blocked") == b"1"
    bob = TelegramUser(fake, bot, 5151)
    await bob.send("/start")
    assert "Question 1 of" in bob.last_text


async def test_commands_are_registered_with_descriptions_from_content(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    commands = {c["command"]: c["description"] for c in fake.bot_commands()}
    assert commands["forget"] == "Erase everything stored about you"
    assert set(commands) >= {"start", "back", "restart", "stop", "help", "mydata", "forget"}


async def test_help_explains_the_commands(alice: TelegramUser) -> None:
    await alice.send("/help")
    assert "/forget erases everything" in alice.last_text


@pytest.mark.parametrize(("flag", "phrase"), SEEN, ids=[f"{f}:{p}" for f, p in SEEN])
async def test_warning_signs_typed_in_own_words_get_their_advice(
    alice: TelegramUser, catalog: Catalog, flag: str, phrase: str
) -> None:
    """Every phrase the safety review found missed, typed at the location question."""
    content = catalog.content("en")
    await to_safety_question(alice)
    await alice.press("none")
    await alice.press("done")
    before = len(alice.messages)
    await alice.send(phrase)
    shown = alice.texts_since(before)
    assert content.red_flags[flag].advice in shown
    assert content.tiers[content.red_flags[flag].tier].title in shown
    assert self_care_in(shown, content) == []


async def test_an_age_under_18_is_never_consent(alice: TelegramUser, catalog: Catalog) -> None:
    await alice.send("/start")
    before = len(alice.messages)
    await alice.send("I'm 15, is that ok?")
    shown = alice.texts_since(before)
    assert catalog.content("en").outcomes["minor"].text in shown
    assert "First, safety" not in shown
