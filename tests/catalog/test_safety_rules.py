"""`kneecheck flows check` refuses edits that would make the advice unsafe (issue 12).

Each test makes one edit a busy author could make to a copy of the real files, and asserts
the check names it: self-care after a warning sign, heat or massage after an injury, a
medical item nobody reviewed, an emergency sentence with a number that is wrong abroad.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.checks import check_catalog
from bot.catalog.loader import CONTENT_DIR, CatalogError, load_catalog
from tests.catalog.test_check import Broken


@pytest.fixture
def broken(tmp_path: Path) -> Broken:
    return Broken(tmp_path)


def relief_pick(broken: Broken, item: str) -> dict[str, object]:
    picks: list[dict[str, object]] = broken.flow["assessment"]["relief"]
    return next(p for p in picks if p["id"] == item)


def test_heat_shown_after_an_injury_is_refused(broken: Broken) -> None:
    relief_pick(broken, "heat")["when"] = {"not": {"step": "conditions", "is": "nerve"}}
    assert (
        f"{broken.flow_file}: assessment.relief[heat].when: relief 'heat' can be shown when "
        "'injury' holds (unsafe)"
    ) in broken.check()


def test_massage_always_shown_is_refused(broken: Broken) -> None:
    del relief_pick(broken, "during")["when"]
    assert (
        f"{broken.flow_file}: assessment.relief[during].when: relief 'during' is unsafe with "
        "'injury' but always shown"
    ) in broken.check()


def test_ice_on_numb_skin_is_refused(broken: Broken) -> None:
    relief_pick(broken, "cold")["when"] = {"not": {"step": "conditions", "is": "nerve"}}
    problems = broken.check()
    assert (
        f"{broken.flow_file}: assessment.relief[cold].when: relief 'cold' can be shown when "
        "'numb_skin' holds (unsafe)"
    ) in problems  # a diabetic's numb skin is still in the caution


def test_ibuprofen_in_pregnancy_is_refused(broken: Broken) -> None:
    relief_pick(broken, "painkillers")["when"] = {"step": "triggers", "is": "exercise"}
    assert any("relief 'painkillers' can be shown when 'pregnancy'" in p for p in broken.check())


def test_a_caution_the_flow_does_not_define_is_refused(broken: Broken) -> None:
    broken.en["relief"]["stretch"]["unsafe_with"] = ["broken_bone"]
    assert any(
        "relief.stretch.unsafe_with: caution 'broken_bone' is not defined" in p
        for p in broken.check()
    )


def test_a_warning_sign_that_leads_on_to_questions_is_refused(broken: Broken) -> None:
    step = broken.step("red_flags")
    step["next"][0]["when"]["any_of"].remove("numb_weak")
    assert (
        f"{broken.flow_file}: steps[red_flags].next: the warning sign 'numb_weak' leads to "
        "'location', not to urgent advice"
    ) in broken.check()


@pytest.mark.parametrize("field", ["reviewed_on", "reviewed_by"])
def test_a_medical_item_without_a_review_is_refused(broken: Broken, field: str) -> None:
    del broken.en["relief"]["heat"][field]
    del broken.en["red_flags"]["compartment"][field]
    problems = broken.check()
    assert f"{broken.content_file()}: relief.heat.{field}: " in "\n".join(problems)
    assert f"{broken.content_file()}: red_flags.compartment.{field}: " in "\n".join(problems)


def test_a_reviewer_role_must_be_one_we_know(broken: Broken) -> None:
    broken.en["causes"]["injury"]["reviewed_by"] = "my friend"
    with pytest.raises(CatalogError, match=r"causes\.injury\.reviewed_by: Input should be"):
        broken.check()


def test_a_medical_item_without_a_source_is_refused(broken: Broken) -> None:
    del broken.en["tips"]["hydrate"]["source"]
    with pytest.raises(CatalogError, match=r"tips\.hydrate\.source: Field required"):
        broken.check()


@pytest.mark.parametrize(
    ("where", "text"),
    [
        (("red_flags", "cauda_equina", "advice"), "Numb bottom: go to A&E or call 999 now."),
        (("seek_help", "clot", "text"), "Call 911 if you become breathless."),
        (("disclaimer", "text"), "Not a diagnosis. In an emergency call 112."),
    ],
)
def test_a_literal_emergency_number_is_refused(
    broken: Broken, where: tuple[str, ...], text: str
) -> None:
    node = broken.en
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = text
    path = ".".join(where)
    assert any(f"{path}: names " in p and "use {emergency}" in p for p in broken.check())


def test_an_emergency_heading_without_the_regional_number_is_refused(broken: Broken) -> None:
    broken.en["tiers"]["emergency"]["title"] = "Get help now"
    problems = "\n".join(broken.check())
    assert "tiers.emergency.title: the emergency heading must say to call {emergency}" in problems


def test_emergency_advice_with_a_later_time_frame_is_refused(broken: Broken) -> None:
    advice = broken.en["red_flags"]["compartment"]["advice"]
    broken.en["red_flags"]["compartment"]["advice"] = advice + " Get it checked today."
    problems = "\n".join(broken.check())
    assert "red_flags.compartment.advice: emergency advice must not give a later time frame" in (
        problems
    )


def test_an_urgent_reply_over_one_screen_is_refused(broken: Broken) -> None:
    advice = broken.en["red_flags"]["long_cramp"]["advice"]
    broken.en["red_flags"]["long_cramp"]["advice"] = advice + " It is important." * 10
    problems = "\n".join(broken.check())
    assert "red_flags.long_cramp.advice: the default urgent reply has" in problems


def test_content_without_default_region_words_is_refused(broken: Broken) -> None:
    del broken.en["regions"]["default"]
    with pytest.raises(CatalogError, match="default"):
        broken.check()


def test_a_region_users_are_placed_in_needs_its_words(broken: Broken) -> None:
    del broken.en["regions"]["nz"]
    flows, content = broken.write()
    (content / "regions").mkdir()
    (content / "regions" / "where.yaml").write_text(
        (CONTENT_DIR / "regions" / "where.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    problems = [str(p) for p in check_catalog(load_catalog(flows, content))]
    assert (
        f"{broken.content_file()}: regions.nz: content/regions/where.yaml places users in 'nz', "
        "which has no words here"
    ) in problems
