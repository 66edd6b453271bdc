"""``check_catalog`` on the real files, and on one broken copy per rule.

Each broken fixture is the real flow and English content, copied into
``tmp_path`` with one small edit, so a test reads as "break this, see that".
The assertions are the exact lines a flow author sees: file, path, message.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalog.checks import (
    CALLBACK_LIMIT,
    WIDEST_VERSION,
    Problem,
    callback_data,
    check_catalog,
    limits,
)
from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR, load_catalog
from bot.catalog.yamlio import load_yaml

Data = dict[str, Any]


class Broken:
    """Editable copies of the real flow and content; ``check()`` writes them and checks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.flow: Data = load_yaml(FLOWS_DIR / "kneecheck.yaml")
        self.content: dict[str, Data] = {"en": load_yaml(CONTENT_DIR / "en.yaml")}
        self.flow_file = str(root / "flows" / "kneecheck.yaml")

    def content_file(self, locale: str = "en") -> str:
        return str(self.root / "content" / f"{locale}.yaml")

    @property
    def en(self) -> Data:
        return self.content["en"]

    def step(self, step_id: str) -> Data:
        step: Data = next(s for s in self.flow["steps"] if s["id"] == step_id)
        return step

    def add_locale(self, locale: str) -> Data:
        translated = copy.deepcopy(self.en)
        translated["locale"] = locale
        self.content[locale] = translated
        return translated

    def write(self) -> tuple[Path, Path]:
        flows, content = self.root / "flows", self.root / "content"
        flows.mkdir(exist_ok=True)
        content.mkdir(exist_ok=True)
        (flows / "kneecheck.yaml").write_text(
            yaml.safe_dump(self.flow, sort_keys=False), encoding="utf-8"
        )
        for other in FLOWS_DIR.glob("*.yaml"):  # the other flows, unchanged
            if other.name != "kneecheck.yaml":
                (flows / other.name).write_text(other.read_text(encoding="utf-8"), "utf-8")
        for locale, data in self.content.items():
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            (content / f"{locale}.yaml").write_text(text, encoding="utf-8")
        return flows, content

    def check(self) -> list[str]:
        return [str(p) for p in check_catalog(load_catalog(*self.write()))]


@pytest.fixture
def broken(tmp_path: Path) -> Broken:
    return Broken(tmp_path)


def test_real_files_have_no_problems() -> None:
    assert check_catalog(load_catalog()) == []


def test_an_unedited_copy_has_no_problems(broken: Broken) -> None:
    assert broken.check() == []


def test_problem_reads_file_path_message() -> None:
    problem = Problem("flows/x.yaml", "steps[a].next[0].to", "'b' names no step or outcome")
    assert str(problem) == "flows/x.yaml: steps[a].next[0].to: 'b' names no step or outcome"


# --- dangling references in the flow ---------------------------------------------------


def test_transition_to_a_missing_step(broken: Broken) -> None:
    broken.step("location")["next"][0]["to"] = "behind_knee"
    assert broken.check() == [
        f"{broken.flow_file}: steps[location].next[0].to: 'behind_knee' names no step or outcome",
        f"{broken.flow_file}: steps[behind_muscle]: step 'behind_muscle' cannot be reached "
        "from start 'consent'",
    ]


def test_start_names_no_step(broken: Broken) -> None:
    broken.flow["start"] = "welcome"
    assert f"{broken.flow_file}: start: 'welcome' names no step: the flow must start at a step" in (
        broken.check()
    )


def test_condition_names_an_option_the_step_lacks(broken: Broken) -> None:
    broken.step("location")["next"][0]["when"] = {"step": "location", "is": "back"}
    assert broken.check() == [
        f"{broken.flow_file}: steps[location].next[0].when: refers to option 'back' of step "
        "'location', which has no such option (it has: above, behind, around, twitching, not_sure)"
    ]


def test_condition_names_a_missing_step(broken: Broken) -> None:
    signal = broken.flow["assessment"]["causes"][0]["signals"][0]
    signal["when"] = {"step": "trigger", "is": "exercise"}
    assert broken.check() == [
        f"{broken.flow_file}: assessment.causes[overuse].signals[exercise_no_warmup].when: "
        "refers to step 'trigger', which does not exist"
    ]


def test_red_flag_step_must_be_multi_choice(broken: Broken) -> None:
    broken.flow["assessment"]["red_flag_step"] = "location"
    assert (
        f"{broken.flow_file}: assessment.red_flag_step: step 'location' must be a multi-choice step"
    ) in broken.check()


def test_red_flag_outside_the_red_flag_step(broken: Broken) -> None:
    broken.step("water")["options"][0]["red_flag"] = True
    assert broken.check() == [
        f"{broken.flow_file}: steps[water].options[low].red_flag: has no effect: only options "
        "of the assessment's red_flag_step (red_flags) are red flags"
    ]


