"""Replies as Slack Block Kit: pure functions, unit-tested without Slack.

Why this shape:
- Every dynamic string goes into ``mrkdwn`` escaped (``&``, ``<``, ``>``), so an answer
  label or content text can never become a link, a mention or broken markup. The fallback
  ``text`` Slack shows in notifications is mrkdwn too, so it is escaped the same way.
- Buttons carry the shared codec string (:mod:`bot.engine.buttons`) as both ``action_id``
  and ``value``: the codec strings of one reply are unique, and the same decoder serves
  Telegram and Slack.
- A multi-choice question is a ``checkboxes`` element (ticks shown as ``initial_options``)
  plus a Done button. The Slack client keeps the ticks; Done submits the ticked set at
  once (see :mod:`bot.channels.slack.payloads`), so rapid ticks never race a re-render.
- Every ``block_id`` names the conversation's owner, so a press by anyone else is
  recognised without a lookup.
- Slack refuses a message over 50 blocks or a section over 3,000 characters, and the
  assessment is long: sections are split at line breaks (then words) and blocks spread over
  as many messages as needed; buttons and the disclaimer go on the last one.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from bot.actions import STARTS
from bot.engine.buttons import encode_choice
from bot.engine.replies import Choice, Reply, Section
from bot.frozen import frozen

Block = dict[str, Any]
_BOLD_LINE = re.compile(r"(?m)^(\u27a1\ufe0f )?\*(.+)\*$")

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
MESSAGE_CHARS = 12_000
"""A soft limit per message: long enough for several sections, short enough to read."""
FALLBACK_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
OPTION_TEXT_LIMIT = 150
CHECKBOX_OPTIONS = 10
ACTIONS_ELEMENTS = 25
TICKS_PREFIX = "ticks:"
"""``action_id`` prefix of checkbox groups: ``ticks:<step>:<version>:<group>``."""
ANSWER_MARK = "\u27a1\ufe0f"
DISCLAIMED = ("result", "urgent")
"""Reply kinds whose last section is the disclaimer (see bot/engine/assessment.py)."""


@frozen
class SlackMessage:
    """One ``chat.postMessage``: fallback ``text`` (always given) and the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


_COMMAND = re.compile(
    r"(?<![\w/])/(start|kneecheck|back|restart|stop|help|mydata|forget|reminders|diary|summary)\b"
)


def slack_commands(text: str) -> str:
    """Content names commands as on Telegram (``/start``, ``/forget``); Slack has one slash
    command with sub-commands, so ``/forget`` reads ``/kneecheck forget`` here."""
    return _COMMAND.sub(lambda m: "/kneecheck" if m[1] in STARTS else f"/kneecheck {m[1]}", text)


def escape(text: str) -> str:
    """Slack's three control characters (nothing else needs escaping in mrkdwn), with
    commands spelled the Slack way."""
    return slack_commands(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def section_mrkdwn(section: Section) -> str:
    lines: list[str] = []
    if section.title:
        lines.append(f"*{escape(section.title)}*")
    lines += [escape(p) for p in section.paragraphs]
    lines += [f"\u2022 {escape(b)}" for b in section.bullets]
    lines += [f"{i}. {escape(s)}" for i, s in enumerate(section.steps, 1)]
    return "\n".join(lines)


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit``: at line breaks, else at spaces, else anywhere
    but inside an escape such as ``&amp;``."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", cut - 5, cut)
            if amp > 0 and ";" not in rest[amp:cut]:
                cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def text_block(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def block_id(owner: str, number: int) -> str:
    return f"kc:{owner}:{number}"


def owner_of(block: str | None) -> str | None:
    """The user a block was rendered for, or None when the id is not one of ours."""
    parts = (block or "").split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "kc" and parts[1] else None


def _button(choice: Choice, reply: Reply, *, primary: bool = False) -> Block:
    data = encode_choice(choice, reply.step, reply.version)
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": shorten(choice.label, BUTTON_TEXT_LIMIT)},
        "action_id": data,
        "value": data,
    }
    if primary:
        button["style"] = "primary"
    return button


