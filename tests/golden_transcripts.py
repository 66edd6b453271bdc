"""Golden transcripts: conversations a user would have, replayable on any channel.

Each ``tests/golden/*.yaml`` file is one conversation (see tests/golden/README.md).
This module is the schema and the loader; it shares only the names of reply
kinds and tiers with the engine and knows no channel, so the engine tests, the
Telegram tests and the Slack tests can all replay the same files and check each
turn with :meth:`Expect.problems`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.catalog.content import Tier
from bot.catalog.yamlio import load_yaml
from bot.engine.replies import ReplyKind as Kind

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

Command = Literal["back", "restart", "stop"]
ACTIONS = ("start", "say", "press", "tick", "command")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What the last reply of a turn must be; every field is optional."""

    kind: Kind | None = None
    step: str | None = None
    tier: Tier | None = None
    contains: tuple[str, ...] = ()
    """Substrings that must all be in the reply's text."""
    absent: tuple[str, ...] = ()
    """Substrings that must not be anywhere in the reply's text."""
    said: tuple[str, ...] = ()
    """Substrings of any message of the turn (for example the notice before a question)."""
    max_words: int | None = None
    """At most this many words in the reply's text: a first message fits a phone screen."""

    def problems(
        self,
        *,
        kind: str,
        step: str | None,
        tier: str | None,
        text: str,
        turn_text: str | None = None,
        message: str | None = None,
    ) -> list[str]:
        """Every way the last reply (``text``) and all the turn's messages (``turn_text``,
        default ``text``) differ from this expectation; empty when they match. ``message`` is
        the reply's words as the user reads them, without its buttons (default ``text``)."""
        everything = text if turn_text is None else turn_text
        found: list[str] = []
        if self.kind is not None and kind != self.kind:
            found.append(f"kind is {kind!r}, expected {self.kind!r}")
        if self.step is not None and step != self.step:
            found.append(f"step is {step!r}, expected {self.step!r}")
        if self.tier is not None and tier != self.tier:
            found.append(f"tier is {tier!r}, expected {self.tier!r}")
        found += [f"missing {s!r}" for s in self.contains if s not in text]
        found += [f"should not say {s!r}" for s in self.absent if s in text]
        found += [f"the turn never said {s!r}" for s in self.said if s not in everything]
        words = len((text if message is None else message).split())
        if self.max_words is not None and words > self.max_words:
            found.append(f"{words} words, more than {self.max_words}")
        return found


class StartArgs(_Strict):
    locale: str | None = None
    """Overrides the transcript's locale for this start."""


class UserTurn(_Strict):
    """One thing the user does (exactly one of the actions), and what they then see."""

    start: StartArgs | None = None
    """Begin (or resume) a check: /start on Telegram, the app's Start on Slack."""
    say: str | None = None
    """Type a message."""
    press: str | None = None
    """Press a button on the latest message with buttons: an option id, ``done``,
    or a command button (``back``, ``resume``, ``restart``)."""
    tick: tuple[str, ...] | None = Field(default=None, min_length=1)
    """Press each of these option buttons on a multi-choice question, without Done."""
    command: Command | None = None
    """Type a command: /back, /restart or /stop."""
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> UserTurn:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"each turn needs exactly one of {', '.join(ACTIONS)}; got {given}")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


class Transcript(_Strict):
    name: str
    """What the conversation shows, in a user's terms."""
    locale: str = "en"
    turns: tuple[UserTurn, ...] = Field(min_length=1)
    file: str = ""
    """The file it was loaded from (set by the loader; a test id)."""

    @property
    def id(self) -> str:
        return Path(self.file).stem or self.name


class GoldenError(ValueError):
    """A golden file does not follow the format; the message names the file and the place."""


def load_transcript(path: Path) -> Transcript:
    try:
        transcript = Transcript.model_validate(load_yaml(path))
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise GoldenError(f"{path}: {where}") from exc
    return transcript.model_copy(update={"file": path.name})


def load_transcripts(directory: Path = GOLDEN_DIR) -> list[Transcript]:
    """Every ``*.yaml`` golden transcript in ``directory``, sorted by file name."""
    return [load_transcript(path) for path in sorted(directory.glob("*.yaml"))]
