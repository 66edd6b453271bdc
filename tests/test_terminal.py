"""The terminal chat as a newcomer uses it: the real `kneecheck chat` command, fed by a pipe."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import pytest

from tests import newcomer
from tests.newcomer import ROOT

WIDTH = 80
"""No terminal here: the chat wraps to 80 columns."""


def chat(lines: list[str], **env: str) -> str:
    """Run `kneecheck chat` with ``lines`` on stdin (no REDIS_URL: the embedded store);
    what it printed, with its line wrapping undone (every line and indent one space)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=newcomer.environment(**env),
        timeout=60,
        check=True,
    )
    assert all(len(line) <= WIDTH for line in done.stdout.splitlines()[2:])  # after the banner
    return " ".join(done.stdout.split())


def test_a_piped_conversation_reaches_the_personalised_assessment() -> None:
    out = chat(
        [
            *["1", "12", "behind the knee", "calf", "1 4", "most days", "1", "3", "heavy", "2"],
            *["1", "6", "6", "2"],  # none of the conditions, no clot risk, no pain on walking
            *["Why these causes", "Your stretches", "Good to know"],  # topics, by their labels
        ]
    )
    assert "embedded in-process Redis" in out
    assert "Question 1 of 15" in out
    assert "Question 14 of 14" in out
    assert "See a doctor or physiotherapist within the next few days" in out
    assert (
        "Because you said it started after you did hard exercise with no warm-up or cool-down"
        in out
    )
    assert "Stretch: calf" in out
    assert "not a substitute for professional medical advice" in out


def test_numbers_labels_free_text_and_commands_all_work() -> None:
    out = chat(["Yes, I am 18+ and understand", "none", "/back", "12", "thigh", "/stop", "2"])
    assert "-> None of these" in out
    assert "Stopped. I have cleared the answers of this check" in out
    assert out.count("Question 2 of") >= 2  # /back showed the safety question again


def test_a_red_flag_typed_at_any_point_gets_urgent_advice_only() -> None:
    out = chat(["1", "12", "my calf is swollen and red"])
    assert "No self-care tips" in out
    assert "blood clot (DVT)" in out
    assert "Prevention tips" not in out
    assert "Stretch:" not in out


@pytest.mark.parametrize("line", ["/mydata", "/help"])
def test_privacy_and_help_commands_answer(line: str) -> None:
    out = chat(["1", line])
    expected = {
        "/mydata": "you are an adult and agreed",
        "/help": "/back goes",
    }
    assert expected[line] in out


def test_forget_asks_first_then_erases_on_yes_and_keeps_on_no() -> None:
    kept = chat(["1", "/forget", "Keep it", "/mydata"])
    assert "Erase it now?" in kept
    assert "Nothing was erased." in kept
    assert "you are an adult and agreed" in kept.split("Nothing was erased.")[1]
    erased = chat(["1", "/forget", "1", "/mydata"])
    assert "I have erased everything I stored about you" in erased
    assert "you are an adult and agreed" not in erased.split("erased everything")[1]


def test_follow_up_check_in_diary_and_summary_in_the_terminal() -> None:
    check = ["1", "12", "above", "1", "1", "1", "1", "1", "1", "1", "6", "6"]
    follow_up = ["Remind me to stretch, drink and check in", "1 3", "8:00", "London", "/reminders"]
    check_in = ["/checkin", "12", "worse", "6 or more", "7", "/diary", "/summary", "/mydata"]
    out = chat(check + follow_up + check_in)
    assert "Your reminders are set" in out
    assert "Daily stretch: next on" in out
    assert "Knee check-in: next on" in out
    assert "please see a doctor or physiotherapist" in out
    # "7" typed at the 0-10 question is 7, not the 7th answer (which is 6).
    assert "Worse, spasms: 6 or more, severity 7/10" in out  # the diary, as text
    assert "Your knee spasms: notes for a doctor or physiotherapist" in out
    assert "Your check-in diary: 1 entries" in out


def test_every_warning_sign_the_review_found_missed_is_caught_when_typed() -> None:
    """Each phrase typed at the location question of a fresh check, in one terminal session."""
    from bot.catalog.loader import load_catalog
    from tests.engine.test_safety import SEEN

    content = load_catalog().content("en")
    lines: list[str] = []
    for _, phrase in SEEN:
        lines += ["/restart", "1", "12", phrase]
    out = chat(lines)
    for part, (flag, phrase) in zip(
        out.split("Where do you feel the spasm?")[1:], SEEN, strict=True
    ):
        advice = part.split("Question 1 of")[0]
        assert content.red_flags[flag].advice in " ".join(advice.split()), phrase
        assert content.tiers[content.red_flags[flag].tier].title in advice, phrase


