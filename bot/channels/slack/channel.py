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

from bot.catalog.content import Content
from bot.channels.pointer import Pointer, Showing
from bot.channels.slack import render, web
from bot.channels.slack.entry import LAST_QUESTION
from bot.channels.slack.payloads import (
    FORGET_NO,
    FORGET_YES,
    Press,
    direct_message,
    press,
    subcommand,
    ticks,
    user_ref,
)
from bot.conversations import Conversations, Taken
from bot.engine import Back, Event, Reply, Restart, Start, Stop, Submit, Text
from bot.follow_ups import FollowUpViews
from bot.frozen import frozen
from bot.metrics import ERRORS
from bot.reminders.buttons import ReminderPress
from bot.reminders.service import ReminderService
from bot.store.base import Once, SessionStore, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

TIME_ZONE = "tz"
EVENT_SCOPE = "sl-event"
EVENT_MARKER_TTL = 24 * 3600
"""Slack re-delivers an event for about an hour at most; the marker outlives that."""
FOLLOW_UP_COMMANDS = ("reminders", "diary", "summary")
"""Known only when the channel has the reminder service."""
CONVERSATION_COMMANDS = ("", "start", "restart", "back", "stop", "mydata", "forget")
CHART_FILENAME = "kneecheck-diary.png"


@frozen
class Answer:
    """What a sub-command brings to the DM: a turn (or owed replies) to show, messages, a
    chart to upload."""

    taken: Taken | None = None
    messages: tuple[render.SlackMessage, ...] = ()
    chart: bytes | None = None


def _same_question(event: Event | None, reply: Reply) -> bool:
    step, version = getattr(event, "step", None), getattr(event, "version", None)
    return (step, version) == (reply.step, reply.version)


