"""Logging set-up: readable lines in development, JSON lines in production.

Only what we choose goes into a record's fields (``extra=``): hashed user ids,
channel, step, event kind, latency, error codes. Message text, answers and
tokens are never passed to a logger, and the HTTP client loggers that would
print request URLs (which carry the Telegram token) are held at WARNING.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Literal

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


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
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
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
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
