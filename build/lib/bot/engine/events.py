"""What a user did, in channel-neutral terms.

Events are plain frozen values: no platform objects, no connections. A channel
adapter builds them from a Telegram update, a Slack payload or a terminal line.
"""

from __future__ import annotations

from bot.frozen import frozen


@frozen
class Start:
    """Begin a check, or offer to resume one in progress.

    ``flow`` names the flow to begin (a check-in, from its reminder's button); without
    it, the default flow.
    """

    locale: str | None = None
    flow: str | None = None


@frozen
class Resume:
    """Show the current question again ("Continue" on the resume prompt)."""


@frozen
class Choose:
    """Pick ``option`` on single-choice ``step``, as shown at question version ``version``."""

    step: str
    option: str
    version: int


@frozen
class Toggle:
    """Tick or untick ``option`` on multi-choice ``step``."""

    step: str
    option: str
    version: int


@frozen
class Submit:
    """Done on a multi-choice step; ``options`` replaces the ticks when given."""

    step: str
    version: int
    options: tuple[str, ...] | None = None


@frozen
class Text:
    text: str


@frozen
class Back:
    pass


@frozen
class Restart:
    """Begin the current flow (or ``flow``) again, answers cleared."""

    locale: str | None = None
    flow: str | None = None


@frozen
class Stop:
    pass


Event = Start | Resume | Choose | Toggle | Submit | Text | Back | Restart | Stop
