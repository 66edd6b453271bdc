"""Telegram rendering, pure: what a user would see in the chat, without Telegram."""

from __future__ import annotations

from bot.channels.telegram.render import MESSAGE_LIMIT, answered_html, keyboard, messages
from bot.engine.replies import Choice, Reply, Section


def question(*choices: Choice, multi: bool = False) -> Reply:
    return Reply(
        kind="question",
        sections=(Section(title="Question 2 of 9", paragraphs=("Pick <one> & go",)),),
        choices=choices,
        step="triggers",
        version=12,
        multi=multi,
    )


def test_dynamic_text_is_escaped_and_titles_are_bold() -> None:
    [message] = messages(question(Choice("a", "A", "choose")))
    assert message.text == "<b>Question 2 of 9</b>\nPick &lt;one&gt; &amp; go"


def test_buttons_carry_step_option_and_version_within_64_bytes() -> None:
    markup = keyboard(
        question(
            Choice("sitting", "Sitting", "toggle", selected=True),
            Choice("exercise", "Exercise", "toggle"),
            Choice("done", "Done", "submit"),
            Choice("back", "Back", "command"),
            multi=True,
        )
    )
    assert markup is not None
    rows = [[(b["text"], b["callback_data"]) for b in row] for row in markup["inline_keyboard"]]
    assert rows == [
        [("\u2705 Sitting", "t|triggers|sitting|12")],
        [("\u2b1c Exercise", "t|triggers|exercise|12")],
        [("Done", "s|triggers|done|12"), ("Back", "m|triggers|back|12")],
    ]
    assert all(len(str(data).encode()) <= 64 for row in rows for _, data in row)


def test_a_long_result_is_split_between_sections_under_the_limit() -> None:
    sections = tuple(Section(title=f"Part {i}", paragraphs=("x" * 1500,)) for i in range(7))
    parts = messages(Reply(kind="result", sections=sections))
    assert len(parts) > 1
    assert all(len(p.text) <= MESSAGE_LIMIT for p in parts)
    assert "".join(p.text for p in parts).count("<b>Part") == 7
    assert all(p.text.startswith("<b>Part") for p in parts)


def test_an_answered_question_reads_as_question_then_answer() -> None:
    answered = Reply(
        kind="answered",
        sections=(Section(paragraphs=("Behind the knee",)),),
        step="location",
        version=4,
        asked=Section(title="Question 3 of 11", paragraphs=("Where do you feel the spasm?",)),
    )
    html = answered_html(answered)
    assert html.startswith("<b>Question 3 of 11</b>\nWhere do you feel the spasm?")
    assert html.endswith("<b>Behind the knee</b>")