class SlackChannel:
    """bolt listeners for one AsyncApp; holds no conversation logic."""

    def __init__(
        self,
        conversations: Conversations,
        store: SessionStore,
        *,
        salt: bytes,
        reminders: ReminderService | None = None,
    ) -> None:
        self.conversations = conversations
        self.catalog = conversations.catalog
        self.content: Content = self.catalog.content(None)
        self.ui = self.content.ui
        self.store = store
        self.salt = salt
        self.reminders = reminders
        self.follow_ups = FollowUpViews(conversations, reminders) if reminders else None
        self.commands = CONVERSATION_COMMANDS + (FOLLOW_UP_COMMANDS if reminders else ())

    def _who(self, user: UserRef) -> dict[str, str]:
        return {"user": user.hashed(self.salt)}

    async def acknowledge(self, ack: AsyncAck) -> None:
        await ack()

    async def notify(self, respond: AsyncRespond, key: str) -> None:
        """Tell only the person who acted, in a line of interface text."""
        await web.whisper(respond, render.plain_message(self.ui[key]))

    # -- /kneecheck ---------------------------------------------------------------------

    async def on_command(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        user = user_ref(body.get("team_id"), body.get("user_id"))
        if user is None:
            return
        name = subcommand(str(body.get("text") or ""))
        known = name if name in self.commands else "other"  # never what they typed
        log.debug("slack command", extra={"user": user.hashed(self.salt), "command": known})
        if name not in self.commands:
            await self.notify(respond, "slack_help")
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
        """Open the DM, run the sub-command, show its answer there (a turn, what is owed)."""
        try:
            dm = await web.open_dm(client, user.user)
        except web.SEND_ERRORS as exc:
            log.warning("conversations.open failed", extra={"error": web.error_code(exc)})
            await self.notify(respond, "unavailable")
            return
        try:
            answer = await self.command(client, user, name)
        except StoreUnavailable:
            await self.notify(respond, "unavailable")
            return
        if dm != body.get("channel_id"):
            await self.notify(respond, "slack_in_dm")
        if answer.taken is not None:
            await self.deliver(client, user, dm, answer.taken, None)
        for message in answer.messages:
            await web.send(client, dm, message)
        if answer.chart is not None:
            await self.post_chart(client, user, dm, answer.chart)

    async def command(self, client: AsyncWebClient, user: UserRef, name: str) -> Answer:
        """Run a sub-command: a turn to show, or messages (or a chart) to post in the DM."""
        if name in ("", "start", "restart"):
            # The zone first: the facts a flow starts with (is the zone known?) are read at
            # the start of the turn, and the follow-up offer at the end of the check asks them.
            locale = await self.keep_profile(client, user)
            event: Event = Restart(locale) if name == "restart" else Start(locale)
            return Answer(taken=await self.conversations.take(user, event))
        if name in ("back", "stop"):
            event = Back() if name == "back" else Stop()
            return Answer(taken=await self.conversations.take(user, event))
        owed = await self.conversations.owed(user)  # shown before the command's answer
        if name == "mydata":
            reply = await self.conversations.stored_data(user)
            return Answer(owed, messages=tuple(render.messages(reply, user.user)))
        if name in FOLLOW_UP_COMMANDS:
            return replace(await self.follow_up_command(user, name), taken=owed)
        ui = self.ui
        confirm = render.confirm(
            ui["forget_confirm"],
            (ui["forget_yes"], FORGET_YES),
            (ui["forget_no"], FORGET_NO),
            user.user,
        )
        return Answer(owed, messages=(confirm,))

    async def keep_profile(self, client: AsyncWebClient, user: UserRef) -> str | None:
        """Keep the user's Slack time zone (for reminders); their Slack locale, if known."""
        locale, tz = await web.profile(client, user.user)
        if tz:
            await self.store.put_value(user, TIME_ZONE, tz)
        return locale

    async def follow_up_command(self, user: UserRef, name: str) -> Answer:
        """/kneecheck reminders, diary or summary."""
        views = self.follow_ups
        assert views is not None  # not a known command without the reminder service
        content = self.content
        if name == "reminders":
            reply = await views.reminders(user, content)
        elif name == "summary":
            reply = await views.summary(user, content)  # one short note: one message
        else:
            chart = await views.diary_chart(user, content)
            if chart is not None:
                return Answer(chart=chart)
            return Answer(messages=(render.plain_message(content.ui["diary_empty"]),))
        return Answer(messages=tuple(render.messages(reply, user.user)))

    async def post_chart(self, client: AsyncWebClient, user: UserRef, dm: str, png: bytes) -> None:
        """The diary chart as a picture in the DM; as lines of text if Slack refuses the file."""
        title = self.ui["diary_chart_title"]
        if await web.upload(client, dm, png, filename=CHART_FILENAME, title=title):
            return
        assert self.follow_ups is not None
        text = await self.follow_ups.diary_text(user, self.content)
        for message in render.messages(text, user.user):
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
        await self.notify(respond, "slack_not_yours" if pressed.owner else "unknown_option")
        return True

    async def pressed(self, client: AsyncWebClient, respond: AsyncRespond, pressed: Press) -> None:
        if await self.refused(respond, pressed):
            return
        try:
            if pressed.value in (FORGET_YES, FORGET_NO):
                await self.answer_forget(client, pressed, erase=pressed.value == FORGET_YES)
                return
            if pressed.reminder is not None and self.reminders is not None:
                await self.reminder_pressed(client, respond, pressed, pressed.reminder)
                return
            if pressed.event is None:
                await self.notify(respond, "unknown_option")
                return
            if isinstance(pressed.event, Start):
                # A flow started by a button (the follow-up offer, a check-in): the zone as
                # Slack has it now, before the flow reads its facts.
                await self.keep_profile(client, pressed.user)
            taken = await self.conversations.take(pressed.user, pressed.event)
        except StoreUnavailable:
            await self.notify(respond, "unavailable")
            return
        turn = taken.turn
        assert turn is not None  # a button press is never a re-delivery
        if turn.replies and all(r.kind == "notice" for r in turn.replies):
            # Stale, unknown, "already the first question"...: only the presser needs to know.
            for reply in turn.replies:
                for message in render.messages(reply, pressed.user.user):
                    await web.whisper(respond, message)
            if not taken.owed and not taken.saved:
                return
            taken = replace(taken, turn=replace(turn, replies=()))
        channel = pressed.channel or await web.open_dm(client, pressed.user.user)
        await self.deliver(client, pressed.user, channel, taken, pressed)

    async def reminder_pressed(
        self,
        client: AsyncWebClient,
        respond: AsyncRespond,
        pressed: Press,
        reminder: ReminderPress,
    ) -> None:
        """Done, snooze, pause, resume, move or stop: what the reminder service says to it."""
        assert self.reminders is not None
        owner = pressed.user.user
        owed = await self.conversations.owed(pressed.user)
        if owed.owed:
            dm = pressed.channel or await web.open_dm(client, owner)
            await self.deliver(client, pressed.user, dm, owed, None)
        async with self.conversations.working(pressed.user):  # a /forget waits for it
            replies = await self.reminders.press(pressed.user, reminder)
        for reply in replies:
            if reply.kind == "notice":
                for message in render.messages(reply, owner):
                    await web.whisper(respond, message)
            elif (
                reminder.due == 0
                and reply.kind == "info"
                and reply.sections[0].title
                and pressed.channel
                and pressed.message_ts
            ):
                # Pressed on /kneecheck reminders (or its time picker): the list, updated
                # in place.
                parts = render.messages(reply, owner)
                await web.update(client, pressed.channel, pressed.message_ts, parts[-1])
            else:
                dm = pressed.channel or await web.open_dm(client, owner)
                for message in render.messages(reply, owner):
                    await web.send(client, dm, message)

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
            await self.notify(respond, "unknown_option")
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

    async def answer_forget(self, client: AsyncWebClient, pressed: Press, *, erase: bool) -> None:
        if erase:
            await self.conversations.forget(pressed.user)
        text = self.ui["forgotten" if erase else "forget_cancelled"]
        if pressed.channel and pressed.message_ts:
            await web.update(
                client, pressed.channel, pressed.message_ts, render.plain_message(text)
            )

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
                    taken = await self.conversations.take(user, Text(message.text), once=once)
                except StoreUnavailable:
                    await web.send(
                        client, message.channel, render.plain_message(self.ui["unavailable"])
                    )
                    return
                if taken.turn is None and not taken.owed:
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
