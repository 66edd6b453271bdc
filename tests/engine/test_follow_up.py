"""The follow-up offer: one button under a non-urgent assessment, then flows/followup.yaml.

The user ticks the reminders they want (or "No, thanks"), picks a time for the
stretch reminder, and says which clock shows their time unless the service
already knows their zone (a declared fact). Urgent advice never offers anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.engine import Event, Finished, Reply, Start, Submit, Turn, advance
from bot.engine.machine import DEFAULT_FLOW
from tests.engine.chat import T0, EngineChat
from tests.engine.texts import self_care_in

JULY = int(dt.datetime(2026, 7, 1, tzinfo=dt.UTC).timestamp())
"""2026-07-01T00:00:00Z: summer time in the northern hemisphere, winter in the southern."""
UNKNOWN = "That is not one of the answers to this question, so I did not change anything."


class FactChat(EngineChat):
    """An :class:`EngineChat` whose shell knows ``facts`` (passed with every event)."""

    def __init__(self, catalog: Catalog, facts: Mapping[str, str], *, now: int = T0) -> None:
        super().__init__(catalog, now=now)
        self.facts = facts

    def send(self, event: Event) -> Reply:
        self.now += self.seconds_per_event
        turn = advance(
            self.catalog,
            self.session,
            event,
            now=self.now,
            flow_id=self.flow_id,
            facts=self.facts,
        )
        if turn.changed:
            self.session = turn.session
        self.turns.append(turn)
        self.transcript.extend(turn.replies)
        return self.last


def offered(chat: EngineChat, **answers: str) -> Reply:
    """Walk a knee check to its result and press the follow-up offer under it."""
    chat.walk(**answers)
    return chat.press("followup")


def zone_question(catalog: Catalog, now: int) -> Reply:
    """The fu_zone question as drawn at exactly ``now``."""
    started = advance(catalog, None, Start(flow="followup"), now=now)
    assert started.session is not None
    turn = advance(
        catalog, started.session, Submit("fu_offer", started.session.shown, ("hydration",)), now=now
    )
    assert turn.replies[-1].step == "fu_zone"
    return turn.replies[-1]


def zone_label(question: Reply, option: str) -> str:
    return next(c.label for c in question.choices if c.value == option)


def finished(turn: Turn) -> Finished:
    (effect,) = [e for e in turn.effects if isinstance(e, Finished)]
    return effect


# -- the offer under the assessment ------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "tier"),
    [({}, "self_care"), ({"frequency": "at_night"}, "soon")],
    ids=["self_care", "soon"],
)
def test_a_non_urgent_assessment_offers_its_topics_then_the_follow_up(
    chat: EngineChat, content: Content, answers: dict[str, str], tier: str
) -> None:
    result = chat.walk(**answers)
    assert (result.kind, result.tier) == ("result", tier)
    *topics, button = result.choices
    assert {c.target for c in topics} == {("topic", chat.saved.version)}
    assert all(c.action == "choose" for c in topics)
    assert (button.value, button.action) == ("followup", "start")
    assert button.label == content.ui["offer_followup"]


@pytest.mark.parametrize("flag", ["clot_breathless", "clot_leg"])
def test_urgent_advice_has_no_button_at_all(chat: EngineChat, flag: str) -> None:
    advice = chat.walk(red_flags=[flag])
    assert advice.kind == "urgent"
    assert advice.choices == ()


def test_pressing_the_offer_asks_which_reminders_with_a_no_thanks(chat: EngineChat) -> None:
    question = offered(chat)
    assert (question.kind, question.step, question.multi) == ("question", "fu_offer", True)
    assert "No, thanks" in [c.label for c in question.choices]
    flow = chat.catalog.flow("followup")
    step = flow.step("fu_offer")
    assert step is not None
    assert [o.id for o in step.options if o.exclusive] == ["none"]
    assert chat.saved.flow == "followup"


# -- no, thanks ---------------------------------------------------------------------------


def test_no_thanks_ends_politely_and_schedules_nothing(chat: EngineChat, content: Content) -> None:
    offered(chat)
    chat.tick("none")
    reply = chat.done()
    assert content.outcomes["no_follow_up"].text in reply.text()
    effect = finished(chat.turn)
    assert (effect.outcome, effect.kind, effect.flow) == ("no_follow_up", "end", "followup")
    assert not [e for e in chat.turn.effects if isinstance(e, Finished) and e.kind == "follow_up"]
    assert chat.saved.status == "done"


# -- ticking reminders ------------------------------------------------------------------


def test_all_three_reminders_ask_the_time_then_the_zone_then_confirm(
    chat: EngineChat, content: Content
) -> None:
    offered(chat)
    chat.tick("stretch", "hydration", "checkin")
    assert chat.done().step == "fu_time"
    assert chat.press("t1800").step == "fu_zone"
    reply = chat.press("z_tokyo")
    assert content.outcomes["follow_up"].text in reply.text()
    effect = finished(chat.turn)
    assert (effect.outcome, effect.kind, effect.flow) == ("follow_up", "follow_up", "followup")
    assert effect.answer("fu_offer") == ("stretch", "hydration", "checkin")
    assert effect.answer("fu_time") == "t1800"
    assert effect.answer("fu_zone") == "z_tokyo"


def test_a_known_zone_is_not_asked(catalog: Catalog) -> None:
    chat = FactChat(catalog, {"zone_known": "yes"})
    offered(chat)
    chat.tick("stretch", "hydration", "checkin")
    assert chat.done().step == "fu_time"
    chat.press("t0800")
    effect = finished(chat.turn)
    assert effect.kind == "follow_up"
    assert effect.answer("fu_time") == "t0800"
    assert effect.answer("fu_zone") is None
    assert "fu_zone" not in [q.step for q in chat.questions]


def test_without_the_stretch_reminder_no_time_is_asked(chat: EngineChat) -> None:
    offered(chat)
    chat.tick("hydration", "checkin")
    assert chat.done().step == "fu_zone"
    chat.press("z_london")
    effect = finished(chat.turn)
    assert effect.kind == "follow_up"
    assert effect.answer("fu_time") is None


def test_without_stretch_and_with_a_known_zone_it_confirms_at_once(catalog: Catalog) -> None:
    chat = FactChat(catalog, {"zone_known": "yes"})
    offered(chat)
    chat.tick("hydration")
    chat.done()
    assert finished(chat.turn).outcome == "follow_up"


@pytest.mark.parametrize(
    "facts",
    [{"zone_known": "maybe"}, {"zone_known": "YES"}, {"tz_known": "yes"}],
    ids=["undeclared_value", "wrong_case", "undeclared_fact"],
)
def test_facts_the_flow_does_not_declare_are_ignored(
    catalog: Catalog, facts: dict[str, str]
) -> None:
    chat = FactChat(catalog, facts)
    offered(chat)
    chat.tick("hydration")
    assert chat.done().step == "fu_zone"
    assert chat.saved.facts == {}


def test_facts_given_after_the_offer_started_do_not_change_it(catalog: Catalog) -> None:
    chat = EngineChat(catalog)
    question = offered(chat)
    turn = advance(
        catalog,
        chat.saved,
        Submit("fu_offer", question.version, ("hydration",)),
        now=T0,
        flow_id=DEFAULT_FLOW,
        facts={"zone_known": "yes"},
    )
    assert turn.replies[-1].step == "fu_zone"


# -- the zone buttons show the time there -------------------------------------------------


def test_zone_buttons_show_the_local_time_there_now(catalog: Catalog) -> None:
    question = zone_question(catalog, T0)
    assert zone_label(question, "z_london").startswith("00:00")
    assert zone_label(question, "z_tokyo").startswith("09:00")
    assert zone_label(question, "z_india").startswith("05:30")
    assert zone_label(question, "z_london") == "00:00 · London, Dublin, Lisbon"


def test_zone_buttons_follow_daylight_saving_time(catalog: Catalog) -> None:
    winter, summer = zone_question(catalog, T0), zone_question(catalog, JULY)
    assert zone_label(summer, "z_london").startswith("01:00")  # BST, UTC+1
    assert zone_label(summer, "z_new_york").startswith("20:00")  # EDT, UTC-4
    assert zone_label(winter, "z_new_york").startswith("19:00")  # EST, UTC-5
    assert zone_label(winter, "z_sydney").startswith("11:00")  # AEDT, UTC+11
    assert zone_label(summer, "z_sydney").startswith("10:00")  # AEST, UTC+10
    assert zone_label(winter, "z_tokyo") == zone_label(summer, "z_tokyo")  # no DST


# -- free text ------------------------------------------------------------------------


def test_typing_water_and_stretching_ticks_both(chat: EngineChat) -> None:
    offered(chat)
    assert chat.say("water and stretching").step == "fu_time"
    assert chat.saved.answers["fu_offer"] == ("stretch", "hydration")


def test_typing_no_thanks_picks_none(chat: EngineChat, content: Content) -> None:
    offered(chat)
    reply = chat.say("no thanks")
    assert content.outcomes["no_follow_up"].text in reply.text()
    assert finished(chat.turn).answer("fu_offer") == ("none",)


def test_typing_a_time_answers_the_time_question(chat: EngineChat) -> None:
    offered(chat)
    chat.tick("stretch")
    chat.done()
    assert chat.say("6pm").step == "fu_zone"
    assert chat.saved.answers["fu_time"] == "t1800"


# -- safety and forged buttons ------------------------------------------------------------


def test_a_warning_sign_typed_during_the_offer_gets_urgent_advice(
    chat: EngineChat, content: Content
) -> None:
    offered(chat)
    reply = chat.say("chest pain")
    assert reply.kind == "urgent"
    assert reply.tier == "emergency"
    assert content.red_flags["clot_breathless"].advice in reply.text()
    assert self_care_in(reply.text(), content) == []
    assert reply.choices == ()


def test_a_forged_start_for_an_unknown_flow_changes_nothing(chat: EngineChat) -> None:
    offered(chat)
    before = chat.saved
    reply = chat.send(Start(flow="nosuchflow"))
    assert reply.kind == "notice"
    assert UNKNOWN in reply.text()
    assert not chat.turn.changed
    assert chat.turn.effects == ()
    assert chat.saved == before


def test_a_forged_start_with_nothing_stored_stores_nothing(catalog: Catalog) -> None:
    turn = advance(catalog, None, Start(flow="nosuchflow"), now=T0)
    assert turn.session is None
    assert not turn.changed
    assert UNKNOWN in turn.replies[-1].text()


def test_the_follow_up_offer_cannot_start_after_urgent_advice(
    chat: EngineChat, content: Content
) -> None:
    """Not from the old result's button, and not from a forged one: a warning sign first."""
    chat.walk(until="red_flags")
    chat.tick("clot_leg")
    chat.done()
    before = chat.saved
    reply = chat.send(Start(flow="followup"))
    assert reply.text() == content.ui["offer_after_urgent"]
    assert chat.saved == before
    chat.restart()
    chat.walk()  # a new check without a warning sign offers the reminders again
    assert chat.send(Start(flow="followup")).step == "fu_offer"
