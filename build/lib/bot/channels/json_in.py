"""Reading the JSON that chat platforms send: orjson, with the standard library behind it.

A Telegram update or a Slack interactivity payload (which carries the whole message it was
pressed on) is the largest JSON a turn reads; orjson reads it several times faster. It is
also stricter (a lone UTF-16 surrogate escape, for one): what it refuses, the
standard library still reads, so nothing a platform sends is lost to the speed-up.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def read_json(data: str | bytes) -> Any:
    """The parsed JSON; ``ValueError`` when it is not JSON at all, or nested deeper than any
    real update (orjson refuses past 1,024 levels; the stdlib fallback would recurse)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc).lower() or "recursion" in str(exc).lower():
            raise ValueError("JSON nested too deep") from exc
        try:
            return json.loads(data)
        except RecursionError as deep:
            raise ValueError("JSON nested too deep") from deep
