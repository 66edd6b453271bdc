"""What a post brings in, read without trusting it: its body, its action, its language.

Pure but for reading the body; nothing here touches Redis or the conversation.
"""

from __future__ import annotations

from aiohttp import web

from bot.actions import Action, Actions, Command, Press
from bot.channels.json_in import read_json
from bot.channels.web.stream import valid_id

MAX_BODY = 16 * 1024
"""A post is a line of text or a button's payload: 16 KB is far more than either."""
MAX_PRESS = 256


async def body(request: web.Request) -> bytes | None:
    """The whole body, or None past :data:`MAX_BODY` (said by its length, or found while
    reading one sent in chunks), never reading more than that."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    read = b""
    while chunk := await request.content.readany():
        read += chunk
        if len(read) > MAX_BODY:
            return None
    return read


def action(raw: bytes, actions: Actions) -> tuple[Action, str | None] | None:
    """The action a post asks for and the id of the message whose button was pressed; None
    when it is not one we take. ``{"text"}`` starting with a known ``/command`` is that
    command, as on every other channel."""
    try:
        payload = read_json(raw)
    except ValueError:
        return None
    if not isinstance(payload, dict) or len(payload) > 2:
        return None
    text, press, command = payload.get("text"), payload.get("press"), payload.get("command")
    if isinstance(text, str) and text.strip():
        return actions.typed(text.strip()), None
    if isinstance(press, str) and 0 < len(press) <= MAX_PRESS:
        on = payload.get("message")
        return Press(press), valid_id(on) if isinstance(on, str) else None
    if isinstance(command, str) and actions.knows(command):
        return Command(command), None
    return None


def locale(request: web.Request) -> str | None:
    """The first language of ``Accept-Language`` (``en-GB``), or None."""
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip()
    if not first or first == "*" or len(first) > 35:
        return None
    return first if all(part.isalnum() and part.isascii() for part in first.split("-")) else None
