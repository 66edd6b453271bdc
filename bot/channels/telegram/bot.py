"""Telegram updates in, engine events through the shell, messages and edits out.

python-telegram-bot is the transport only: the conversation state lives in our
Redis sessions (not PTB's persistence) so any number of processes can serve a
user and a restart loses nothing. The only Telegram-specific state kept is the
id of the last question message (to rewrite it once answered by typing) and a
blocked-user marker, both per-user values that /forget erases.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.catalog.content import Content
from bot.channels.telegram.render import answered_html, keyboard, messages, plain
from bot.conversations import Conversations
from bot.engine import Back, Event, Reply, Restart, Start, Stop, Text, Turn
from bot.engine.buttons import decode
from bot.store.base import SessionStore, StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

FORGET_YES, FORGET_NO = "x|forget|yes|0", "x|forget|no|0"
LAST_QUESTION = "tg:q"
BLOCKED = "tg:blocked"
UPDATE_MARKER_TTL = 24 * 3600
"""Telegram re-delivers an update for at most a day; the marker outlives that."""
COMMANDS = ("start", "kneecheck", "back", "restart", "stop", "help", "mydata", "forget")
EVENT_COMMANDS: dict[str, type[Back] | type[Restart] | type[Stop]] = {
    "back": Back,
    "restart": Restart,
    "stop": Stop,
}

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True, slots=True)
class Pointer:
    """Where the last question was shown, so a typed answer can rewrite it."""

    chat: int
    message: int
    step: str
    version: int

    def dump(self) -> str:
        return json.dumps([self.chat, self.message, self.step, self.version])

    @classmethod
    def load(cls, raw: str | None) -> Pointer | None:
        if not raw:
            return None
        chat, message, step, version = json.loads(raw)
        return cls(int(chat), int(message), str(step), int(version))


def user_of(update: Update) -> UserRef | None:
    user = update.effective_user
    return UserRef("tg", str(user.id)) if user is not None and not user.is_bot else None


class TelegramChannel:
    """Handlers for one Application; holds no conversation logic."""

    def __init__(self, conversations: Conversations, store: SessionStore, *, salt: bytes) -> None:
        self.conversations = conversations
        self.catalog = conversations.catalog
        self.store = store
        self.salt = salt

    # -- wiring -----------------------------------------------------------------

    def register(self, app: Application) -> None:  # type: ignore[type-arg]  # PTB's generic defaults
        app.add_handler(TypeHandler(Update, self.once_only), group=-1)
        for name in COMMANDS:
            app.add_handler(CommandHandler(name, self.on_command))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_error_handler(self.on_error)

    async def set_commands(self, app: Application) -> None:  # type: ignore[type-arg]
        """Register the command menu in every language we have content for."""
        for locale, content in self.catalog.contents.items():
            commands = [
                BotCommand(name, content.commands[name]) for name in COMMANDS if name != "kneecheck"
            ]
            language = None if locale == self.catalog.default_locale else locale
            await app.bot.set_my_commands(commands, language_code=language)

    # -- incoming -----------------------------------------------------------------

    async def once_only(self, update: Update, context: Context) -> None:
        """Process an update once across processes, even if Telegram delivers it twice."""
        try:
            first = await self.store.first_time(
                "tg-update", str(update.update_id), ttl_seconds=UPDATE_MARKER_TTL
            )
        except StoreUnavailable:
            return  # let the handlers answer "temporarily unavailable"
        if not first:
            log.info("duplicate update ignored", extra={"update_id": update.update_id})
            raise ApplicationHandlerStop

    async def on_command(self, update: Update, context: Context) -> None:
        user, message = user_of(update), update.effective_message
        if user is None or message is None or not message.text:
            return
        name = message.text.split()[0].lstrip("/").split("@")[0].lower()
        content = self.content_for(update)
        try:
            if name in ("start", "kneecheck"):
                await self.store.delete_value(user, BLOCKED)
                await self.run(update, context, user, Start(self.language(update)))
            elif name in EVENT_COMMANDS:
                await self.run(update, context, user, EVENT_COMMANDS[name]())
            elif name == "help":
                await self.send_text(context, user, message.chat_id, content.ui["help"])
            elif name == "mydata":
                reply = await self.conversations.stored_data(user, self.language(update))
                await self.send(context, user, message.chat_id, reply)
            elif name == "forget":
                await self.ask_forget(context, user, message.chat_id, content)
        except StoreUnavailable:
            await self.send_text(context, user, message.chat_id, content.ui["unavailable"])

    async def on_text(self, update: Update, context: Context) -> None:
        user, message = user_of(update), update.effective_message
        if user is None or message is None or message.text is None:
            return
        try:
            await self.run(update, context, user, Text(message.text))
        except StoreUnavailable:
            await self.send_text(
                context, user, message.chat_id, self.content_for(update).ui["unavailable"]
            )

    async def on_button(self, update: Update, context: Context) -> None:
        query, user = update.callback_query, user_of(update)
        if query is None or user is None:
            return
        content = self.content_for(update)
        data = query.data or ""
        try:
            if data in (FORGET_YES, FORGET_NO):
                await self.answer_forget(query, context, user, content, erase=data == FORGET_YES)
                return
            event = decode(data)
            if event is None:
                await query.answer(content.ui["unknown_option"])
                return
            await self.run(update, context, user, event, query=query)
        except StoreUnavailable:
            await query.answer(content.ui["unavailable"], show_alert=True)

    async def on_error(self, update: object, context: Context) -> None:
        # Never the update itself: it holds what the user typed.
        log.error("error while handling an update", exc_info=context.error)

    # -- the turn -------------------------------------------------------------------

    async def run(
        self,
        update: Update,
        context: Context,
        user: UserRef,
        event: Event,
        *,
        query: CallbackQuery | None = None,
    ) -> None:
        turn = await self.conversations.handle(user, event)
        chat = update.effective_chat
        if chat is None:
            return
        if query is not None:
            notices = [r for r in turn.replies if r.kind == "notice"]
            if len(notices) == len(turn.replies):
                await query.answer(" ".join(plain(r) for r in notices)[:200])
                return
            await query.answer()
        await self.show(context, user, chat.id, turn, query)

    async def show(
        self, context: Context, user: UserRef, chat: int, turn: Turn, query: CallbackQuery | None
    ) -> None:
        pressed = (
            query.message if query is not None and isinstance(query.message, Message) else None
        )
        pressed_step = decode(query.data or "") if query is not None else None
        for reply in turn.replies:
            if reply.kind == "answered":
                await self.rewrite_answered(context, user, chat, reply, pressed)
            elif (
                reply.kind == "question"
                and pressed is not None
                and _same_question(pressed_step, reply)
            ):
                await self.edit_keyboard(context, chat, pressed.message_id, reply)
            else:
                sent = await self.send(context, user, chat, reply)
                if reply.kind == "question" and sent is not None and reply.step:
                    pointer = Pointer(chat, sent.message_id, reply.step, reply.version)
                    await self.store.put_value(user, LAST_QUESTION, pointer.dump())

    async def rewrite_answered(
        self, context: Context, user: UserRef, chat: int, reply: Reply, pressed: Message | None
    ) -> None:
        """Turn the question message into question + chosen answer, without buttons."""
        message_id: int | None = pressed.message_id if pressed is not None else None
        if message_id is None:
            pointer = Pointer.load(await self.store.get_value(user, LAST_QUESTION))
            if pointer is None or (pointer.step, pointer.version) != (reply.step, reply.version):
                return
            message_id = pointer.message
        await self.safely(
            context.bot.edit_message_text(
                answered_html(reply), chat_id=chat, message_id=message_id, parse_mode=ParseMode.HTML
            ),
            user,
        )

    async def edit_keyboard(
        self, context: Context, chat: int, message_id: int, reply: Reply
    ) -> None:
        try:
            await context.bot.edit_message_reply_markup(
                chat_id=chat, message_id=message_id, reply_markup=keyboard(reply)
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    # -- outgoing ---------------------------------------------------------------------

    async def send(
        self, context: Context, user: UserRef, chat: int, reply: Reply
    ) -> Message | None:
        last: Message | None = None
        for part in messages(reply):
            sent = await self.safely(
                context.bot.send_message(
                    chat, part.text, parse_mode=ParseMode.HTML, reply_markup=part.keyboard
                ),
                user,
            )
            last = sent if isinstance(sent, Message) else last
        return last

    async def send_text(self, context: Context, user: UserRef, chat: int, text: str) -> None:
        await self.send(context, user, chat, _info(text))

    async def safely(self, call: object, user: UserRef) -> object:
        """Await a Bot API call; a user who blocked the bot is marked so nothing more is sent."""
        try:
            return await call  # type: ignore[misc]  # PTB coroutine of any result type
        except Forbidden:
            log.info("user blocked the bot", extra={"user": user.hashed(self.salt)})
            await self.store.put_value(user, BLOCKED, "1")
            return None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            raise

    async def ask_forget(
        self, context: Context, user: UserRef, chat: int, content: Content
    ) -> None:
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(content.ui["forget_yes"], callback_data=FORGET_YES),
                    InlineKeyboardButton(content.ui["forget_no"], callback_data=FORGET_NO),
                ]
            ]
        )
        await self.safely(
            context.bot.send_message(chat, content.ui["forget_confirm"], reply_markup=buttons), user
        )

    async def answer_forget(
        self,
        query: CallbackQuery,
        context: Context,
        user: UserRef,
        content: Content,
        *,
        erase: bool,
    ) -> None:
        await query.answer()
        if erase:
            await self.conversations.forget(user)
        text = content.ui["forgotten" if erase else "forget_cancelled"]
        if isinstance(query.message, Message):
            await self.safely(query.message.edit_text(text), user)

    # -- helpers ------------------------------------------------------------------------

    def language(self, update: Update) -> str | None:
        user = update.effective_user
        return user.language_code if user is not None else None

    def content_for(self, update: Update) -> Content:
        return self.catalog.content(self.language(update))


def _same_question(pressed: Event | None, reply: Reply) -> bool:
    """The reply re-asks the very question whose button was pressed (a tick): edit in place."""
    step = getattr(pressed, "step", None)
    version = getattr(pressed, "version", None)
    return (step, version) == (reply.step, reply.version)


def _info(text: str) -> Reply:
    from bot.engine.replies import Section

    return Reply(kind="info", sections=(Section(paragraphs=(text,)),))


def build_application(
    channel: TelegramChannel,
    token: str,
    *,
    base_url: str | None = None,
    polling: bool = True,
    concurrent_updates: int | BaseUpdateProcessor = 16,
    request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    """The PTB Application: rate limiter on, no PTB persistence or job queue, our handlers.

    ``request`` replaces PTB's HTTP layer (the benchmark answers Bot API calls at that seam).
    """
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(max_retries=3))
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
