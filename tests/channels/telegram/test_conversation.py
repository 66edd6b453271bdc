"""Whole conversations on Telegram, as a user has them."""

from __future__ import annotations

from tests.channels.telegram.harness import TelegramUser


async def test_a_self_care_route_reaches_the_personalised_assessment(alice: TelegramUser) -> None:
    await alice.send("/start")
    assert "not a substitute for professional medical care" in alice.last_text
    await alice.press("agree")
    assert alice.current_step == "red_flags"
    await alice.tick("none")
    await alice.press("done")
    await alice.press("above")
    await alice.tick("exercise", "sitting")
    await alice.press("done")
    for option in ("rarely", "ok", "balanced", "heavy", "over_8h", "a18_39"):
        await alice.press(option)
    await alice.tick("none")  # conditions
    await alice.press("done")
    before = len(alice.messages)
    await alice.tick("none")  # risks
    await alice.press("done")

    first = alice.texts_since(before)
    assert "Self-care is a reasonable start" in first
    assert "Because you said it started after you did hard exercise with no warm-up" in first
    assert "This is not a diagnosis" in first
    assert len(first.split()) <= 90  # one phone screen; the rest is a tap away
    await alice.press("stretches")
    await alice.press("about")
    result = alice.texts_since(before)
    assert "Stretch: front of the thigh (quadriceps)" in result
    assert "not a substitute for professional medical advice" in result
    assert all(len(m.plain_text) <= 4096 for m in alice.messages)
