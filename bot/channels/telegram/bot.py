"""Telegram updates in, engine events through the shell, Bot API requests out.

python-telegram-bot is the transport: its request stack, rate limiter, polling
and error types. The conversation state lives in our Redis sessions (not PTB's
persistence), so any number of processes can serve a user and a restart loses
nothing. The hot path reads the update JSON (``updates.parse``) and sends with
``Bot.do_api_request``, skipping PTB's object model, which costs more than the
turn itself. The only Telegram-specific state kept is the id of the last
question message (to rewrite it once answered by typing) and a blocked-user
marker, both per-user values that /forget erases.

A turn's replies are owed until sent (see :mod:`bot.conversations`). Telegram re-delivers an
update when the webhook answers anything but 2xx, for up to a day: so when sending fails after
the save (a timeout, a 5xx, the process stopping), the webhook answers 503 and the re-delivery
sends the owed replies instead of running the turn again. Long polling confirms every update it
takes, so there the user's next update sends them first. A message the user deleted is not a
failure: its edit becomes a new message. A reply Telegram refuses for good (a 400) is skipped,
so one bad message never holds up the rest or makes Telegram retry for a day.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from telegram import Bot, BotCommand, InputFile, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)
from telegram.request import BaseRequest

from bot.actions import STARTS, Action, Actions, Command, Outcome, Press, Typed
from bot.catalog.content import Content
from bot.channels.pointer import Pointer, Showing
from bot.channels.telegram.entry import BLOCKED, LAST_QUESTION, NAME, PREFIX
from bot.channels.telegram.render import (
    Keyboard,
    answered_html,
    keyboard,
    markup_json,
    messages,
    plain,
)
from bot.channels.telegram.updates import Incoming, parse
from bot.conversations import Taken
from bot.engine import Event, Reply
from bot.metrics import ERRORS
from bot.store.base import Once, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

HTML = "HTML"
UPDATE_SCOPE = "tg-update"
UPDATE_MARKER_TTL = 24 * 3600
"""Telegram re-delivers an update for at most a day; the marker outlives that."""
CHANNEL_KEY = "kneecheck.channel"
"""Where the Application keeps its channel (``bot_data``), for the webhook handler."""


class TelegramChannel:
    """Turns one update into one turn and its Bot API calls; holds no conversation logic."""

    def __init__(self, actions: Actions, *, salt: bytes) -> None:
        self.actions = actions
        self.conversations = actions.conversations
        self.catalog = actions.catalog
        self.store = actions.store
        self.salt = salt

    # -- wiring -------------------------------------------------------------------------

    def register(self, app: Application) -> None:  # type: ignore[type-arg]  # PTB generics
        app.bot_data[CHANNEL_KEY] = self
        app.add_handler(TypeHandler(Update, self.on_polled_update))
        app.add_error_handler(self.on_error)

    async def set_commands(self, app: Application) -> None:  # type: ignore[type-arg]
        """Register the command menu in every language we have content for."""
        for locale, content in self.catalog.contents.items():
            described = {**self.catalog.content(None).commands, **content.commands}
            commands = [BotCommand(name, described[name]) for name in self.actions.commands()]
            language = None if locale == self.catalog.default_locale else locale
            await app.bot.set_my_commands(commands, language_code=language)

    async def on_polled_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.handle(update.to_dict(), context.bot)
        except NotDelivered:
            # Polling confirms every update it took: no re-delivery. The replies stay owed
            # and go out first with whatever the user does next.
            log.warning("replies not delivered: owed until the user's next update")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never the update itself: it holds what the user typed.
        ERRORS.labels(where="telegram").inc()
        log.error("error while handling an update", exc_info=context.error)

    # -- one update ---------------------------------------------------------------------

    async def handle(self, update: dict[str, Any], bot: Bot) -> None:
        """Handle one update (from the webhook or from polling), once across processes.

        Raises :class:`NotDelivered` when replies a saved turn owes could not be sent: the
        webhook then answers Telegram with a 503, and Telegram delivers the update again.
        """
        incoming = parse(update)
        if incoming is None:
            return
        out = Sender(bot, self, UserRef(PREFIX, str(incoming.user_id)), incoming)
        content = self.catalog.content(incoming.language)
        try:
            async with self.conversations.one_at_a_time(out.user):  # shown in order
                await self.dispatch(incoming, out, content)
        except StoreUnavailable:
            if incoming.kind == "button":
                await out.answer(content.ui["unavailable"], alert=True)
            else:
                await out.send_text(content.ui["unavailable"])

    async def dispatch(self, incoming: Incoming, out: Sender, content: Content) -> None:
        """Hand the update to the application as an action, and show what it brings."""
        action: Action
        match incoming.kind:
            case "foreign":
                await out.answer(content.ui["not_yours"], alert=True)
                return
            case "command":
                if incoming.text in STARTS:
                    await self.store.delete_value(out.user, BLOCKED)  # back: unblocked us
                action = Command(incoming.text)
            case "text":
                action = Typed(incoming.text)
            case _:
                action = Press(incoming.data)
        once = Once(UPDATE_SCOPE, str(incoming.update_id), UPDATE_MARKER_TTL)
        outcome = await self.actions.act(
            out.user, action, channel=NAME, locale=incoming.language, once=once
        )
        await self.show_outcome(out, outcome)

    async def show_outcome(self, out: Sender, outcome: Outcome) -> None:
        if outcome.duplicate:
            log.info("duplicate update ignored", extra={"update_id": out.incoming.update_id})
            return
        if outcome.notices:
            await out.answer(" ".join(plain(r) for r in outcome.notices)[:200])
        if outcome.taken is not None:
            await self.deliver(out, outcome.taken, outcome.pressed)
        await out.answer()  # a press that showed no notice still stops spinning
        for index, reply in enumerate(outcome.replies):
            if index == 0 and outcome.replaces and out.incoming.kind == "button":
                await out.edit_reply(out.incoming.message_id, reply)
            else:
                await out.send(reply)
        if outcome.picture is not None:
            await out.send_photo(outcome.picture.png, outcome.picture.title)

    async def deliver(self, out: Sender, taken: Taken, pressed: Event | None) -> None:
        """Show what is owed, then the turn, and settle the outbox: sent replies are deleted,
        the rest left owed (a network error, a timeout, a cancelled handler), so the update's
        re-delivery or the user's next update sends them. ``pressed`` goes with the replies of
        this update itself (its own owed replies when Telegram delivered it again)."""
        batches = [(o.key, o.replies, o.key == taken.key) for o in taken.owed]
        if taken.turn is not None:
            batches.append((taken.key if taken.saved else "", taken.turn.replies, True))
        showing = Showing(self.store, out.user, LAST_QUESTION)
        sent: list[str] = []
        for index, (key, replies, here) in enumerate(batches):
            try:
                await self.show(
                    out,
                    replies,
                    pressed if here else None,
                    showing,
                    here=here,
                    replay=bool(taken.owed),
                )
            except BaseException as exc:
                left: dict[str, Sequence[Reply] | None] = {k: None for k, *_ in batches[index:]}
                if key:
                    left[key] = replies[showing.at :]
                left.pop("", None)
                await self._settle_quietly(out.user, sent, left, showing)
                if isinstance(exc, TelegramError) and left:
                    raise NotDelivered("replies left owed in the outbox") from exc
                if isinstance(exc, TelegramError):
                    log.warning("reply not sent", extra={"error": type(exc).__name__})
                    return
                raise
            if key:
                sent.append(key)
        values = showing.values()
        if sent or values:
            await self.conversations.settle(out.user, sent=sent, values=values)
        if taken.in_flight:
            raise NotDelivered("the update's replies are being sent by another handler")

    async def _settle_quietly(
        self,
        user: UserRef,
        sent: Sequence[str],
        left: Mapping[str, Sequence[Reply] | None],
        showing: Showing,
    ) -> None:
        """After a failed send: without Redis the claims simply expire (a lease later)."""
        with contextlib.suppress(StoreUnavailable):
            await self.conversations.settle(user, sent=sent, left=left, values=showing.values())

    async def show(
        self,
        out: Sender,
        replies: Sequence[Reply],
        pressed: Event | None,
        showing: Showing,
        *,
        here: bool,
        replay: bool,
    ) -> None:
        """Send ``replies``. ``here``: they answer this update (so the pressed message is the
        one to edit); ``replay``: owed replies were shown in this pass, so a question the
        user already has (the pointer says so) is brought up to date, not sent twice."""
        showing.at = 0
        if here and out.incoming.kind == "button":
            notices = [r for r in replies if r.kind == "notice"]
            if replies and len(notices) == len(replies):
                await out.answer(" ".join(plain(r) for r in notices)[:200])
                showing.at = len(replies)
                return
            await out.answer()
        for index, reply in enumerate(replies):
            showing.at = index
            try:
                await self.show_one(out, reply, pressed, showing, here=here, replay=replay)
            except BadRequest as exc:
                # Refused for good (markup Telegram will not take): sending it again cannot
                # help, and the replies after it still can.
                ERRORS.labels(where="telegram").inc()
                log.error("reply refused by Telegram", extra={"error": str(exc)[:80]})
        showing.at = len(replies)

    async def show_one(
        self,
        out: Sender,
        reply: Reply,
        pressed: Event | None,
        showing: Showing,
        *,
        here: bool,
        replay: bool,
    ) -> None:
        if reply.kind == "answered":
            await self.rewrite_answered(out, reply, showing, here=here)
            return
        shown: Pointer | None = None
        if reply.kind == "question" and reply.step:
            if pressed is not None and _same_question(pressed, reply):
                shown = Pointer(out.chat, str(out.incoming.message_id), reply.step, reply.version)
            elif replay:
                pointer = await showing.pointer()
                shown = pointer if pointer is not None and pointer.asked(reply) else None
        if shown is not None:
            assert reply.step is not None
            moved = await out.edit_keyboard(int(shown.message), keyboard(reply), reply)
            if moved is not None:  # the message was gone: sent anew
                showing.point(Pointer(out.chat, str(moved), reply.step, reply.version))
            return
        sent = await out.send(reply)
        if reply.kind == "question" and sent is not None and reply.step:
            showing.point(Pointer(out.chat, str(sent), reply.step, reply.version))

    async def rewrite_answered(
        self, out: Sender, reply: Reply, showing: Showing, *, here: bool
    ) -> None:
        """Turn the question message into question + chosen answer, without buttons."""
        message_id = out.incoming.message_id if here and out.incoming.kind == "button" else None
        if message_id is None:
            pointer = await showing.pointer()
            if pointer is None or not pointer.asked(reply):
                return
            message_id = int(pointer.message)
        await out.edit(message_id, answered_html(reply), html=True)

    async def blocked(self, user: UserRef) -> None:
        log.info("user blocked the bot", extra={"user": user.hashed(self.salt)})
        await self.store.put_value(user, BLOCKED, "1")


class NotDelivered(Exception):
    """Replies a saved turn owes could not be sent now (the Bot API failed or timed out, or
    another handler is sending them): they stay in the outbox. Answering the webhook with a
    503 makes Telegram deliver the update again, and its replies go out then."""


class MessageGone(BadRequest):
    """The message to edit is not there any more (the user deleted it)."""


GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


class Sender:
    """The Bot API calls of one update, through PTB's request stack and rate limiter."""

    def __init__(
        self, bot: Bot, channel: TelegramChannel, user: UserRef, incoming: Incoming
    ) -> None:
        self.bot = bot
        self.channel = channel
        self.user = user
        self.incoming = incoming
        self.answered = False
        self.chat = str(incoming.chat_id)
        """Parameters go as strings: PTB passes strings through and JSON-encodes the rest."""

    async def call(self, method: str, **params: Any) -> Any:
        """One Bot API call; a user who blocked the bot is marked so nothing more is sent.

        Sent by ``do_api_request`` under its lower-case name (Bot API method names are
        case-insensitive), which keeps PTB's request stack and rate limiter but skips
        building a ``Message`` from every response; PTB asks to use its typed methods
        for names it knows, and does not know the lower-case spelling.
        """
        try:
            return await self.bot.do_api_request(method.lower(), api_kwargs=params)
        except Forbidden:
            await self.channel.blocked(self.user)
            return None
        except BadRequest as exc:
            refusal = str(exc).lower()
            if "not modified" in refusal:
                return None
            if any(gone in refusal for gone in GONE):
                raise MessageGone(str(exc)) from exc
            raise

    async def send(self, reply: Reply) -> int | None:
        """Send ``reply`` (split if long); the id of its last message."""
        last: int | None = None
        for part in messages(reply):
            params: dict[str, Any] = {"chat_id": self.chat, "text": part.text, "parse_mode": HTML}
            if part.keyboard is not None:
                params["reply_markup"] = markup_json(part.keyboard)
            sent = await self.call("sendMessage", **params)
            if isinstance(sent, dict) and isinstance(sent.get("message_id"), int):
                last = sent["message_id"]
        return last

    async def send_text(self, text: str, buttons: Keyboard | None = None) -> None:
        params: dict[str, Any] = {"chat_id": self.chat, "text": text}
        if buttons is not None:
            params["reply_markup"] = markup_json(buttons)
        await self.call("sendMessage", **params)

    async def edit(self, message_id: int | None, text: str, *, html: bool = False) -> None:
        """Rewrite a message's text; if the user deleted it, the text comes as a new one."""
        if message_id is None:
            return
        params: dict[str, Any] = {"chat_id": self.chat, "message_id": str(message_id), "text": text}
        if html:
            params["parse_mode"] = HTML
        try:
            await self.call("editMessageText", **params)
        except MessageGone:
            del params["message_id"]
            await self.call("sendMessage", **params)

    async def edit_reply(self, message_id: int | None, reply: Reply) -> None:
        """Rewrite a message (a list that changed) with ``reply``'s text and buttons; sent
        anew if the message is gone."""
        if message_id is None:
            return
        part = messages(reply)[-1]
        params: dict[str, Any] = {
            "chat_id": self.chat,
            "message_id": str(message_id),
            "text": part.text,
            "parse_mode": HTML,
        }
        if part.keyboard is not None:
            params["reply_markup"] = markup_json(part.keyboard)
        try:
            await self.call("editMessageText", **params)
        except MessageGone:
            await self.send(reply)

    async def send_photo(self, png: bytes, caption: str) -> None:
        """A picture (the diary chart): PTB's typed method, for its multipart upload."""
        try:
            await self.bot.send_photo(
                chat_id=self.chat, photo=InputFile(png, filename="diary.png"), caption=caption
            )
        except Forbidden:
            await self.channel.blocked(self.user)

    async def edit_keyboard(
        self, message_id: int, markup: Keyboard | None, reply: Reply
    ) -> int | None:
        """Update the buttons of the question ``reply`` shows (a tick). None when edited in
        place; if the user deleted the message, the question is sent anew: its new id."""
        params: dict[str, Any] = {"chat_id": self.chat, "message_id": str(message_id)}
        if markup is not None:
            params["reply_markup"] = markup_json(markup)
        try:
            await self.call("editMessageReplyMarkup", **params)
        except MessageGone:
            return await self.send(reply)
        return None

    async def answer(self, text: str = "", *, alert: bool = False) -> None:
        """Answer the pressed button once (so it stops spinning), with an optional notice."""
        if self.incoming.kind not in ("button", "foreign") or self.answered:
            return
        self.answered = True
        params: dict[str, Any] = {"callback_query_id": self.incoming.query_id}
        if text:
            params["text"] = text
        if alert:
            params["show_alert"] = True
        await _quietly(self.call("answerCallbackQuery", **params))


