"""Log lines carry pseudonyms and facts about a turn, never the user's words."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, RedactUsers, TextFormatter


def record(**extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("bot.conversations", logging.INFO, __file__, 1, "turn", None, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_json_lines_hold_the_chosen_fields() -> None:
    line = JsonFormatter().format(record(user="3f2a9c", channel="tg", step="location", ms=1.5))
    data = json.loads(line)
    assert data["msg"] == "turn"
    assert (data["user"], data["channel"], data["step"], data["ms"]) == (
        "3f2a9c",
        "tg",
        "location",
        1.5,
    )


def test_text_lines_show_the_fields_after_the_message() -> None:
    line = TextFormatter("%(levelname)s %(name)s %(message)s").format(
        record(user="3f2a9c", step="age")
    )
    assert line == "INFO bot.conversations turn user=3f2a9c step=age"


def test_queue_job_keys_and_errors_never_show_a_raw_user_id() -> None:
    job = "Job<kwargs: {'user': ['tg', '4242', '']}, key: tg:4242|stretch|1795626448>"
    try:
        raise RuntimeError(f"{job} doesn't exist")
    except RuntimeError:
        import sys

        failed = logging.LogRecord(
            "saq", logging.ERROR, __file__, 1, "Sweeping %s", (job,), sys.exc_info()
        )
    assert RedactUsers().filter(failed)
    line = TextFormatter("%(levelname)s %(name)s %(message)s").format(failed)
    assert "4242" not in line
    assert "tg:<user>|stretch|1795626448" in line
    assert "'user': [...]" in line
    assert json.loads(JsonFormatter().format(failed))["error"] == "RuntimeError"


def test_saqs_note_about_its_idle_loops_at_every_stop_is_not_logged() -> None:
    idle = logging.LogRecord(
        "saq",
        logging.WARNING,
        __file__,
        1,
        "Some tasks did not finish within the shutdown grace period, requesting cancellation",
        None,
        None,
    )
    assert not RedactUsers().filter(idle)
    other = logging.LogRecord("saq", logging.WARNING, __file__, 1, "Sweeping job", None, None)
    assert RedactUsers().filter(other)


TYPED = "my calf is swollen"


def _failed_turn() -> logging.LogRecord:
    import sys

    def parse(typed: str) -> None:
        raise ValueError(f"input {typed!r} is not valid")

    try:
        try:
            parse(TYPED)
        except ValueError as err:
            raise RuntimeError(f"turn failed for {TYPED!r}") from err
    except RuntimeError:
        return logging.LogRecord(
            "bot.channels", logging.ERROR, __file__, 1, "turn failed", None, sys.exc_info()
        )
    raise AssertionError("parse() always raises")  # pragma: no cover


def test_json_errors_carry_a_stack_trace_an_operator_can_debug_with() -> None:
    data = json.loads(JsonFormatter().format(_failed_turn()))
    assert data["error"] == "RuntimeError"
    trace = data["trace"]
    assert "in parse" in trace  # the frames, the cause first
    assert "in _failed_turn" in trace
    assert trace.index("ValueError") < trace.index("RuntimeError")


def test_no_log_line_repeats_what_the_user_typed_in_an_exception_message() -> None:
    failed = _failed_turn()
    assert RedactUsers().filter(failed)
    text = TextFormatter("%(levelname)s %(name)s %(message)s").format(failed)
    json_line = JsonFormatter().format(_failed_turn())
    for line in (text, json_line):
        assert "swollen" not in line
        assert "message not logged" in line


def test_slack_library_messages_keep_their_words_not_the_request() -> None:
    from bot.logs import LibraryDetails

    unhandled = logging.LogRecord(
        "slack_bolt.App",
        logging.WARNING,
        __file__,
        1,
        "Unhandled request (%s)",
        ({"user": "U0SECRET", "text": TYPED},),
        None,
    )
    assert LibraryDetails().filter(unhandled)
    line = JsonFormatter().format(unhandled)
    assert "U0SECRET" not in line
    assert "swollen" not in line
    assert json.loads(line)["msg"] == "Unhandled request (details not logged)"
    ours = record()
    assert LibraryDetails().filter(ours)
    assert ours.getMessage() == "turn"
