"""What to show and what to do, in channel-neutral terms.

Renderers turn a :class:`Reply` into Telegram HTML with an inline keyboard,
Slack Block Kit, or numbered terminal lines; none of them decides anything.
Texts here are already localised and are plain text: renderers escape them.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from bot.frozen import frozen

ChoiceAction = Literal["choose", "toggle", "submit", "command", "start", "reminder", "confirm"]
"""``start`` begins the flow ``value`` (the follow-up offer); ``reminder`` buttons act on the
user's reminders (value ``keep``/``stop``), not on the flow; ``confirm`` answers a question
of the application's own (erase everything? ``value`` yes or no, ``target`` what)."""
ReplyKind = Literal["question", "prompt", "notice", "answered", "result", "urgent", "info"]


@frozen
class Choice:
    """A button. ``value`` is an option id, or a command name for ``command``."""

    value: str
    label: str
    action: ChoiceAction
    selected: bool = False
    target: tuple[str, int] | None = None
    """What the button acts on when not the reply's own question: (reminder id, due) for a
    reminder's buttons, several of which can share one message (/reminders)."""


@frozen
class Section:
    """A titled block of text; a renderer may split a long reply between sections only."""

    title: str | None = None
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


@frozen
class Reply:
    """One message. ``step``/``version`` identify the question the choices answer.

    ``answered`` replies name a question already shown (same ``step``/``version``)
    so a channel can edit that message into a transcript line.
    """

    kind: ReplyKind
    sections: tuple[Section, ...]
    choices: tuple[Choice, ...] = ()
    step: str | None = None
    version: int = 0
    multi: bool = False
    progress: str | None = None
    tier: str | None = None
    asked: Section | None = None
    """For ``answered``: the question as it was shown, so a channel can rewrite that
    message as question + answer without keeping a copy of what it sent."""

    def text(self) -> str:
        """Plain text of every section, for logs-free tests and simple channels."""
        parts: list[str] = []
        for section in self.sections:
            if section.title:
                parts.append(section.title)
            parts.extend(section.paragraphs)
            parts.extend(f"- {b}" for b in section.bullets)
            parts.extend(f"{i}. {s}" for i, s in enumerate(section.steps, 1))
        return "\n".join(parts)


def notice(text: str) -> Reply:
    """A one-paragraph message that asks nothing: "That question has already moved on"."""
    return Reply(kind="notice", sections=(Section(paragraphs=(text,)),))


@frozen
class Finished:
    """The flow reached an outcome; ``tier`` is set for an assessment.

    ``answers`` go with it (and ``facts``) so the shell can act on a ``follow_up``
    (schedule the chosen reminders) or a ``checkin`` (write the diary entry) without
    reading the session again.
    """

    outcome: str
    tier: str | None
    kind: str = field(default="end", compare=False)
    flow: str = field(default="kneecheck", compare=False)
    answers: tuple[tuple[str, str | tuple[str, ...]], ...] = field(default=(), compare=False)
    locale: str | None = field(default=None, compare=False)
    """The conversation's language: what it sets up (reminders) speaks it later too."""

    def answer(self, step: str) -> str | tuple[str, ...] | None:
        return dict(self.answers).get(step)


@frozen
class Stopped:
    """The user stopped: anything scheduled for them must be cancelled."""


Effect = Finished | Stopped
