"""Slack rendering and payload translation, pure: Block Kit out, engine events in, no Slack."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.actions import forget_confirmation
from bot.catalog.catalog import Catalog
from bot.channels.slack.payloads import direct_message, press, subcommand, user_ref, with_ticks
from bot.channels.slack.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    answered,
    escape,
    messages,
    owner_of,
    split_text,
)
from bot.engine import Choice, Reply, Section, Start, Submit
from bot.engine.events import Back, Choose
from bot.reminders.model import Reminder, Reminders
from bot.reminders.service import ReminderService
from tests.engine.chat import TYPICAL, EngineChat
from tests.fakes.slack import block_errors

OWNER = "U0KNEE"


def question(*choices: Choice, multi: bool = False) -> Reply:
    return Reply(
        kind="question",
        sections=(Section(title="Question 2 of 9", paragraphs=("Pick <one> & go",)),),
        choices=choices,
        step="triggers",
        version=12,
        multi=multi,
    )


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_dynamic_text_is_escaped_and_titles_are_bold() -> None:
    [message] = messages(question(Choice("a", "A <b> & c", "choose")), OWNER)
    assert texts(message.blocks) == ["*Question 2 of 9*\nPick &lt;one&gt; &amp; go"]
    assert message.text == "Question 2 of 9\nPick &lt;one&gt; &amp; go"  # no bold in notifications
    assert escape("<@U1> & <!here>") == "&lt;@U1&gt; &amp; &lt;!here&gt;"
    button = message.blocks[1]["elements"][0]
    assert button["text"] == {"type": "plain_text", "text": "A <b> & c"}  # plain_text: literal


def test_buttons_carry_the_shared_codec_and_the_owner() -> None:
    [message] = messages(
        question(
            Choice("behind", "Behind the knee", "choose"),
            Choice("back", "Back", "command"),
        ),
        OWNER,
    )
    answers, navigation = message.blocks[1:]
    assert [(e["action_id"], e["value"]) for e in answers["elements"]] == [
        ("c|triggers|behind|12", "c|triggers|behind|12")
    ]
    assert [e["value"] for e in navigation["elements"]] == ["m|triggers|back|12"]
    assert {owner_of(b["block_id"]) for b in (answers, navigation)} == {OWNER}
    assert owner_of("b") is None
    assert owner_of("kc::1") is None


def test_multi_choice_is_checkboxes_with_ticks_then_done_and_back() -> None:
    [message] = messages(
        question(
            Choice("sitting", "Sitting", "toggle", selected=True),
            Choice("exercise", "Exercise", "toggle"),
            Choice("done", "Done", "submit"),
            Choice("back", "Back", "command"),
            multi=True,
        ),
        OWNER,
    )
    boxes, navigation = message.blocks[1:]
    [element] = boxes["elements"]
    assert element["type"] == "checkboxes"
    assert element["action_id"].startswith("ticks:")
    assert [o["value"] for o in element["options"]] == [
        "t|triggers|sitting|12",
        "t|triggers|exercise|12",
    ]
    assert [o["value"] for o in element["initial_options"]] == ["t|triggers|sitting|12"]
    done, back = navigation["elements"]
    assert (done["value"], done["style"], back["value"]) == (
        "s|triggers|done|12",
        "primary",
        "m|triggers|back|12",
    )
    assert block_errors(message.blocks) == []


def test_more_than_ten_options_are_split_into_checkbox_groups() -> None:
    choices = [Choice(f"o{i}", f"Option {i}", "toggle") for i in range(13)]
    [message] = messages(question(*choices, multi=True), OWNER)
    groups = message.blocks[1]["elements"]
    assert [len(g["options"]) for g in groups] == [10, 3]
    assert len({g["action_id"] for g in groups}) == 2


def test_long_text_is_split_within_section_and_block_limits() -> None:
    sections = tuple(
        Section(title=f"Part {i}", paragraphs=("word " * 900, "x" * 3500)) for i in range(30)
    )
    parts = messages(Reply(kind="info", sections=sections), OWNER)
    assert len(parts) > 1
    for part in parts:
        assert block_errors(part.blocks) == []
        assert len(part.blocks) <= MAX_BLOCKS
        assert all(len(t) <= SECTION_LIMIT for t in texts(part.blocks))
        assert 0 < len(part.text) <= 3000
    joined = "".join(t for p in parts for t in texts(p.blocks))
    assert joined.count("*Part") == 30
    assert joined.count("x") >= 30 * 3500


def test_splitting_never_cuts_an_escape() -> None:
    text = escape("&" * 2000)
    assert all(not p.endswith(("&", "&a", "&am")) for p in split_text(text, 3000))
    assert "".join(split_text(text, 3000)) == text


def test_the_assessment_fits_with_the_disclaimer_as_context(catalog: Catalog) -> None:
    chat = EngineChat(catalog)
    chat.walk()
    result = chat.last
    content = catalog.content("en")
    parts = messages(result, OWNER)
    for part in parts:
        assert block_errors(part.blocks) == [], part.blocks
    last = parts[-1].blocks[-1]
    assert last["type"] == "context"
    # The first message ends with the short disclaimer; the full one is under "Good to know".
    assert content.disclaimer.short in last["elements"][0]["text"]
    assert all(content.disclaimer.short not in t for p in parts for t in texts(p.blocks))


def test_urgent_advice_has_the_disclaimer_and_no_buttons(catalog: Catalog) -> None:
    chat = EngineChat(catalog)
    chat.walk(red_flags=["clot_breathless"])
    [message] = messages(chat.last, OWNER)
    assert [b["type"] for b in message.blocks][-1] == "context"
    assert not [b for b in message.blocks if b["type"] == "actions"]


def test_an_answered_question_reads_as_question_then_answer() -> None:
    reply = Reply(
        kind="answered",
        sections=(Section(paragraphs=("Behind the knee & calf",)),),
        step="location",
        version=4,
        asked=Section(title="Question 3 of 11", paragraphs=("Where <exactly>?",)),
    )
    message = answered(reply)
    assert texts(message.blocks) == [
        "*Question 3 of 11*\nWhere &lt;exactly&gt;?",
        "\u27a1\ufe0f *Behind the knee &amp; calf*",
    ]
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert message.text.endswith("\u27a1\ufe0f Behind the knee &amp; calf")


def test_the_forget_confirmation_has_a_danger_button_and_a_safe_one(catalog: Catalog) -> None:
    [message] = messages(forget_confirmation(catalog.content(None)), OWNER)
    yes, no = message.blocks[-1]["elements"]
    assert (yes["style"], yes["value"], "style" in no) == ("danger", "x|forget|yes|0", False)
    assert (yes["text"]["text"], no["text"]["text"]) == ("Erase everything", "Keep it")
    assert owner_of(message.blocks[-1]["block_id"]) == OWNER


def test_every_question_of_the_flow_renders_valid_blocks(catalog: Catalog) -> None:
    chat = EngineChat(catalog)
    chat.walk(until="location")
    chat.say("it is a bit puffy")  # the yes/no question about a hinted warning sign
    chat.press("no")
    chat.walk(location="behind", risks=["journey"], one_leg="both")  # every triage question
    chat.press("followup")
    chat.walk(fu_offer=["stretch", "checkin"])
    chat.start(flow="checkin")
    chat.walk()
    for reply in chat.questions:
        for part in messages(reply, OWNER):
            assert block_errors(part.blocks) == [], reply.step
    assert {r.step for r in chat.questions} >= set(TYPICAL)


# -- payloads -----------------------------------------------------------------------------


def action_body(value: str, *, block_id: str = f"kc:{OWNER}:0", **extra: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": OWNER, "team_id": "T1"},
        "team": {"id": "T1"},
        "container": {"channel_id": "DU0KNEE", "message_ts": "1.000100"},
        "actions": [{"action_id": value, "value": value, "block_id": block_id}],
        **extra,
    }


def ticks(*values: str) -> dict[str, Any]:
    options = [{"value": v} for v in values]
    return {
        "values": {
            f"kc:{OWNER}:0": {
                "ticks:triggers:12:0": {"type": "checkboxes", "selected_options": options}
            }
        }
    }


def test_a_press_is_translated_with_its_owner_and_place() -> None:
    pressed = press(action_body("c|location|behind|4"))
    assert pressed is not None
    assert (pressed.user.tag, pressed.owner, pressed.channel, pressed.message_ts) == (
        "sl:T1:U0KNEE",
        OWNER,
        "DU0KNEE",
        "1.000100",
    )
    assert pressed.event == Choose("location", "behind", 4)
    assert press({"actions": []}) is None
    assert press({**action_body("x"), "user": {"id": "U 1; DROP"}}) is None
    back = press(action_body("m|location|back|4"))
    assert back is not None
    assert back.event == Back()
    forged = press(action_body("c|only-three|parts"))
    assert forged is not None
    assert forged.event is None


def test_done_carries_the_ticked_boxes_or_leaves_the_stored_ticks() -> None:
    done = Submit("triggers", 12)
    assert with_ticks(done, ticks("t|triggers|sitting|12", "t|triggers|exercise|12")) == Submit(
        "triggers", 12, ("sitting", "exercise")
    )
    assert with_ticks(done, ticks()) == Submit("triggers", 12, ())
    assert with_ticks(done, {}) == done
    assert with_ticks(done, ticks("t|triggers|sitting|11")) is None  # another version
    assert with_ticks(done, ticks("t|location|behind|12")) is None
    assert with_ticks(done, ticks("c|triggers|sitting|12")) is None
    pressed = press(action_body("s|triggers|done|12", state=ticks("t|triggers|exercise|12")))
    assert pressed is not None
    assert pressed.event == Submit("triggers", 12, ("exercise",))


def test_only_a_persons_plain_dm_message_is_text() -> None:
    def body(**event: Any) -> dict[str, Any]:
        base = {"type": "message", "channel_type": "im", "user": OWNER, "channel": "D1"}
        return {"team_id": "T1", "event_id": "Ev1", "event": {**base, **event}}

    found = direct_message(body(text="knee &lt;3 &amp; calf"))
    assert found is not None
    assert (found.text, found.channel, found.event_id) == ("knee <3 & calf", "D1", "Ev1")
    assert direct_message(body(text="x", subtype="message_changed")) is None
    assert direct_message(body(text="x", bot_id="B1")) is None
    assert direct_message(body(text="x", channel_type="channel")) is None
    assert direct_message({"event": "nonsense"}) is None


def test_subcommands_and_ids() -> None:
    assert subcommand("  Restart now ") == "restart"
    assert subcommand("") == ""
    assert user_ref("T1", "U1") is not None
    assert user_ref("T1", "") is None
    assert user_ref(None, json.dumps({"a": 1})) is None


def test_commands_are_spelled_the_slack_way() -> None:
    from bot.channels.slack.render import escape

    text = "Send /start to begin, /forget to erase; /back, /restart or /stop. Not a/path/stop."
    assert escape(text) == (
        "Send /kneecheck to begin, /kneecheck forget to erase; /kneecheck back, "
        "/kneecheck restart or /kneecheck stop. Not a/path/stop."
    )


# -- follow-ups: start and reminder buttons ---------------------------------------------------


def reminder_service(catalog: Catalog) -> ReminderService:
    """Only for its pure parts (messages, lists, pickers): no store or queue is touched."""
    nothing: Any = None
    return ReminderService(catalog, nothing, nothing, salt=b"s")


def stretch(paused: bool = False) -> Reminder:
    return Reminder(
        id="stretch",
        kind="stretch",
        zone="America/New_York",
        times=(dt.time(8),),
        due=1_800_000_000,
        stretch="calf",
        paused=paused,
    )


def test_a_reminder_message_has_buttons_naming_its_occurrence(catalog: Catalog) -> None:
    service = reminder_service(catalog)
    content = catalog.content("en")
    [message] = messages(service.message(content, stretch(), 1_800_000_000), OWNER)
    assert block_errors(message.blocks) == []
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    assert owner_of(actions["block_id"]) == OWNER
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("Done", "r|stretch|done|1800000000"),
        ("Snooze 1 hour", "r|stretch|snooze|1800000000"),
        ("Stop these reminders", "r|stretch|stop|1800000000"),
    ]
    checkin = Reminder(id="checkin", kind="checkin", zone="UTC", due=1_800_000_000)
    [message] = messages(service.message(content, checkin, 1_800_000_000), OWNER)
    values = [e["value"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert values[0] == "f|checkin|checkin|1800000000"


def test_the_reminders_list_is_one_message_with_every_button(catalog: Catalog) -> None:
    service = reminder_service(catalog)
    content = catalog.content("en")
    hydration = Reminder(
        id="hydration", kind="hydration", zone="UTC", times=(dt.time(10),), due=1_800_000_000
    )
    checkin = Reminder(id="checkin", kind="checkin", zone="UTC", due=1_800_000_000, paused=True)
    listing = service.listing(
        content, Reminders(items={"stretch": stretch(), "hydration": hydration, "checkin": checkin})
    )
    [message] = messages(listing, OWNER)
    assert block_errors(message.blocks) == []
    values = [e["value"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == [
        "r|stretch|pause|0",
        "r|stretch|time|0",
        "r|stretch|stop|0",
        "r|hydration|pause|0",
        "r|hydration|stop|0",
        "r|checkin|resume|0",
        "r|checkin|stop|0",
        "r|all|stop|0",
    ]
    assert len(set(values)) == len(values)  # action_ids unique within the message
    [picker] = messages(service.time_picker(content, stretch()), OWNER)
    assert [e["value"] for e in picker.blocks[-1]["elements"]] == [
        "r|stretch|t0800|0",
        "r|stretch|t1200|0",
        "r|stretch|t1800|0",
        "r|stretch|t2000|0",
    ]


def test_the_assessment_offers_its_topics_then_the_follow_up_as_a_start_button(
    catalog: Catalog,
) -> None:
    chat = EngineChat(catalog)
    chat.walk(location="behind")
    result = chat.replies[-1]
    assert result.kind == "result"
    parts = messages(result, OWNER)
    last = parts[-1]
    buttons = [e for b in last.blocks if b["type"] == "actions" for e in b["elements"]]
    *topics, start = buttons
    assert all(t["value"].startswith("c|topic|") for t in topics)
    assert start["value"] == "f||followup|0"
    assert last.blocks[-1]["type"] == "context"  # the disclaimer stays last
    assert all(block_errors(p.blocks) == [] for p in parts)


def test_reminder_and_start_presses_are_let_through_with_their_owner() -> None:
    """The payload goes to the application as it came (which reads reminder buttons and
    refuses forged ones: tests/test_actions.py); the owner is the channel's to check."""
    snooze = press(action_body("r|stretch|snooze|1800000000"))
    assert snooze is not None
    assert (snooze.value, snooze.event, snooze.owner) == (
        "r|stretch|snooze|1800000000",
        None,
        OWNER,
    )
    listed = press(action_body("r|all|stop|0", block_id="kc:U0OTHER:3"))
    assert listed is not None
    assert (listed.value, listed.owner) == ("r|all|stop|0", "U0OTHER")
    start = press(action_body("f|checkin|checkin|1800000000"))
    assert start is not None
    assert (start.event, start.ticks) == (Start(flow="checkin"), False)


def test_follow_up_commands_are_spelled_the_slack_way() -> None:
    assert escape("Send /reminders, /diary or /summary.") == (
        "Send /kneecheck reminders, /kneecheck diary or /kneecheck summary."
    )
