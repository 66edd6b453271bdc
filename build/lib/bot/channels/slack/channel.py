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
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog.content import Content
from bot.channels.pointer import Pointer
from bot.channels.slack import render, web
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
from bot.conversations import Conversations
from bot.engine import Back, Event, Reply, Restart, Start, Stop, Submit, Text, Turn
from bot.follow_ups import FollowUpViews
from bot.frozen import frozen
from bot.reminders.buttons import ReminderPress
from bot.reminders.service import ReminderService
from bot.store.base import SessionStore, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

LAST_QUESTION = "slack:q"
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
    """What a sub-command brings to the DM: a turn to show, messages, a chart to upload."""

    turn: Turn | None = None
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
        try:
            if name not in self.commands:
                await self.notify(respond, "slack_help")
                return
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
            if answer.turn is not None:
                await self.show(client, user, dm, answer.turn, None)
            for message in answer.messages:
                await web.send(client, dm, message)
            if answer.chart is not None:
                await self.post_chart(client, user, dm, answer.chart)
        except Exception:  # never the payload: it holds what the user typed
            log.exception("slack command failed", extra={"user": user.hashed(self.salt)})

    async def command(self, client: AsyncWebClient, user: UserRef, name: str) -> Answer:
        """Run a sub-command: a turn to show, or messages (or a chart) to post in the DM."""
        if name in ("", "start", "restart"):
            # The zone first: the facts a flow starts with (is the zone known?) are read at
            # the start of the turn, and the follow-up offer at the end of the check asks them.
            locale = await self.keep_profile(client, user)
            event: Event = Restart(locale) if name == "restart" else Start(locale)
            return Answer(turn=await self.conversations.handle(user, event))
        if name in ("back", "stop"):
            event = Back() if name == "back" else Stop()
            return Answer(turn=await self.conversations.handle(user, event))
        if name == "mydata":
            reply = await self.conversations.stored_data(user)
            return Answer(messages=tuple(render.messages(reply, user.user)))
        if name in FOLLOW_UP_COMMANDS:
            return await self.follow_up_command(user, name)
        ui = self.ui
        confirm = render.confirm(
            ui["forget_confirm"],
            (ui["forget_yes"], FORGET_YES),
            (ui["forget_no"], FORGET_NO),
            user.user,
        )
        return Answer(messages=(confirm,))

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
            turn = await self.conversations.handle(pressed.user, pressed.event)
        except StoreUnavailable:
            await self.notify(respond, "unavailable")
            return
        if turn.replies and all(r.kind == "notice" for r in turn.replies):
            # Stale, unknown, "already the first question"...: only the presser needs to know.
            for reply in turn.replies:
                for message in render.messages(reply, pressed.user.user):
                    await web.whisper(respond, message)
            return
        if pressed.channel is not None:
            await self.show(client, pressed.user, pressed.channel, turn, pressed)

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
        for reply in await self.reminders.press(pressed.user, reminder):
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
        try:
            try:
                first = await self.store.first_time(
                    EVENT_SCOPE, message.event_id, ttl_seconds=EVENT_MARKER_TTL
                )
                if not first:
                    log.info("re-delivered event ignored", extra={"user": user.hashed(self.salt)})
                    return
                turn = await self.conversations.handle(user, Text(message.text))
            except StoreUnavailable:
                await web.send(
                    client, message.channel, render.plain_message(self.ui["unavailable"])
                )
                return
            await self.show(client, user, message.channel, turn, None)
        except Exception:
            log.exception("slack message failed", extra={"user": user.hashed(self.salt)})

    # -- showing a turn -------------------------------------------------------------------------

    async def show(
        self, client: AsyncWebClient, user: UserRef, channel: str, turn: Turn, pressed: Press | None
    ) -> None:
        for reply in turn.replies:
            if reply.kind == "answered":
                await self.rewrite_answered(client, user, reply, pressed)
                continue
            ts = None
            for message in render.messages(reply, user.user):
                ts = await web.send(client, channel, message) or ts
            if reply.kind == "question" and reply.step and ts:
                pointer = Pointer(channel, ts, reply.step, reply.version)
                await self.remember(user, pointer)

    async def rewrite_answered(
        self, client: AsyncWebClient, user: UserRef, reply: Reply, pressed: Press | None
    ) -> None:
        """Turn the question message into question + chosen answer, without buttons."""
        if (
            pressed
            and pressed.channel
            and pressed.message_ts
            and _same_question(pressed.event, reply)
        ):
            target = (pressed.channel, pressed.message_ts)
        else:
            try:
                pointer = Pointer.load(await self.store.get_value(user, LAST_QUESTION))
            except StoreUnavailable:
                return
            if pointer is None or not pointer.asked(reply):
                return
            target = (pointer.place, pointer.message)
        await web.update(client, *target, render.answered(reply))

    async def remember(self, user: UserRef, pointer: Pointer) -> None:
        """Best effort: without it a typed answer just leaves the question's buttons in place."""
        try:
            await self.store.put_value(user, LAST_QUESTION, pointer.dump())
        except StoreUnavailable:
            log.warning(
                "could not keep the question pointer", extra={"user": user.hashed(self.salt)}
            )