# --- the flow against its content ------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "item", "what"),
    [
        ("causes", "overuse", "cause"),
        ("reasons", "low_water", "signal"),
        ("stretches", "calf", "stretch"),
        ("tips", "rest", "tip"),
        ("tiers", "soon", "tier"),
    ],
)
def test_assessment_item_without_text(broken: Broken, section: str, item: str, what: str) -> None:
    del broken.en[section][item]
    assert (
        f"{broken.content_file()}: {section}.{item}: no text for the {what} {item!r} "
        "of flow 'kneecheck'"
    ) in broken.check()


def test_step_without_text(broken: Broken) -> None:
    del broken.en["steps"]["water"]
    assert broken.check() == [
        f"{broken.content_file()}: steps.water: no text (question, options) for step 'water'"
    ]


def test_option_without_label(broken: Broken) -> None:
    del broken.en["steps"]["water"]["options"]["ok"]
    assert broken.check() == [
        f"{broken.content_file()}: steps.water.options.ok: no label for option 'ok' of step 'water'"
    ]


def test_every_locale_needs_the_texts(broken: Broken) -> None:
    del broken.add_locale("de")["steps"]["water"]["options"]["ok"]
    assert (
        f"{broken.content_file('de')}: steps.water.options.ok: no label for option 'ok' "
        "of step 'water'"
    ) in broken.check()


def test_red_flag_option_without_advice(broken: Broken) -> None:
    del broken.en["red_flags"]["long_cramp"]
    assert broken.check() == [
        f"{broken.content_file()}: red_flags.long_cramp: option 'long_cramp' of step "
        f"'{step}' is a red flag but has no advice here"
        for step in ("ck_flags", "red_flags")
    ]


def test_red_flag_advice_without_option(broken: Broken) -> None:
    option = next(o for o in broken.step("red_flags")["options"] if o["id"] == "long_cramp")
    option["red_flag"] = False
    assert broken.check() == [
        f"{broken.content_file()}: red_flags.long_cramp: no red-flag option 'long_cramp' in step "
        "'red_flags' of flow 'kneecheck': typing one of its phrases would not lead to urgent advice"
    ]


def test_end_outcome_without_text(broken: Broken) -> None:
    del broken.en["outcomes"]["declined"]
    assert broken.check() == [
        f"{broken.content_file()}: outcomes.declined: no text for the end outcome 'declined'"
    ]


def test_dangling_content(broken: Broken) -> None:
    broken.en["steps"]["knee_pain"] = copy.deepcopy(broken.en["steps"]["water"])
    broken.en["steps"]["water"]["options"]["gallons"] = {"label": "Gallons"}
    assert broken.check() == [
        f"{broken.content_file()}: steps.water.options.gallons: text for option 'gallons', "
        "but step 'water' has no such option",
        f"{broken.content_file()}: steps.knee_pain: text for step 'knee_pain', "
        "but no flow has that step",
    ]


# --- reachability and endless paths ----------------------------------------------------


def test_unreachable_step(broken: Broken) -> None:
    broken.step("location")["next"] = [{"to": "triggers"}]
    assert broken.check() == [
        f"{broken.flow_file}: steps[behind_muscle]: step 'behind_muscle' cannot be reached "
        "from start 'consent'"
    ]


def test_conditional_last_transition(broken: Broken) -> None:
    broken.step("behind_muscle")["next"] = [
        {"when": {"step": "behind_muscle", "is": "calf"}, "to": "triggers"}
    ]
    assert broken.check() == [
        f"{broken.flow_file}: steps[behind_muscle].next[0].when: the last transition of step "
        "'behind_muscle' has a condition, so some answers lead nowhere and the conversation "
        "never ends: add a last transition without `when`"
    ]


def test_loop_back_to_an_earlier_step(broken: Broken) -> None:
    broken.step("conditions")["next"] = [
        {"when": {"step": "conditions", "is": "not_sure"}, "to": "age"},
        {"to": "risks"},
    ]
    assert broken.check() == [
        f"{broken.flow_file}: steps[conditions].next[0].to: goes back to 'age', a loop "
        "(age -> conditions -> age): the conversation could go round forever"
    ]


def test_loop_with_no_way_out(broken: Broken) -> None:
    broken.step("age")["next"] = [{"to": "sitting"}]
    problems = broken.check()
    assert f"{broken.flow_file}: steps[age].next[0].to: goes back to 'sitting', a loop " in (
        "".join(problems)
    )
    assert (
        f"{broken.flow_file}: steps[sitting]: no outcome can be reached from step 'sitting': "
        "every path from it goes round in a loop"
    ) in problems
    assert (
        f"{broken.flow_file}: steps[conditions]: step 'conditions' cannot be reached "
        "from start 'consent'"
    ) in problems


# --- duplicates ------------------------------------------------------------------------


