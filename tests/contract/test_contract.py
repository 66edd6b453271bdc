"""One user's contract, run on every channel: what a person does, and what they notice.

Each test runs four times (``driver``: terminal, Telegram, Slack, web), through the channel's
real code. The expected words come from the content (``content/en.yaml``), never from a
channel: a channel may lay a message out its own way, but says the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from tests.contract.drivers import ChannelDriver, plain
from tests.engine.chat import TYPICAL
from tests.engine.texts import self_care_in

COVERED = frozenset(
    {"start", "back", "restart", "stop", "checkin", "reminders", "diary", "summary"}
    | {"mydata", "help", "forget"}
)
"""The commands these tests use: every command a channel offers (checked below)."""


@pytest.fixture
def content(catalog: Catalog) -> Content:
    return catalog.content("en")


def since(driver: ChannelDriver, seen: int) -> str:
    """Everything the user saw after the first ``seen`` messages, as one line."""
    return " ".join(driver.texts()[seen:])


CHECK = (
    *("consent", "red_flags", "location", "behind_muscle", "triggers", "frequency", "water"),
    *("diet", "activity", "sitting", "age", "conditions", "risks", "walking"),
)
"""The questions of a check felt behind the knee, in a calf, in the order they come."""
ANSWERS = {**TYPICAL, "location": "behind"}
"""tests/engine/chat.py's typical adult with no warning signs, the spasm behind the knee (so
the calf's stretch, reminded of later, is the one the result names)."""


async def walk_check(driver: ChannelDriver) -> None:
    """From /start to the result, answering :data:`ANSWERS` with buttons (ticks and Done)."""
    await driver.start()
    for step in CHECK:
        answer = ANSWERS[step]
        if isinstance(answer, str):
            await driver.choose(answer)
        else:
            await driver.answer_multi(answer)


URGENT = "my calf is suddenly swollen, red and hot"
"""A warning sign typed in the user's words (a possible blood clot): urgent advice."""


def known_bug(
    request: pytest.FixtureRequest, driver: ChannelDriver, channel: str, reason: str
) -> None:
    """Mark this run an expected failure on ``channel`` alone: a bug a user of that channel
    would see, kept failing (strict) until the channel is fixed."""
    if driver.name == channel:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def gist(text: str) -> str:
    """``text`` up to its first command: Slack writes ``/forget`` as ``/kneecheck forget``,
    so the words before it are what every channel says alike."""
    return plain(text).split("/")[0].strip()


def labels(content: Content, step: str) -> list[str]:
    """The labels of ``step``'s answers, in order."""
    return [option.label for option in content.steps[step].options.values()]


def agreed(content: Content) -> str:
    """How /mydata words the consent answer ("you are an adult and agreed...")."""
    answer = content.steps["consent"].options["agree"].answer
    assert answer is not None
    return answer


# -- 1. every command answers -------------------------------------------------------------


async def test_the_contract_uses_every_command_the_channel_offers(driver: ChannelDriver) -> None:
    assert set(driver.known_commands()) == COVERED


