"""Logging set-up: readable lines in development, JSON lines in production.

Only what we choose goes into a record's fields (``extra=``): hashed user ids,
channel, step, event kind, latency, error codes. Message text, answers and
tokens are never passed to a logger, and the HTTP client loggers that would
print request URLs (which carry the Telegram token) are held at WARNING.

An error's stack trace is logged (an operator with 200 HTTP 500s and no trace has nothing
to debug with) as frames and exception types only: an exception's message can hold what a
user typed (a validation error quotes the input it refused), so it is never written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from types import TracebackType
from typing import Literal, TypeAlias

ExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)
MAX_CHAINED = 3

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


_USER_TAG = re.compile(r"\b(tg|sl|cli):[A-Za-z0-9_.\-]+(?::[A-Za-z0-9_.\-]+)?")
_USER_ARG = re.compile(r"'user': \[[^\]]*\]")


_SAQ_IDLE_STOP = "Some tasks did not finish within the shutdown grace period"


def safe_trace(exc_info: ExcInfo) -> str:
    """A traceback without any exception's message: frames, code lines and types, with the
    causes ("during handling...") of a chained error, most recent call last."""
    error = exc_info[1]
    chain: list[BaseException] = []
    while error is not None and len(chain) < MAX_CHAINED:
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    lines: list[str] = []
    for n, err in enumerate(reversed(chain)):
        if n:
            lines.append("which led to:")
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(err.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
        lines.append(f"{type(err).__module__}.{type(err).__qualname__} (message not logged)")
    return redact("\n".join(lines))


def redact(text: str) -> str:
    """User ids as they appear in queue job keys and arguments, masked."""
    return _USER_ARG.sub("'user': [...]", _USER_TAG.sub(r"\1:<user>", text))


class RedactUsers(logging.Filter):
    """The job queue's own log lines and errors name jobs by their key, which holds the
    user's platform id; every record is masked before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name == "saq" and message.startswith(_SAQ_IDLE_STOP):
            return False  # every stop: saq waits out its idle upkeep loops; not a problem
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = safe_trace(record.exc_info)
        return True


_QUOTED_LIBRARIES = ("slack_bolt", "slack_sdk")
_DETAIL = re.compile(r"[(:{\[\n]")


class LibraryDetails(logging.Filter):
    """slack_bolt and slack_sdk put request bodies and API payloads into their messages
    ("Unhandled request ({...})", an error's text): only the words before the details are
    kept, whatever the level; the stack trace stays (see :func:`safe_trace`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_QUOTED_LIBRARIES):
            message = record.getMessage()
            cut = _DETAIL.search(message)
            head = (message[: cut.start()] if cut else message)[:80].strip()
            record.msg, record.args = f"{head} (details not logged)", None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                )
        if record.exc_info and record.exc_info[0] is not None:
            payload["error"] = record.exc_info[0].__name__
            payload["trace"] = safe_trace(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def formatException(self, ei: ExcInfo) -> str:
        return safe_trace(ei)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {
            k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        }
        return f"{line} {' '.join(f'{k}={v}' for k, v in fields.items())}" if fields else line


def configure(level: str, fmt: Literal["text", "json"]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else TextFormatter("%(levelname)s %(name)s %(message)s")
    )
    handler.addFilter(RedactUsers())
    handler.addFilter(LibraryDetails())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client and framework loggers print request URLs (the Telegram token is in them) and,
    # at DEBUG, whole requests and replies (what users typed): held at WARNING whatever
    # LOG_LEVEL says. The queue names jobs by user: held too, and masked (RedactUsers).
    for noisy in ("httpx", "httpcore", "saq", "telegram", "slack_sdk", "slack_bolt", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
