"""Replies as Telegram messages: HTML with every dynamic string escaped, inline keyboards.

Pure functions, unit-tested without Telegram. A long reply is split between
sections, never inside one, so each message stays under Telegram's 4,096
characters (``kneecheck flows check`` guarantees every section fits alone).
"""

from __future__ import annotations

from html import escape

import orjson

from bot.engine.buttons import encode_choice
from bot.engine.replies import Reply, Section
from bot.frozen import frozen

MESSAGE_LIMIT = 4096
TICKED, UNTICKED = "\u2705 ", "\u2b1c "


Button = dict[str, str]
Keyboard = dict[str, list[list[Button]]]
"""An ``InlineKeyboardMarkup`` as the Bot API JSON it is sent as (no PTB objects to build)."""


def markup_json(markup: Keyboard) -> str:
    """``reply_markup`` as PTB sends a string parameter: as is (orjson: compact, UTF-8)."""
    return orjson.dumps(markup).decode()


@frozen
class TelegramMessage:
    text: str
    keyboard: Keyboard | None = None


def section_html(section: Section) -> str:
    lines: list[str] = []
    if section.title:
        lines.append(f"<b>{escape(section.title, quote=False)}</b>")
    lines += [escape(p, quote=False) for p in section.paragraphs]
    lines += [f"\u2022 {escape(b, quote=False)}" for b in section.bullets]
    lines += [f"{i}. {escape(s, quote=False)}" for i, s in enumerate(section.steps, 1)]
    return "\n".join(lines)


def keyboard(reply: Reply) -> Keyboard | None:
    """Options one per row (labels are long); Done and Back share the last row."""
    if not reply.choices:
        return None
    rows: list[list[Button]] = []
    last_row: list[Button] = []
    for choice in reply.choices:
        label = choice.label
        if choice.action == "toggle":
            label = (TICKED if choice.selected else UNTICKED) + label
        button = {"text": label, "callback_data": encode_choice(choice, reply.step, reply.version)}
        if choice.action in ("submit", "command") and reply.kind == "question":
            last_row.append(button)
        else:
            rows.append([button])
    if last_row:
        rows.append(last_row)
    return {"inline_keyboard": rows}


def messages(reply: Reply) -> list[TelegramMessage]:
    """One reply as one or more messages; the keyboard goes on the last one."""
    chunks: list[str] = []
    current = ""
    for section in reply.sections:
        html = section_html(section)
        if not html:
            continue
        joined = f"{current}\n\n{html}" if current else html
        if len(joined) > MESSAGE_LIMIT and current:
            chunks.append(current)
            joined = html
        current = joined
    if current:
        chunks.append(current)
    if not chunks:
        return []
    out = [TelegramMessage(text) for text in chunks[:-1]]
    out.append(TelegramMessage(chunks[-1], keyboard(reply)))
    return out


def answered_html(reply: Reply) -> str:
    """The question message rewritten as a transcript line: question, then the answer."""
    question = section_html(reply.asked) if reply.asked else ""
    answer = f"\u27a1\ufe0f <b>{escape(reply.text(), quote=False)}</b>"
    return f"{question}\n\n{answer}" if question else answer


def plain(reply: Reply) -> str:
    """The reply's text without markup, for callback-query notices (200 characters max)."""
    return reply.text()[:200]