async def _quietly(call: Awaitable[Any]) -> None:
    """A callback answer that comes too late is not worth failing the turn for."""
    try:
        await call
    except BadRequest as exc:
        log.info("callback answer refused", extra={"error": str(exc)[:80]})


def _same_question(pressed: Event, reply: Reply) -> bool:
    """The reply re-asks the very question whose button was pressed (a tick): edit in place."""
    step = getattr(pressed, "step", None)
    version = getattr(pressed, "version", None)
    return (step, version) == (reply.step, reply.version)


def build_application(
    channel: TelegramChannel,
    token: str,
    *,
    base_url: str | None = None,
    polling: bool = True,
    concurrent_updates: int | BaseUpdateProcessor = 16,
    request: BaseRequest | None = None,
    max_rate: float = 30,
) -> Application:  # type: ignore[type-arg]
    """The PTB Application: rate limiter on, no PTB persistence or job queue, our handler.

    ``max_rate`` is Telegram's overall limit for one bot (30 messages a second); a bot
    with a raised limit, or a benchmark against a stub, sets it (0 turns it off).

    ``request`` replaces PTB's HTTP layer (the benchmark answers Bot API calls at that seam).
    """
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(overall_max_rate=max_rate, max_retries=3))
        .concurrent_updates(concurrent_updates)
        .post_init(channel.set_commands)
    )
    if base_url:
        builder = builder.base_url(base_url)
    if not polling:
        builder = builder.updater(None)
    if request is not None:
        builder = builder.request(request)
    app = builder.build()
    channel.register(app)
    return app