def _option(choice: Choice, reply: Reply) -> Block:
    return {
        "text": {"type": "plain_text", "text": shorten(choice.label, OPTION_TEXT_LIMIT)},
        "value": encode_choice(choice, reply.step, reply.version),
    }


def _chunks(items: list[Block], size: int) -> list[list[Block]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def choice_blocks(reply: Reply, owner: str) -> list[Block]:
    """Answers first (buttons, or checkbox groups of ten), then Done and Back together.

    Buttons that are not answers (Done, Back, a flow's start button, reminder buttons, each
    carrying its own reminder and occurrence) share the last row(s)."""
    answers = [c for c in reply.choices if c.action in ("choose", "toggle")]
    others = [c for c in reply.choices if c.action not in ("choose", "toggle")]
    elements: list[Block] = []
    if any(c.action == "toggle" for c in answers):
        ticked = {encode_choice(c, reply.step, reply.version) for c in answers if c.selected}
        options = [_option(c, reply) for c in answers]
        for number, group in enumerate(_chunks(options, CHECKBOX_OPTIONS)):
            box: Block = {
                "type": "checkboxes",
                "action_id": f"{TICKS_PREFIX}{reply.step}:{reply.version}:{number}",
                "options": group,
            }
            initial = [o for o in group if o["value"] in ticked]
            if initial:
                box["initial_options"] = initial
            elements.append(box)
    else:
        elements += [_button(c, reply) for c in answers]
    rows = _chunks(elements, ACTIONS_ELEMENTS)
    buttons = [_button(c, reply, primary=c.action == "submit") for c in others]
    if others and others[0].action == "confirm":
        buttons[0]["style"] = "danger"  # a confirmation's first answer is the one that acts
    rows += _chunks(buttons, ACTIONS_ELEMENTS)
    rows = [row for row in rows if row]
    return [
        {"type": "actions", "block_id": block_id(owner, number), "elements": row}
        for number, row in enumerate(rows)
    ]


def disclaimer_block(section: Section) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": section_mrkdwn(section)}]}


def fallback(parts: list[str]) -> str:
    """The notification text: the message's own words without bold, still escaped
    (Slack reads ``text`` as mrkdwn too)."""
    text = _BOLD_LINE.sub(r"\1\2", "\n\n".join(p for p in parts if p))
    return shorten(text, FALLBACK_LIMIT) or "kneecheck"


def messages(reply: Reply, owner: str) -> list[SlackMessage]:
    """One reply as one or more messages within Block Kit limits; buttons on the last one."""
    sections = list(reply.sections)
    tail: list[Block] = choice_blocks(reply, owner) if reply.choices else []
    if reply.kind in DISCLAIMED and len(sections) > 1:
        tail.append(disclaimer_block(sections.pop()))
    pages: list[tuple[list[Block], list[str]]] = [([], [])]
    for section in sections:
        mrkdwn = section_mrkdwn(section)
        for piece in split_text(mrkdwn):
            blocks, texts = pages[-1]
            size = sum(len(t) for t in texts) + len(piece)
            if blocks and (len(blocks) + 1 > MAX_BLOCKS - len(tail) or size > MESSAGE_CHARS):
                pages.append(([], []))
                blocks, texts = pages[-1]
            blocks.append(text_block(piece))
            texts.append(piece)
    out = [SlackMessage(fallback(texts), blocks) for blocks, texts in pages if blocks]
    if not out:
        if not tail:
            return []
        out = [SlackMessage(fallback([]), [])]
    last = out[-1]
    out[-1] = SlackMessage(last.text, [*last.blocks, *tail])
    return out


def answered(reply: Reply) -> SlackMessage:
    """The question message rewritten as a transcript line: question, then the answer."""
    question = section_mrkdwn(reply.asked) if reply.asked else ""
    answer = f"{ANSWER_MARK} *{escape(reply.text())}*"
    blocks = [text_block(piece) for piece in split_text(question)]
    blocks.append(text_block(shorten(answer, SECTION_LIMIT)))
    return SlackMessage(fallback([question, answer]), blocks)


def plain_message(text: str) -> SlackMessage:
    """A line of interface text (help, a notice) as a message."""
    pieces = split_text(escape(text))
    return SlackMessage(fallback(pieces), [text_block(p) for p in pieces])
