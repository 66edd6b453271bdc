"""Slack requests in, engine events through the shell, Block Kit messages and edits out.

slack-bolt is the transport only: the conversation lives in our Redis sessions, so any
number of processes can serve a user and a restart loses nothing. The only Slack-specific
state kept is where the last question was posted (to rewrite it once answered by typing) and
the user's time zone (for reminders), both per-user values that /forget erases. The zone is
taken from ``users.info`` before a check starts, so the follow-up offer at its end knows it
and never asks (Telegram users are asked once).

Follow-ups: ``/kneecheck reminders``, ``diary`` (a PNG chart uploaded into the DM) and
``summary`` post in the DM like ``mydata``. Reminder buttons go to the reminder service:
its notices are told to the presser only, an updated list replaces the pressed list, and
anything else (a time picker) is posted in the DM. Reminders themselves are sent by the
worker (:mod:`bot.channels.slack.courier`).

Each listener is split the bolt way: ``acknowledge`` answers Slack at once (bolt answers 404
when ack is not called within 3 s, and Slack then shows an error or re-delivers) and a lazy
function does the work after the response has gone. Health answers are private, so the
conversation always runs in the user's direct message with the app; typed in a channel,
``/kneecheck`` only says so, ephemerally.

A turn's replies are owed until sent (see :mod:`bot.conversations`). Since Slack has its 200
before the work starts, a failed post cannot make Slack deliver the event again: the replies
stay in the outbox and go out first with whatever the user does next (typing, a button, a
command). An event Slack does re-deliver (its ack was lost) sends what it still owes instead
of running again. A message the user deleted is posted anew rather than updated; a message
Slack refuses for good is skipped, so it never holds the others up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions import HELP, START, Action, Actions, Chosen, Command, Outcome, Picture, Typed
from bot.actions import Press as Press_
from bot.catalog.content import Content
from bot.channels.pointer import Pointer, Showing
from bot.channels.slack import render, web
from bot.channels.slack.entry import LAST_QUESTION, NAME
from bot.channels.slack.payloads import (
    Press,
    direct_message,
    press,
    subcommand,
    ticks,
    user_ref,
)
from bot.conversations import Taken
from bot.engine import Event, Reply, Restart, Start, Submit
from bot.metrics import ERRORS
from bot.store.base import Once, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

TIME_ZONE = "tz"
EVENT_SCOPE = "sl-event"
EVENT_MARKER_TTL = 24 * 3600
"""Slack re-delivers an event for about an hour at most; the marker outlives that."""
CHART_FILENAME = "kneecheck-diary.png"


def _same_question(event: Event | None, reply: Reply) -> bool:
    step, version = getattr(event, "step", None), getattr(event, "version", None)
    return (step, version) == (reply.step, reply.version)


class SlackChannel:
    """bolt listeners for one AsyncApp; holds no conversation logic."""

    def __init__(self, actions: Actions, *, salt: bytes) -> None:
        self.actions = actions
        self.conversations = actions.conversations
        self.catalog = actions.catalog
        self.content: Content = self.catalog.content(None)
        self.ui = self.content.ui
        self.store = actions.store
        self.salt = salt

    def _who(self, user: UserRef) -> dict[str, str]:
        return {"user": user.hashed(self.salt)}

    async def acknowledge(self, ack: AsyncAck) -> None:
        await ack()

    async def notify(self, respond: AsyncRespond, key: str, user: UserRef | None = None) -> None:
        """Tell only the person who acted, in a line of interface text, in their language
        (their conversation's: Slack tells it only when a check starts). With Redis away, the
        default language: there is nothing to read it from."""
        content = self.content
        if user is not None and key != "unavailable":
            with contextlib.suppress(StoreUnavailable):
                content = await self.actions.content_for(user)
        await web.whisper(respond, render.plain_message(content.ui[key]))

    # -- /kneecheck ---------------------------------------------------------------------

    async def on_command(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        user = user_ref(body.get("team_id"), body.get("user_id"))
        if user is None:
            return
        name = subcommand(str(body.get("text") or "")) or START
        known = name if self.actions.knows(name) else "other"  # never what they typed
        log.debug("slack command", extra={"user": user.hashed(self.salt), "command": known})
        if known in ("other", HELP):
            await self.notify(respond, "slack_help", user)  # where it was typed, to them alone
            return
        try:
            async with self.conversations.one_at_a_time(user):  # shown in order
                await self.run_command(body, client, respond, user, name)
        except Exception:  # never the payload: it holds what the user typed
            log.exception("slack command failed", extra={"user": user.hashed(self.salt)})

    async def run_command(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        user: UserRef,
        name: str,
    ) -> None:
        """Open the DM, run the sub-command, show what it brings there."""
        try:
            dm = await web.open_dm(client, user.user)
        except web.SEND_ERRORS as exc:
            log.warning("conversations.open failed", extra={"error": web.error_code(exc)})
            await self.notify(respond, "unavailable")
            return
        action = Command(name)
        try:
            locale = await self.keep_profile(client, user, self.actions.event(action))
            outcome = await self.actions.act(user, action, channel=NAME, locale=locale)
        except StoreUnavailable:
            await self.notify(respond, "unavailable")
            return
        if dm != body.get("channel_id"):
            await self.notify(respond, "slack_in_dm", user)
        await self.show_outcome(client, respond, user, dm, outcome, None)

    async def keep_profile(
        self, client: AsyncWebClient, user: UserRef, event: Event | None
    ) -> str | None:
        """Before a flow starts: keep the user's Slack time zone (for reminders; the follow-up
        offer at the end of a check reads it with the flow's facts, at the start of the
        turn), and return their Slack locale, if known."""
        if not isinstance(event, Start | Restart):
            return None
        locale, tz = await web.profile(client, user.user)
        if tz:
            await self.store.put_value(user, TIME_ZONE, tz)
        return locale

    async def show_outcome(
        self,
        client: AsyncWebClient,
        respond: AsyncRespond,
        user: UserRef,
        channel: str,
        outcome: Outcome,
        pressed: Press | None,
    ) -> None:
        """What is owed and the turn, then notices to the presser alone, then the rest: an
        updated list or a confirmation's answer replaces the pressed message."""
        if outcome.taken is not None:
            await self.deliver(client, user, channel, outcome.taken, pressed)
        for reply in outcome.notices:
            for message in render.messages(reply, user.user):
                await web.whisper(respond, message)
        for index, reply in enumerate(outcome.replies):
            parts = render.messages(reply, user.user)
            if (
                index == 0
                and outcome.replaces
                and pressed
                and pressed.channel
                and pressed.message_ts
            ):
                await web.update(client, pressed.channel, pressed.message_ts, parts[-1])
                continue
            for message in parts:
                await web.send(client, channel, message)
        if outcome.picture is not None:
            await self.post_chart(client, user, channel, outcome.picture)

    async def post_chart(
        self, client: AsyncWebClient, user: UserRef, dm: str, picture: Picture
    ) -> None:
        """The diary chart as a picture in the DM; as lines of text if Slack refuses the file."""
        png, title = picture.png, picture.title
        if await web.upload(client, dm, png, filename=CHART_FILENAME, title=title):
            return
        for message in render.messages(picture.fallback, user.user):
            await web.send(client, dm, message)

    # -- buttons --------------------------------------------------------------------------

    async def on_action(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        pressed = press(body)
        if pressed is None:
            return
        try:
            async with self.conversations.one_at_a_time(pressed.user):  # shown in order
                await self.pressed(client, respond, pressed)
        except Exception:
            log.exception("slack action failed", extra={"user": pressed.user.hashed(self.salt)})

    async def refused(self, respond: AsyncRespond, pressed: Press) -> bool:
        """Someone else's message, or a block we never rendered: change nothing, say so."""
        if pressed.owner == pressed.user.user:
            return False
        key = "slack_not_yours" if pressed.owner else "unknown_option"
        await self.notify(respond, key, pressed.user)
        return True

    async def pressed(self, client: AsyncWebClient, respond: AsyncRespond, pressed: Press) -> None:
        if await self.refused(respond, pressed):
            return
        action: Action = Press_(pressed.value)
        if pressed.ticks:
            # Done on a question of checkboxes: the ticks are Slack's, read off the message.
            if pressed.event is None:
                await self.notify(respond, "unknown_option", pressed.user)
                return
            action = Chosen(pressed.event)
        try:
            # A flow started by a button (the follow-up offer, a check-in): the zone as Slack
            # has it now, before the flow reads its facts.
            await self.keep_profile(client, pressed.user, self.actions.event(action))
            outcome = await self.actions.act(pressed.user, action, channel=NAME)
        except StoreUnavailable:
            await self.notify(respond, "unavailable")
            return
        taken = outcome.taken
        if taken is not None and taken.turn is not None:
            turn = taken.turn
            if turn.replies and all(r.kind == "notice" for r in turn.replies):
                # Stale, unknown, "already the first question"...: only the presser needs to
                # know.
                for reply in turn.replies:
                    for message in render.messages(reply, pressed.user.user):
                        await web.whisper(respond, message)
                quiet = taken.owed or taken.saved
                taken = replace(taken, turn=replace(turn, replies=())) if quiet else None
                outcome = replace(outcome, taken=taken)
        channel = pressed.channel or await web.open_dm(client, pressed.user.user)
        await self.show_outcome(client, respond, pressed.user, channel, outcome, pressed)

    async def on_ticks(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A checkbox change: the Slack client keeps it; we only check it, saving nothing.

        The check is the engine's own answer to the Done these ticks would make, run on the
        stored session without saving: a question that has moved on, a stopped check or a
        box we never rendered is told at once, exactly as Done would tell it.
        """
        pressed = ticks(body)
        if pressed is None:
            return
        try:
            await self.check_ticks(respond, pressed)
        except Exception:
            log.exception("slack ticks failed", extra={"user": pressed.user.hashed(self.salt)})

    async def check_ticks(self, respond: AsyncRespond, pressed: Press) -> None:
        if await self.refused(respond, pressed):
            return
        if pressed.event is None:
            await self.notify(respond, "unknown_option", pressed.user)
            return
        if not isinstance(pressed.event, Submit) or not pressed.event.options:
            return  # nothing ticked yet: Done will say what is missing
        try:
            preview = await self.conversations.preview(pressed.user, pressed.event)
        except StoreUnavailable:
            await self.notify(respond, "unavailable")
            return
        if preview.replies and all(r.kind == "notice" for r in preview.replies):
            for reply in preview.replies:
                for message in render.messages(reply, pressed.user.user):
                    await web.whisper(respond, message)

    # -- typed in the DM ----------------------------------------------------------------------

    async def on_message(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        message = direct_message(body)
        if message is None:
            return
        user = message.user
        once = Once(EVENT_SCOPE, message.event_id, EVENT_MARKER_TTL)
        try:
            async with self.conversations.one_at_a_time(user):  # shown in order
                try:
                    outcome = await self.actions.act(
                        user, Typed(message.text), channel=NAME, once=once
                    )
                except StoreUnavailable:
                    await web.send(
                        client, message.channel, render.plain_message(self.ui["unavailable"])
                    )
                    return
                taken = outcome.taken
                if taken is None or (taken.turn is None and not taken.owed):
                    log.info("re-delivered event ignored", extra=self._who(user))
                    return
                await self.deliver(client, user, message.channel, taken, None)
        except Exception:
            log.exception("slack message failed", extra={"user": user.hashed(self.salt)})

    # -- showing a turn -------------------------------------------------------------------------

    async def deliver(
        self,
        client: AsyncWebClient,
        user: UserRef,
        channel: str,
        taken: Taken,
        pressed: Press | None,
    ) -> None:
        """Show what is owed, then the turn, in ``channel``, and settle the outbox: what was
        sent is deleted, what could not be (Slack or the network failing) stays owed for the
        user's next action."""
        batches = [(o.key, o.replies) for o in taken.owed]
        if taken.turn is not None:
            batches.append((taken.key if taken.saved else "", taken.turn.replies))
        showing = Showing(self.store, user, LAST_QUESTION)
        sent: list[str] = []
        for index, (key, replies) in enumerate(batches):
            here = taken.turn is not None and index == len(batches) - 1
            try:
                await self.show(
                    client,
                    user,
                    channel,
                    replies,
                    pressed if here else None,
                    showing,
                    replay=bool(taken.owed),
                )
            except BaseException as exc:
                left: dict[str, Sequence[Reply] | None] = {k: None for k, _ in batches[index:]}
                if key:
                    left[key] = replies[showing.at :]
                left.pop("", None)
                with contextlib.suppress(StoreUnavailable):
                    await self.conversations.settle(
                        user, sent=sent, left=left, values=showing.values()
                    )
                if not isinstance(exc, web.SEND_ERRORS):
                    raise
                log.warning(
                    "replies not delivered: owed until the user's next action",
                    extra={"user": user.hashed(self.salt), "error": web.error_code(exc)},
                )
                return
            if key:
                sent.append(key)
        values = showing.values()
        if not sent and not values:
            return
        try:
            await self.conversations.settle(user, sent=sent, values=values)
        except StoreUnavailable:  # the claims expire: sent again with the next action
            log.warning("outbox not settled", extra={"user": user.hashed(self.salt)})

    async def show(
        self,
        client: AsyncWebClient,
        user: UserRef,
        channel: str,
        replies: Sequence[Reply],
        pressed: Press | None,
        showing: Showing,
        *,
        replay: bool,
    ) -> None:
        """Post ``replies``; ``replay``: owed replies were shown in this pass, so a question
        the user already has (the pointer says so) is brought up to date, not posted twice."""
        for index, reply in enumerate(replies):
            showing.at = index
            try:
                await self.show_one(client, user, channel, reply, pressed, showing, replay=replay)
            except SlackApiError as exc:
                if web.worth_retrying(exc):
                    raise
                # Refused for good (blocks Slack will not take, a user who left): posting it
                # again cannot help, and the replies after it still can.
                ERRORS.labels(where="slack").inc()
                log.warning("reply refused by Slack", extra={"error": web.error_code(exc)})
        showing.at = len(replies)

    async def show_one(
        self,
        client: AsyncWebClient,
        user: UserRef,
        channel: str,
        reply: Reply,
        pressed: Press | None,
        showing: Showing,
        *,
        replay: bool,
    ) -> None:
        if reply.kind == "answered":
            await self.rewrite_answered(client, user, channel, reply, pressed, showing)
            return
        parts = render.messages(reply, user.user)
        if replay and reply.kind == "question" and reply.step and parts:
            pointer = await self._pointer(user, showing)
            if (
                pointer is not None
                and pointer.asked(reply)
                and await web.edit(client, pointer.place, pointer.message, parts[-1])
            ):
                return
        ts = None
        for message in parts:
            ts = await web.post(client, channel, message) or ts
        if reply.kind == "question" and reply.step and ts:
            showing.point(Pointer(channel, ts, reply.step, reply.version))

    async def rewrite_answered(
        self,
        client: AsyncWebClient,
        user: UserRef,
        channel: str,
        reply: Reply,
        pressed: Press | None,
        showing: Showing,
    ) -> None:
        """Turn the question message into question + chosen answer, without buttons (posted
        as a new message if the user deleted the question)."""
        if (
            pressed
            and pressed.channel
            and pressed.message_ts
            and _same_question(pressed.event, reply)
        ):
            target = (pressed.channel, pressed.message_ts)
        else:
            pointer = await self._pointer(user, showing)
            if pointer is None or not pointer.asked(reply):
                return
            target = (pointer.place, pointer.message)
        message = render.answered(reply)
        if not await web.edit(client, *target, message):
            await web.post(client, target[0], message)

    async def _pointer(self, user: UserRef, showing: Showing) -> Pointer | None:
        """Best effort: without it a typed answer just leaves the question's buttons."""
        try:
            return await showing.pointer()
        except StoreUnavailable:
            log.warning("question pointer unavailable", extra={"user": user.hashed(self.salt)})
            return None
