"""What a user's action does, on any channel: the one place that decides.

A channel parses what its platform sent into an :data:`Action` (typed text, a command, a
button press), hands it to :meth:`Actions.act` and renders the :class:`Outcome`. The
command vocabulary, the /forget confirmation, the follow-up views (/reminders, /diary,
/summary, /mydata), and which button means what live here and in the content, nowhere
else: a new channel translates, it does not re-implement the product.

What a channel still owns is how things look and travel on its platform: editing the
pressed message, where a notice goes (a toast, an ephemeral message, a line), splitting
long messages, the outbox's delivery and its once-only markers for its own re-deliveries.
"""

from __future__ import annotations

import logging
from typing import Literal

from bot.catalog.content import Content
from bot.conversations import Conversations, Taken
from bot.engine import Back, Event, Restart, Start, Stop, Text
from bot.engine.buttons import decode, encode
from bot.engine.replies import Choice, Reply, Section, notice
from bot.follow_ups import FollowUpViews
from bot.frozen import frozen
from bot.reminders.buttons import ReminderPress
from bot.reminders.buttons import decode as decode_reminder
from bot.reminders.service import LISTING, ReminderService
from bot.store.base import Once, SessionStore
from bot.store.keys import UserRef
from bot.understanding import kept

log = logging.getLogger(__name__)


@frozen
class Typed:
    """Free text the user typed (or said) in the conversation."""

    text: str


@frozen
class Command:
    """A command by its name (``help``, ``forget``...), without the platform's syntax."""

    name: str


@frozen
class Press:
    """A button pressed: the payload the channel rendered for a :class:`Choice`."""

    data: str


@frozen
class Chosen:
    """An answer the channel read off its own controls, already an engine event: ticks in
    Slack's checkboxes, "1 3" typed at a numbered terminal question."""

    event: Event


Action = Typed | Command | Press | Chosen

Role = Literal["turn", "view", "help", "forget"]

START, KNEECHECK, HELP = "start", "kneecheck", "help"
"""The commands channels name themselves: a check begins (Telegram's /start, Slack's bare
``/kneecheck``, the web page's first load, the terminal's first line) and help."""
STARTS = frozenset({START, KNEECHECK})

COMMANDS: dict[str, Role] = {
    START: "turn",
    KNEECHECK: "turn",
    "back": "turn",
    "restart": "turn",
    "stop": "turn",
    "checkin": "turn",
    "reminders": "view",
    "diary": "view",
    "summary": "view",
    "mydata": "view",
    HELP: "help",
    "forget": "forget",
}
"""Every command, on every channel, and what kind of thing it does. Their descriptions (the
command menus) are in the content's ``commands``, per locale."""
FOLLOW_UPS = frozenset({"reminders", "diary", "summary", "checkin"})
"""Commands that exist only where reminders and the diary do (a service with a queue)."""
MENU = tuple(name for name in COMMANDS if name != KNEECHECK)
"""The commands a platform's menu lists (``kneecheck`` is ``start`` under Slack's name)."""

FORGET = "forget"
FORGET_YES, FORGET_NO = "yes", "no"


@frozen
class Picture:
    """An image (the diary chart), with what to show where pictures cannot go."""

    png: bytes
    title: str
    fallback: Reply


@frozen
class Outcome:
    """What one action shows, for the channel to render in its own way."""

    taken: Taken | None = None
    """A conversation turn, or replies earlier turns still owe: the channel shows them and
    settles the outbox (:meth:`Conversations.settle`)."""
    pressed: Event | None = None
    """The engine event a press stood for: the question it answered is edited in place."""
    replies: tuple[Reply, ...] = ()
    """Shown after the turn: a view, the help, a confirmation to answer."""
    notices: tuple[Reply, ...] = ()
    """Told to the person who acted alone (a toast, an ephemeral line)."""
    picture: Picture | None = None
    replaces: bool = False
    """The first of ``replies`` replaces the pressed message (an updated reminder list, the
    answer to a confirmation) instead of coming as a new one."""
    duplicate: bool = False
    """The platform delivered this action before and it was handled then: show nothing."""
    erased: bool = False
    """/forget was confirmed: everything about the user is gone (a channel that keeps a copy
    of the conversation, like the web page's, clears it)."""


