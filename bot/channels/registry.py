"""The channels kneecheck has, and what each brings to the processes that run them.

``kneecheck serve`` mounts the routes of every configured channel, ``kneecheck worker``
delivers reminders through their couriers, and the store is built knowing every value a
channel keeps per user (so /forget erases it). Nothing else names a channel: the reminders,
the store and the engine import none, and no channel imports :mod:`bot.wiring` (it is handed
the :class:`~bot.parts.App` parts instead). Adding a channel is one package with an
``entry`` module, and one line in :data:`ENTRIES`.

An entry module must stay light: it is imported by every process, so it names what its
channel needs and imports the platform's library only inside the functions that build it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.frozen import frozen

if TYPE_CHECKING:
    from aiohttp import web

    from bot.parts import App
    from bot.reminders.service import Courier
    from bot.settings import Settings


@frozen
class Entry:
    """One channel, as the processes see it."""

    name: str
    """What operators call it (logs, `kneecheck config`)."""
    prefix: str
    """The ``UserRef.channel`` of its users: whose reminders its courier delivers."""
    values: frozenset[str] = frozenset()
    """The per-user values it stores (a last question's message id, a block marker)."""
    configured: Callable[[Settings], bool] = lambda settings: False
    """Whether this deployment runs it (its token is set)."""
    courier: Callable[[App], Courier] | None = None
    """Sends a reminder later, from any process (``kneecheck worker``)."""
    mount: Callable[[web.Application, App], None] | None = None
    """Adds its routes to ``kneecheck serve``'s web app."""


def entries() -> tuple[Entry, ...]:
    from bot.channels.slack.entry import ENTRY as SLACK
    from bot.channels.telegram.entry import ENTRY as TELEGRAM
    from bot.channels.terminal_entry import ENTRY as TERMINAL
    from bot.channels.web.entry import ENTRY as WEB

    return (TELEGRAM, SLACK, TERMINAL, WEB)


def user_values() -> frozenset[str]:
    """Every per-user value any channel may store, configured or not: a user of a channel
    this process does not run is still erased whole by /forget."""
    return frozenset().union(*(entry.values for entry in entries()))


def configured(settings: Settings) -> tuple[Entry, ...]:
    return tuple(entry for entry in entries() if entry.configured(settings))


def couriers(app: App) -> dict[str, Courier]:
    """A courier per configured channel that sends later; a platform without a token is
    never contacted."""
    return {
        entry.prefix: entry.courier(app)
        for entry in configured(app.settings)
        if entry.courier is not None
    }


def mount(web_app: web.Application, app: App) -> tuple[str, ...]:
    """The routes of every configured channel; the names of those mounted."""
    mounted = []
    for entry in configured(app.settings):
        if entry.mount is not None:
            entry.mount(web_app, app)
            mounted.append(entry.name)
    return tuple(mounted)