async def test_help_lists_the_commands_in_the_channels_words(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.command("help")
    help_text = " ".join([*driver.texts(), *driver.notices()])  # Slack tells it to them alone
    assert content.ui["help"].split(".")[0] in help_text  # "I ask a few short questions"
    # /start and /help are how a person got here; every other command is explained.
    for name in sorted(COVERED - {"start", "help"}):
        assert driver.spelled(name) in help_text, f"{driver.spelled(name)} not in help"


async def test_the_views_answer_a_newcomer(driver: ChannelDriver, content: Content) -> None:
    ui = content.ui
    for name, expected in (
        ("mydata", ui["mydata_none"]),
        ("reminders", ui["reminders_none"]),
        ("diary", ui["diary_empty"]),
        ("summary", ui["summary_no_check"]),
    ):
        seen = len(driver.texts())
        await driver.command(name)
        assert gist(expected) in since(driver, seen), name
    assert driver.pictures() == 0  # nothing to chart yet: said in a line


async def test_forget_asks_first(driver: ChannelDriver, content: Content) -> None:
    await driver.command("forget")
    assert gist(content.ui["forget_confirm"]) in since(driver, 0)
    assert driver.choices() == [content.ui["forget_yes"], content.ui["forget_no"]]


async def test_the_conversation_commands_during_a_check(
    driver: ChannelDriver, content: Content
) -> None:
    consent = gist(content.steps["consent"].question)
    await driver.start()
    assert consent in since(driver, 0)
    await driver.choose("agree")
    assert gist(content.steps["red_flags"].question) in driver.texts()[-1]
    seen = len(driver.texts())
    await driver.command("back")
    assert consent in since(driver, seen)  # one question back
    await driver.choose("agree")
    seen = len(driver.texts())
    await driver.command("restart")
    assert consent in since(driver, seen)
    assert gist(content.ui["restarted"]) in since(driver, seen)
    seen = len(driver.texts())
    await driver.command("stop")
    assert gist(content.ui["stopped"]) in since(driver, seen)
    seen = len(driver.texts())
    await driver.command("checkin")
    assert gist(content.steps["ck_flags"].question) in since(driver, seen)
    assert content.steps["ck_flags"].options["none"].label in driver.choices()


# -- 2. /forget asks first ---------------------------------------------------------------


async def test_keep_keeps_the_data_and_the_question_still_waits(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await driver.start()
    await driver.choose("agree")
    await driver.command("forget")
    seen = len(driver.texts())
    await driver.choose(ui["forget_no"])
    assert gist(ui["forget_cancelled"]) in since(driver, seen)
    assert ui["forget_yes"] not in driver.choices()  # the erase button went with the answer
    seen = len(driver.texts())
    await driver.command("mydata")
    assert agreed(content) in since(driver, seen)
    await driver.answer_multi(["none"])  # the safety question was still waiting
    assert gist(content.steps["location"].question) in since(driver, seen)


async def test_erase_erases_everything(driver: ChannelDriver, content: Content) -> None:
    ui = content.ui
    await driver.start()
    await driver.choose("agree")
    await driver.command("forget")
    seen = len(driver.texts())
    await driver.choose(ui["forget_yes"])
    assert gist(ui["forgotten"]) in since(driver, seen)
    seen = len(driver.texts())
    await driver.command("mydata")
    assert gist(ui["mydata_none"]) in since(driver, seen)
    assert agreed(content) not in since(driver, seen)


async def test_after_erasing_an_old_button_stores_nothing_again(
    driver: ChannelDriver, content: Content
) -> None:
    """A button left on screen from before the erase (another device, the page before it
    cleared) must not bring back a conversation: it is told there is none."""
    ui = content.ui
    await driver.start()
    await driver.choose("agree")
    await driver.command("forget")
    await driver.choose(ui["forget_yes"])
    seen, told = len(driver.texts()), len(driver.notices())
    if not await driver.press_stale("none"):
        pytest.skip(f"{driver.name} has no old buttons to press")
    assert len(driver.notices()) == told + 1, driver.notices()[told:]
    assert driver.texts()[seen:] == []
    await driver.command("mydata")
    assert gist(ui["mydata_none"]) in since(driver, seen)


async def test_a_cancelled_forget_cannot_erase_later(
    driver: ChannelDriver, content: Content, request: pytest.FixtureRequest
) -> None:
    """After urgent advice no question waits; "Keep it" must still take the erase button
    away, or the next thing the user presses (types) erases everything unasked."""
    ui = content.ui
    await driver.start()
    await driver.choose("agree")
    await driver.say(URGENT)
    await driver.command("forget")
    await driver.choose(ui["forget_no"])
    assert ui["forget_yes"] not in driver.choices()


# -- 3. a whole check ----------------------------------------------------------------------


async def test_a_whole_check_ends_in_a_short_first_message_with_topics(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    result = driver.texts()[-1]
    assert content.tiers["self_care"].title in result
    assert plain(content.disclaimer.short) in result
    assert len(result) < 1500, result  # short enough for a phone: the rest is a tap away
    offered = driver.choices()
    for name in ("causes", "stretches", "prevention"):
        assert ui[f"topic_{name}"] in offered, offered
    assert ui["offer_followup"] in offered
    seen = len(driver.texts())
    await driver.choose(ui["topic_stretches"])
    opened = since(driver, seen)
    assert ui["topic_stretches"] not in driver.choices()  # the topic on screen
    assert ui["topic_causes"] in driver.choices()  # the others still a tap away
    assert plain(content.stretches["calf"].steps[0]) in opened  # how to do the calf stretch


async def test_a_question_says_its_progress_once(
    driver: ChannelDriver, content: Content, request: pytest.FixtureRequest
) -> None:
    first = content.ui["progress"].split("{total}")[0].format(n=1)  # "Question 1 of "
    await driver.start()
    assert driver.texts()[-1].count(first) == 1, driver.texts()[-1]
    await driver.choose("agree")
    second = content.ui["progress"].split("{total}")[0].format(n=2)
    assert driver.texts()[-1].count(second) == 1, driver.texts()[-1]


async def test_the_summary_and_back_after_the_result(
    driver: ChannelDriver, content: Content
) -> None:
    """/summary is the note for a doctor, in the words of the answers; /back after the
    result asks the last question again."""
    ui = content.ui
    await walk_check(driver)
    seen = len(driver.texts())
    await driver.command("summary")
    summary = since(driver, seen)
    assert ui["summary_title"] in summary
    behind = content.steps["location"].options["behind"].label
    assert ui["summary_location"].format(answer=behind) in summary
    assert ui["summary_red_flags_none"] in summary
    seen = len(driver.texts())
    await driver.command("back")
    assert gist(content.steps["walking"].question) in since(driver, seen)
    assert driver.choices()[:3] == labels(content, "walking")  # and a Back button


async def test_answers_typed_in_words_work_like_buttons(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.start()
    await driver.say("yes")
    assert gist(content.steps["red_flags"].question) in driver.texts()[-1]
    await driver.say("none of these")
    assert gist(content.steps["location"].question) in driver.texts()[-1]
    await driver.say("the back of my knee")
    assert gist(content.steps["behind_muscle"].question) in driver.texts()[-1]
    assert content.steps["behind_muscle"].options["calf"].label in driver.choices()


# -- 4. a warning sign ---------------------------------------------------------------------


async def test_a_warning_sign_gets_urgent_advice_and_no_self_care(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.start()
    await driver.choose("agree")
    seen = len(driver.texts())
    await driver.say(URGENT)
    urgent = since(driver, seen)
    assert plain(content.disclaimer.urgent) in urgent
    assert self_care_in(urgent, content) == []
    assert content.tiers["self_care"].title not in urgent
    assert content.ui["topic_stretches"] not in driver.choices()


# -- 5. follow-ups and reminders -----------------------------------------------------------


async def opt_in(driver: ChannelDriver, content: Content, kinds: Sequence[str]) -> None:
    """The follow-up offer under the result, accepted: reminders ticked, a time, and the
    time zone where the channel does not know it (Slack does)."""
    await driver.choose(content.ui["offer_followup"])
    await driver.answer_multi(kinds)
    if "stretch" in kinds:
        await driver.choose("t0800")
    if any("London" in label for label in driver.choices()):  # "08:42 · London, Dublin..."
        await driver.choose("z_london")


async def test_mydata_shows_the_check_and_reminders_and_stop_ends_them(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    await opt_in(driver, content, ["stretch"])
    seen = len(driver.texts())
    await driver.command("mydata")
    mydata = since(driver, seen)
    for key in ("mydata_profile", "mydata_reminders"):
        assert ui[key] in mydata, key
    assert ui["mydata_zone"].format(zone="Europe/London") in mydata
    assert ui["reminders_item"].split(":")[0].format(name=ui["reminder_name_stretch"]) in mydata
    seen = len(driver.texts())
    await driver.command("stop")
    assert gist(ui["stopped"]) in since(driver, seen)
    assert await driver.deliver_due_reminders() == 0
    seen = len(driver.texts())
    await driver.command("reminders")
    assert gist(ui["reminders_none"]) in since(driver, seen)


async def test_reminders_set_then_delivered_and_their_buttons_answer_the_presser(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    seen = len(driver.texts())
    await opt_in(driver, content, ["stretch"])
    assert gist(content.outcomes["follow_up"].text) in since(driver, seen)
    seen = len(driver.texts())
    await driver.command("reminders")
    assert ui["reminders_item"].split(":")[0].format(name=ui["reminder_name_stretch"]) in since(
        driver, seen
    )
    stretch = ui["reminder_stretch"].format(name=content.stretches["calf"].title)
    buttons = [ui["reminder_done"], ui["reminder_snooze"], ui["reminder_stop"]]
    pressed = [
        (ui["reminder_done"], ui["reminder_marked_done"]),
        (ui["reminder_snooze"], ui["reminder_snoozed"].split("{")[0]),
        (ui["reminder_stop"], ui["reminder_stopped"]),
    ]
    for button, notice in pressed:  # each on a new occurrence of the reminder
        seen, told = len(driver.texts()), len(driver.notices())
        assert await driver.deliver_due_reminders() == 1
        assert stretch in since(driver, seen)
        assert driver.choices() == buttons
        await driver.choose(button)
        assert len(driver.notices()) == told + 1, driver.notices()[told:]
        assert driver.notices()[-1].startswith(notice), driver.notices()[-1]
    assert await driver.deliver_due_reminders() == 0  # stopped: nothing comes any more
    seen = len(driver.texts())
    await driver.command("reminders")
    assert gist(ui["reminders_none"]) in since(driver, seen)


async def test_the_check_in_reminder_starts_the_check_in(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    await opt_in(driver, content, ["checkin"])
    seen = len(driver.texts())
    assert await driver.deliver_due_reminders() == 1
    assert gist(ui["reminder_checkin"]) in since(driver, seen)
    assert ui["reminder_start_checkin"] in driver.choices()
    seen = len(driver.texts())
    await driver.choose(ui["reminder_start_checkin"])
    assert gist(content.steps["ck_flags"].question) in since(driver, seen)


async def test_the_reminder_list_buttons_answer_the_presser_and_show_the_list_changed(
    driver: ChannelDriver, content: Content
) -> None:
    """/reminders: pause, resume, a new time and stop all, each told to the presser, and
    the list shown as it now is."""
    ui = content.ui
    name = ui["reminder_name_stretch"]
    await walk_check(driver)
    await opt_in(driver, content, ["stretch"])
    await driver.command("reminders")
    for button, notice, listed in (
        (ui["reminders_pause"], ui["reminders_paused"], ui["reminders_item_paused"]),
        (ui["reminders_resume"], ui["reminders_resumed"], ui["reminders_item"]),
    ):
        seen, told = len(driver.texts()), len(driver.notices())
        await driver.choose(button.format(name=name))
        assert driver.notices()[told:] != [], button
        assert driver.notices()[-1].startswith(gist(notice).split("{")[0]), driver.notices()
        assert listed.format(name=name, when="").split(":")[0] in since(driver, seen)
    await driver.choose(ui["reminders_change_time"].format(name=name))
    assert ui["reminders_pick_time"].format(name=name) in driver.texts()[-1]
    told = len(driver.notices())
    await driver.choose("t1800")
    assert driver.notices()[told:] != []
    assert driver.notices()[-1].startswith(ui["reminders_moved"].split("{")[0])
    assert "18:00" in driver.notices()[-1]
    await driver.command("reminders")
    told = len(driver.notices())
    await driver.choose(ui["reminders_stop"])
    assert driver.notices()[told:] == [ui["reminders_all_stopped"]]
    assert await driver.deliver_due_reminders() == 0


async def test_a_reminder_that_comes_mid_check_leaves_the_question_waiting(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    await opt_in(driver, content, ["stretch"])
    await driver.start()  # a new check
    await driver.choose("agree")
    assert await driver.deliver_due_reminders() == 1
    told = len(driver.notices())
    await driver.choose(ui["reminder_done"])
    assert driver.notices()[told:] == [ui["reminder_marked_done"]]
    seen = len(driver.texts())
    await driver.answer_multi(["none"])  # the safety question, answered after the reminder
    assert gist(content.steps["location"].question) in since(driver, seen)


async def test_urgent_advice_pauses_the_self_care_reminders_and_says_so(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    await opt_in(driver, content, ["stretch", "checkin"])
    seen, told = len(driver.texts()), len(driver.notices())
    await driver.command("checkin")
    await driver.answer_multi(["clot_leg"])
    said = " ".join([*driver.texts()[seen:], *driver.notices()[told:]])
    assert plain(content.disclaimer.urgent) in said
    assert gist(ui["reminders_paused_urgent"]) in said
    seen = len(driver.texts())
    await driver.command("reminders")
    paused = ui["reminders_item_paused"].format(name=ui["reminder_name_stretch"])
    assert paused in since(driver, seen)
    assert await driver.deliver_due_reminders() == 1  # the check-in reminder only
    assert gist(ui["reminder_checkin"]) in driver.texts()[-1]


async def test_a_stopped_reminders_old_button_says_so_and_changes_nothing(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await walk_check(driver)
    await opt_in(driver, content, ["stretch"])
    assert await driver.deliver_due_reminders() == 1
    await driver.choose(ui["reminder_stop"])
    seen, told = len(driver.texts()), len(driver.notices())
    if not await driver.press_stale(ui["reminder_snooze"]):
        pytest.skip(f"{driver.name} has no old buttons to press")
    assert driver.notices()[told:] == [ui["reminder_gone"]]
    assert driver.texts()[seen:] == []
    assert await driver.deliver_due_reminders() == 0  # the snooze did not bring it back


async def test_start_during_a_check_goes_on_where_it_was(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.start()
    await driver.choose("agree")
    await driver.answer_multi(["none"])
    seen = len(driver.texts())
    await driver.start()
    assert gist(content.steps["location"].question) in since(driver, seen)  # where it was
    assert driver.choices() == [content.ui["resume"], content.ui["restart"]]
    await driver.choose(content.ui["resume"])
    assert content.steps["location"].options["behind"].label in driver.choices()
    await driver.choose("behind")
    assert gist(content.steps["behind_muscle"].question) in driver.texts()[-1]


# -- 6. the diary ----------------------------------------------------------------------------


async def test_a_check_in_then_the_diary_picture_and_the_summary(
    driver: ChannelDriver, content: Content
) -> None:
    ui = content.ui
    await driver.command("checkin")
    await driver.answer_multi(["none"])
    await driver.choose("worse")
    await driver.choose("some")
    await driver.choose("s6")
    seen = len(driver.texts())
    await driver.command("diary")
    assert driver.pictures() == 1  # a picture, or in the terminal its text fallback
    assert ui["diary_chart_title"] in since(driver, seen) or driver.name != "terminal"
    seen = len(driver.texts())
    await driver.command("summary")
    summary = since(driver, seen)
    assert ui["summary_title_diary"] in summary
    assert ui["summary_checkins"].split(":")[0] in summary
    assert "severity 6/10" in summary, summary


# -- 7. forged and stale presses -------------------------------------------------------------

FORGED = (
    "c|consent|i_am_a_doctor|1",  # an answer the question does not have
    "x|forget|yes|9",  # an erase confirmation never asked
    "r|nope|done|1",  # a reminder that does not exist
    "zzz",  # nothing the bot ever sends
)


def said_no_change(notice: str, content: Content) -> bool:
    """The notice says that is not an answer: "not one of the answers" to a press, or, in
    the terminal, "please choose one of the answers" to numbers that are not one."""
    return any(
        notice.startswith(gist(content.ui[key]).split("{")[0])
        for key in ("unknown_option", "no_match")
    )


async def test_a_forged_press_gets_a_notice_and_changes_nothing(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.start()
    question = driver.choices()
    for data in FORGED:
        seen, told = len(driver.texts()), len(driver.notices())
        await driver.press_forged(data)
        assert len(driver.notices()) == told + 1, (data, driver.notices()[told:])
        assert said_no_change(driver.notices()[-1], content), driver.notices()[-1]
        assert driver.texts()[seen:] == [], data  # nothing in the conversation
        assert driver.choices() == question, data
    await driver.choose("agree")  # the real button still works
    assert gist(content.steps["red_flags"].question) in driver.texts()[-1]


async def test_a_stale_press_gets_a_notice_and_changes_nothing(
    driver: ChannelDriver, content: Content
) -> None:
    await driver.start()
    await driver.choose("agree")
    await driver.answer_multi(["none"])
    question = driver.choices()
    seen, told = len(driver.texts()), len(driver.notices())
    if not await driver.press_stale("agree"):
        pytest.skip(f"{driver.name} has no old buttons to press")
    assert len(driver.notices()) == told + 1, driver.notices()[told:]
    assert gist(content.ui["stale"]) in driver.notices()[-1]
    assert driver.texts()[seen:] == []
    assert driver.choices() == question
    await driver.choose("behind")  # the question on screen still takes its answer
    assert gist(content.steps["behind_muscle"].question) in driver.texts()[-1]