def test_an_age_under_18_is_never_consent() -> None:
    out = chat(["I'm 15, is that ok?"])
    assert "talk to a parent or carer" in out
    assert "First, safety" not in out


async def test_ctrl_c_ends_the_chat_at_once_without_a_traceback_or_log_lines() -> None:
    """At a question, waiting for a line that will never come: Ctrl-C exits with 130 at once,
    and the screen shows no traceback and no log line (LOG_LEVEL unset)."""
    process = await newcomer.start("chat")
    seen = await newcomer.Screen(process).until(b"Question 1 of")  # the question is on screen
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = await asyncio.wait_for(process.communicate(), timeout=10)
    # Measured 0.06-0.55 s here (issue 15 aims at 1 s); 2 s leaves room for a slow CI host.
    assert time.monotonic() - started < 2.0
    assert process.returncode == 130
    shown = (seen + out + err).decode()
    assert "Traceback" not in shown
    assert "INFO" not in shown
    assert "ERROR" not in shown


def test_a_multi_choice_question_is_answered_one_way_the_screen_explains() -> None:
    """Every number on one line: no Done to press, no boxes to tick, nothing about buttons;
    each number typed is kept."""
    out = chat(["1", "12", "behind the knee", "calf", "1 4"])
    safety = out.split("Question 2 of")[1].split("->")[0]
    assert "Type the number of each answer that applies" in safety
    assert "Done" not in safety
    assert "[ ]" not in safety
    assert "press" not in safety.lower()
    assert "tap" not in safety.lower()
    assert "Tick all that apply" not in out
    triggers = out.split("What seems to bring it on?")[1]
    chosen = triggers.split("->")[1].split("Question")[0]
    assert chosen.count(",") >= 1  # both answers typed on one line were recorded


def test_a_command_between_questions_leaves_the_question_waiting() -> None:
    """ "1" after /mydata or a cancelled /forget answers the question still on screen (it used
    to be read as free text: an age of 1)."""
    out = chat(["/mydata", "1", "/forget", "2", "12"])
    assert "talk to a parent or carer" not in out
    assert "-> Yes, I am 18+ and understand" in out
    assert "-> None of these" in out


def test_mydata_and_stop_say_what_is_true() -> None:
    out = chat(["/mydata", "1", "/stop", "/mydata"])
    started = out.split("What I store about you")[1]
    assert "A knee check you have just started. No answers yet." in started
    # The embedded store lives in this program: no promise of days.
    assert "kept only while this program runs" in out
    assert "90 days" not in out
    assert "stopped any reminders" in out
    assert "I keep your last finished check and your check-in diary" in out


def test_help_lists_every_command_and_shows_the_question_again() -> None:
    out = chat(["1", "/help"])
    after = out.split("/quit ends the program")[1]
    for command in ("/back", "/restart", "/stop", "/checkin", "/reminders", "/diary"):
        assert command in out.split("/quit ends the program")[0]
    for command in ("/summary", "/mydata", "/forget"):
        assert command in out
    assert "Question 2 of" in after  # the question comes back under the help
    assert "buttons" not in out.split("Commands:")[0].split("I ask a few")[-1]


async def test_a_one_megabyte_paste_is_answered_within_a_second() -> None:
    """The line is cut to the reading cap and answered at once, and the chat goes on. (Over a
    pipe: a terminal's line discipline caps a line at 4 KB.)"""
    process = await newcomer.start("chat")
    assert process.stdin is not None
    screen = newcomer.Screen(process)
    await screen.until(b"Question 1 of")
    process.stdin.write(b"1\n")
    await screen.until(b"Question 2 of")
    before = len(screen.seen)
    process.stdin.write(b"no " * 350_000 + b"\n")  # about 1 MB on one line
    await process.stdin.drain()
    # From the moment the paste is written: getting 1 MB through a pipe between two Python
    # processes alone takes 0.2-0.7 s here, the chat's part about 25 ms.
    started = time.monotonic()
    await screen.until(b"\n\n", after=before, within=10)  # a whole reply, then its blank line
    assert time.monotonic() - started < 1.0
    process.stdin.write(b"/quit\n")
    await process.stdin.drain()
    await asyncio.wait_for(process.communicate(), timeout=10)
    assert process.returncode == 0
    assert b"Traceback" not in screen.seen
