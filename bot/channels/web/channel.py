"""One action from the page in, the messages it brings out: the web chat's core.

It holds no conversation logic: :meth:`bot.actions.Actions.act` decides, and this module
only decides where each part of the :class:`~bot.actions.Outcome` goes. The conversation
(owed replies, the turn, views, the chart) goes into the user's inbox stream, which every
tab reads; notices go to the tab that acted alone (the post's answer), like a toast. A
saved turn's replies are owed (see :mod:`bot.conversations`) until they are in the stream:
appending them is this channel's delivery, so the outbox is settled right after, and if
Redis fails in between, the user's next action shows them first.

/forget erases the stream with everything else, so its answer is not appended (that would
write the user's data anew): it goes back to the tab that asked, which clears its page.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from bot.actions import Action, Actions, Chosen, Outcome, Press
from bot.channels.web.entry import NAME
from bot.channels.web.render import Message, message, picture
from bot.channels.web.stream import Inbox
from bot.conversations import Taken
from bot.engine import Event, Reply
from bot.frozen import frozen
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)


@frozen
class Shown:
    """What one action showed, for the tab that acted (its post's answer)."""

    messages: tuple[Message, ...] = ()
    """Appended to the inbox (with their ids): every tab shows them from the event stream."""
    notices: tuple[Message, ...] = ()
    """For this tab alone."""
    cleared: bool = False
    """Everything was erased (/forget): the tab clears its page, then shows ``messages``."""


class WebChat:
    def __init__(self, actions: Actions, inbox: Inbox, *, salt: bytes) -> None:
        self.actions = actions
        self.conversations = actions.conversations
        self.inbox = inbox
        self.salt = salt

    async def act(
        self, user: UserRef, action: Action, *, locale: str | None, pressed_on: str | None
    ) -> Shown:
        """Run ``action`` and put what it shows where it belongs. ``pressed_on``: the id of
        the message whose button was pressed (an updated list replaces it).

        Raises :class:`StoreUnavailable` when Redis is away (nothing owed is lost)."""
        async with self.conversations.one_at_a_time(user):  # appended in the order applied
            outcome = await self.actions.act(user, action, channel=NAME, locale=locale)
            if outcome.duplicate:
                return Shown()
            return await self._show(user, outcome, action, pressed_on)

    async def _show(
        self,
        user: UserRef,
        outcome: Outcome,
        action: Action,
        pressed_on: str | None,
    ) -> Shown:
        notices = [message(r) for r in outcome.notices]
        batches: list[tuple[str, Sequence[Reply]]] = []
        pressed: Event | None = None
        if outcome.taken is not None:
            batches, quiet = _batches(outcome.taken, pressed_by=action)
            notices += [message(r) for r in quiet]
            pressed = outcome.pressed
        shown = [message(r, pressed=pressed) for _, replies in batches for r in replies]
        for index, reply in enumerate(outcome.replies):
            rendered = message(reply)
            if index == 0 and outcome.replaces and pressed_on:
                rendered["replaces"] = pressed_on
            shown.append(rendered)
        if outcome.picture is not None:
            shown.append(picture(outcome.picture))
        if outcome.erased:  # the stream is gone with the rest: this answer is the tab's alone
            return Shown(messages=tuple(shown), notices=tuple(notices), cleared=True)
        keys = [key for key, _ in batches if key]
        try:
            ids = await self.inbox.add(user, shown)
        except StoreUnavailable:
            with contextlib.suppress(StoreUnavailable):  # owed until the next action
                await self.conversations.settle(user, left=dict.fromkeys(keys))
            raise
        if keys:
            await self.conversations.settle(user, sent=keys)
        added = tuple({"id": i, **m} for i, m in zip(ids, shown, strict=True))
        return Shown(messages=added, notices=tuple(notices))


def _batches(
    taken: Taken, *, pressed_by: Action
) -> tuple[list[tuple[str, Sequence[Reply]]], Sequence[Reply]]:
    """The owed replies and the turn's, each under its outbox key ("" for a turn that saved
    nothing); and the turn's replies for the presser alone: a press answered only with
    notices ("that question has already moved on") changed nothing anyone else should see."""
    batches: list[tuple[str, Sequence[Reply]]] = [(o.key, o.replies) for o in taken.owed]
    turn = taken.turn
    if turn is None or taken.in_flight:
        return batches, ()
    replies: Sequence[Reply] = turn.replies
    quiet: Sequence[Reply] = ()
    if (
        isinstance(pressed_by, Press | Chosen)
        and replies
        and all(r.kind == "notice" for r in replies)
    ):
        quiet, replies = replies, ()
    batches.append((taken.key if taken.saved else "", replies))
    return batches, quiet