def test_duplicate_option_id(broken: Broken) -> None:
    broken.step("behind_muscle")["options"].append({"id": "calf"})
    assert broken.check() == [
        f"{broken.flow_file}: steps[behind_muscle].options[3].id: option 'calf' appears twice"
    ]


def test_duplicate_label(broken: Broken) -> None:
    options = broken.en["steps"]["behind_muscle"]["options"]
    options["not_sure"]["label"] = "calf (below the knee)"
    assert broken.check() == [
        f"{broken.content_file()}: steps.behind_muscle.options.not_sure.label: same label as "
        "option 'calf' of the same step"
    ]


def test_duplicate_synonym(broken: Broken) -> None:
    broken.en["steps"]["location"]["options"]["around"]["synonyms"].append("Back of the knee!")
    assert broken.check() == [
        f"{broken.content_file()}: steps.location.options.around.synonyms: 'Back of the knee!' "
        "also picks option 'behind' of the same step, so a typed answer would be ambiguous"
    ]


# --- translations ----------------------------------------------------------------------


def test_missing_and_extra_translation_keys(broken: Broken) -> None:
    de = broken.add_locale("de")
    del de["ui"]["progress"]
    del de["steps"]["location"]["options"]["above"]["answer"]
    de["ui"]["greeting"] = "Hallo"
    de_file = broken.content_file("de")
    assert broken.check() == [
        f"{de_file}: ui.progress: missing translation: the key is in 'en' but not here",
        f"{de_file}: steps.location.options.above.answer: missing translation: "
        "the key is in 'en' but not here",
        f"{de_file}: ui.greeting: extra key: not in the reference locale 'en'",
    ]


def test_placeholders_differ_between_locales(broken: Broken) -> None:
    broken.add_locale("de")["ui"]["progress"] = "Frage {n} von {gesamt}"
    assert broken.check() == [
        f"{broken.content_file('de')}: ui.progress: placeholders {{gesamt}}, {{n}} differ from "
        "{n}, {total} in 'en'"
    ]


def test_malformed_template(broken: Broken) -> None:
    broken.en["ui"]["help"] = "Use {back to go back"
    assert broken.check() == [
        f"{broken.content_file()}: ui.help: is not a valid template: "
        "write a literal brace as {{ or }}"
    ]


# --- Telegram limits -------------------------------------------------------------------


def test_callback_data_format() -> None:
    assert callback_data("c", "location", "above", 10**9) == "c|location|above|1000000000"


def test_schema_ids_always_fit_in_callback_data() -> None:
    """Ids are at most 24 characters, so even the widest button fits in 64 bytes."""
    assert len(callback_data("t", "a" * 24, "b" * 24, WIDEST_VERSION)) == 62


def test_widest_real_callback_is_reported_over_a_lower_limit(
    broken: Broken, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = load_catalog()
    widest = max(
        (
            callback_data("t" if s.kind == "multi" else "c", s.id, o.id, 10**9)
            for f in catalog.flows.values()
            for s in f.steps
            for o in s.options
        ),
        key=len,
    )
    assert widest == "t|red_flags|hot_swollen_fever|1000000000"
    assert len(widest.encode()) < CALLBACK_LIMIT == 64
    monkeypatch.setattr(limits, "CALLBACK_LIMIT", len(widest) - 1)
    assert broken.check() == [
        f"{broken.flow_file}: steps[red_flags].options[hot_swollen_fever].id: button callback "
        f"data {widest!r} is 40 bytes, over Telegram's 39-byte limit: shorten the step or option id"
    ]


def test_text_over_one_message(broken: Broken) -> None:
    broken.en["causes"]["overuse"]["text"] = "x" * 5000
    problems = broken.check()
    size = len("Overuse or strain of the thigh and leg muscles\n") + 5000
    assert (
        f"{broken.content_file()}: causes.overuse: the text is {size} characters, "
        "over Telegram's 4096 per message"
    ) in problems
    assert (
        f"{broken.content_file()}: (assessment): the assessment section "
        "'Likely causes that fit your answers' is"
    ) in "\n".join(problems)


def test_question_over_one_message(broken: Broken) -> None:
    broken.en["steps"]["triggers"]["question"] = "y" * 5000
    hint = broken.en["ui"]["multi_hint"]
    size = len("Question 99 of 99\n") + 5000 + len(f"\n{hint}")
    assert broken.check() == [
        f"{broken.content_file()}: steps.triggers.question: the question message is {size} "
        "characters, over Telegram's 4096 per message"
    ]


def test_assessment_that_cannot_be_built(broken: Broken) -> None:
    del broken.en["ui"]["title_relief"]
    assert (
        f"{broken.content_file()}: (assessment): cannot build the assessment of flow "
        "'kneecheck': missing 'title_relief' (a content key, or a ui placeholder the bot "
        "does not fill)"
    ) in broken.check()
