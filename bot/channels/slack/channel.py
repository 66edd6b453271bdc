"""Slack requests in, engine events through the shell, Block Kit messages and edits out.

slack-bolt is the transport only: the conversation lives in our Redis sessions, so any
number of processes can serve a user and a restart loses nothing. The only Slack-specific
state kept is where the last question was posted (to rewrite it once answered by typing) and
the user's time zone (for reminders), both per-user values that /forget erases.

Each listener is split the bolt way: ``acknowledge`` answers Slack at once (bolt answers 404
when ack is not called within 3 s, and Slack then shows an error or re-delivers) and a lazy
function does the work after the response has gone. Health answers are private, so the
conversation always runs in the user's direct message with the app; typed in a channel,
``/kneecheck`` only says so, ephemerally.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

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
from bot.store.base import SessionStore, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

LAST_QUESTION = "slack:q"
TIME_ZONE = "tz"
EVENT_SCOPE = "sl-event"
EVENT_MARKER_TTL = 24 * 3600
"""Slack re-delivers an event for about an hour at most; the marker outlives that."""
CONVERSATION_COMMANDS = ("", "start", "restart", "back", "stop", "mydata", "forget")


@dataclass(frozen=True, slots=True)
class Pointer:
    """Where the last question was posted, so a typed answer can rewrite it."""

    channel: str
    ts: str
    step: str
    version: int

    def dump(self) -> str:
        return json.dumps([self.channel, self.ts, self.step, self.version])

    @classmethod
    def load(cls, raw: str | None) -> Pointer | None:
        if not raw:
            return None
        channel, ts, step, version = json.loads(raw)
        return cls(str(channel), str(ts), str(step), int(version))


def _same_question(event: Event | None, reply: Reply) -> bool:
    step, version = getattr(event, "step", None), getattr(event, "version", None)
    return (step, version) == (reply.step, reply.version)


class SlackChannel:
    """bolt listeners for one AsyncApp; holds no conversation logic."""

    def __init__(self, conversations: Conversations, store: SessionStore, *, salt: bytes) -> None:
        self.conversations = conversations
        self.catalog = conversations.catalog
        self.ui = self.catalog.content(None).ui
        self.store = store
        self.salt = salt

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
        known = name if name in CONVERSATION_COMMANDS else "other"  # never what they typed
        log.debug("slack command", extra={"user": user.hashed(self.salt), "command": known})
        try:
            if name not in CONVERSATION_COMMANDS:
                await self.notify(respond, "slack_help")
                return
            try:
                dm = await web.open_dm(client, user.user)
            except web.SEND_ERRORS as exc:
                log.warning("conversations.open failed", extra={"error": web.error_code(exc)})
                await self.notify(respond, "unavailable")
                return
            try:
                turn, extra = await self.command(client, user, name)
            except StoreUnavailable:
                await self.notify(respond, "unavailable")
                return
            if dm != body.get("channel_id"):
                await self.notify(respond, "slack_in_dm")
            if turn is not None:
                await self.show(client, user, dm, turn, None)
            for message in extra:
                await web.send(client, dm, message)
        except Exception:  # never the payload: it holds what the user typed
            log.exception("slack command failed", extra={"user": user.hashed(self.salt)})

    async def command(
        self, client: AsyncWebClient, user: UserRef, name: str
    ) -> tuple[Turn | None, list[render.SlackMessage]]:
        """Run a sub-command: a turn to show, or messages to post in the DM."""
        if name in ("", "start", "restart"):
            locale, tz = await web.profile(client, user.user)
            event: Event = Restart(locale) if name == "restart" else Start(locale)
            turn = await self.conversations.handle(user, event)
            if tz:
                await self.store.put_value(user, TIME_ZONE, tz)
            return turn, []
        if name in ("back", "stop"):
            return await self.conversations.handle(user, Back() if name == "back" else Stop()), []
        if name == "mydata":
            return None, render.messages(await self.conversations.stored_data(user), user.user)
        ui = self.ui
        confirm = render.confirm(
            ui["forget_confirm"],
            (ui["forget_yes"], FORGET_YES),
            (ui["forget_no"], FORGET_NO),
            user.user,
        )
        return None, [confirm]

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
            if pressed.event is None:
                await self.notify(respond, "unknown_option")
                return
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
            if pointer is None or (pointer.step, pointer.version) != (reply.step, reply.version):
                return
            target = (pointer.channel, pointer.ts)
        await web.update(client, *target, render.answered(reply))

    async def remember(self, user: UserRef, pointer: Pointer) -> None:
        """Best effort: without it a typed answer just leaves the question's buttons in place."""
        try:
            await self.store.put_value(user, LAST_QUESTION, pointer.dump())
        except StoreUnavailable:
            log.warning(
                "could not keep the question pointer", extra={"user": user.hashed(self.salt)}
            )