def forget_confirmation(content: Content) -> Reply:
    """/forget asks first, with two buttons, on every channel."""
    ui = content.ui
    return Reply(
        kind="info",
        sections=(Section(paragraphs=(ui["forget_confirm"],)),),
        choices=(
            Choice(FORGET_YES, ui["forget_yes"], "confirm", target=(FORGET, 0)),
            Choice(FORGET_NO, ui["forget_no"], "confirm", target=(FORGET, 0)),
        ),
    )


def confirmation(data: str) -> tuple[str, str] | None:
    """(what, answer) of a confirmation button, or None when ``data`` is not one."""
    parts = data.split("|")
    if len(parts) != 4 or parts[0] != encode("confirm", "", "", 0)[0]:
        return None
    _, what, answer, version = parts
    if what != FORGET or answer not in (FORGET_YES, FORGET_NO) or version != "0":
        return None
    return what, answer


def text_for(content: Content, key: str, channel: str) -> str:
    """Interface text in the channel's own words where it has them (``slack_help`` says
    ``/kneecheck back`` where Telegram says ``/back``)."""
    return content.ui.get(f"{channel}_{key}") or content.ui[key]


class Actions:
    """The application layer, one per process: every channel's actions go through :meth:`act`."""

    def __init__(
        self,
        conversations: Conversations,
        store: SessionStore,
        reminders: ReminderService | None = None,
    ) -> None:
        self.conversations = conversations
        self.catalog = conversations.catalog
        self.store = store
        self.reminders = reminders
        self.views = FollowUpViews(conversations, reminders) if reminders is not None else None

    def knows(self, name: str) -> bool:
        """A command this service runs (the follow-ups need the reminder service)."""
        return name in COMMANDS and (name not in FOLLOW_UPS or self.reminders is not None)

    def commands(self) -> tuple[str, ...]:
        return tuple(name for name in MENU if self.knows(name))

    def typed(self, text: str) -> Command | Typed:
        """What a line typed into a chat box is: a command this service runs ("/help", any
        case), else text, cut to what is read (a pasted page costs what its start costs)."""
        name = text[1:].lower() if text.startswith("/") else ""
        if name and self.knows(name):
            return Command(name)
        return Typed(kept(text))

    def event(self, action: Action, locale: str | None = None) -> Event | None:
        """The conversation event an action is, if it is one (None for views, help, forget,
        reminder and confirmation buttons, and forged presses)."""
        match action:
            case Typed(text):
                return Text(text)
            case Command(name) if COMMANDS.get(name) == "turn" and self.knows(name):
                return _turn_event(name, locale)
            case Press(data):
                return decode(data)
            case Chosen(event):
                return event
        return None

    async def act(
        self,
        user: UserRef,
        action: Action,
        *,
        channel: str,
        locale: str | None = None,
        once: Once | None = None,
        outbox: bool = True,
    ) -> Outcome:
        """Do what ``action`` means for ``user``. ``once`` names the platform's delivery of
        it: a re-delivery of an action already handled shows only what is still owed.
        ``outbox``: False where replies are shown in this process as soon as they exist
        (the terminal), so none is ever owed.

        Raises :class:`~bot.store.base.StoreUnavailable` when Redis is away: the channel
        says so in its words.
        """
        if isinstance(action, Press):
            reminder = decode_reminder(action.data) if self.reminders is not None else None
            if reminder is not None:
                return await self._reminder(user, reminder, once)
            confirmed = confirmation(action.data)
            if confirmed is not None:
                content = await self.content_for(user, locale)
                return await self._forget(user, confirmed[1] == FORGET_YES, content, once)
        event = self.event(action, locale)
        if event is not None:
            pressed = event if isinstance(action, Press | Chosen) else None
            if not outbox:
                turn = await self.conversations.handle(user, event)
                return Outcome(taken=Taken(turn, ""), pressed=pressed)
            taken = await self.conversations.take(user, event, once=once)
            return Outcome(taken=taken, pressed=pressed)
        if isinstance(action, Press):
            content = await self.content_for(user, locale)
            return Outcome(notices=(notice(content.ui["unknown_option"]),))
        assert isinstance(action, Command)
        if not await self._first_time(once):
            return Outcome(duplicate=True)
        content = await self.content_for(user, locale)
        owed = await self._owed(user) if outbox else None
        role = COMMANDS.get(action.name) if self.knows(action.name) else None
        if role == "forget":
            return Outcome(taken=owed, replies=(forget_confirmation(content),))
        if role == "view":
            return await self._view(user, action.name, content, owed)
        help_text = text_for(content, HELP, channel)
        return Outcome(taken=owed, replies=(Reply("info", (Section(paragraphs=(help_text,)),)),))

    async def content_for(self, user: UserRef, locale: str | None = None) -> Content:
        """The content in the user's language: the one the channel says (Telegram's language
        code, the web page's Accept-Language), else the one their conversation is in (Slack
        says it only when a check starts), else the default."""
        if locale is None:
            session = await self.conversations.current(user)
            locale = session.locale if session is not None else None
        return self.catalog.content(locale)

    async def _first_time(self, once: Once | None) -> bool:
        if once is None:
            return True
        return await self.store.first_time(once.scope, once.event_id, ttl_seconds=once.ttl_seconds)

    async def _owed(self, user: UserRef) -> Taken | None:
        """What earlier turns still owe, shown before an answer that is not a turn."""
        taken = await self.conversations.owed(user)
        return taken if taken.owed else None

    async def _view(
        self, user: UserRef, name: str, content: Content, owed: Taken | None
    ) -> Outcome:
        if name == "mydata":
            reply = await self.conversations.stored_data(user, content.locale)
            return Outcome(taken=owed, replies=(reply,))
        views = self.views
        assert views is not None  # not a known command without the reminder service
        if name == "reminders":
            return Outcome(taken=owed, replies=(await views.reminders(user, content),))
        if name == "summary":
            return Outcome(taken=owed, replies=(await views.summary(user, content),))
        chart = await views.diary_chart(user, content)
        if chart is None:  # nothing to chart yet: say so in a line
            empty = Reply("info", (Section(paragraphs=(content.ui["diary_empty"],)),))
            return Outcome(taken=owed, replies=(empty,))
        text = await views.diary_text(user, content)
        return Outcome(
            taken=owed, picture=Picture(chart, content.ui["diary_chart_title"], fallback=text)
        )

    async def _reminder(self, user: UserRef, press: ReminderPress, once: Once | None) -> Outcome:
        """Done, snooze, pause, resume, move or stop: what the reminder service says to it."""
        assert self.reminders is not None
        if not await self._first_time(once):
            return Outcome(duplicate=True)
        owed = await self._owed(user)
        async with self.conversations.working(user):  # a /forget waits for it
            replies = await self.reminders.press(user, press)
        notices = tuple(r for r in replies if r.kind == "notice")
        rest = tuple(r for r in replies if r.kind != "notice")
        # Pressed on /reminders itself (due 0: no occurrence), the list comes back changed:
        # it replaces the one pressed. A reminder message's press brings new messages.
        listing = press.due == 0 and bool(rest) and rest[0].step == LISTING
        return Outcome(taken=owed, replies=rest, notices=notices, replaces=listing)

    async def _forget(
        self, user: UserRef, erase: bool, content: Content, once: Once | None
    ) -> Outcome:
        if not await self._first_time(once):
            return Outcome(duplicate=True)
        if erase:
            await self.conversations.forget(user)
        text = content.ui["forgotten" if erase else "forget_cancelled"]
        reply = Reply("info", (Section(paragraphs=(text,)),))
        return Outcome(replies=(reply,), replaces=True, erased=erase)


def _turn_event(name: str, locale: str | None) -> Event:
    if name in STARTS:
        return Start(locale)
    if name == "checkin":
        return Start(locale, flow="checkin")
    if name == "restart":
        return Restart(locale)
    return Back() if name == "back" else Stop()
