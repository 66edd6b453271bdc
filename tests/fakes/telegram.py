"""A fake Telegram Bot API server, so tests drive the real python-telegram-bot over real HTTP.

Mocking PTB's ``Bot`` methods would hide the bugs that only Telegram reveals: HTML that does not
parse, callback data over 64 bytes, "message is not modified", flood limits, blocked users.
This server speaks the Bot API wire format on 127.0.0.1 and enforces those rules, while the
test plays the user (``user_sends``/``user_presses``) and inspects the chat (``messages``).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.fakes.served import Served

JSON = dict[str, Any]
Keyboard = list[list[dict[str, str]]]

# Parameters PTB sends as raw strings; every other form value is JSON-encoded by PTB.
_RAW_KEYS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "url", "language_code", "photo"}
    | {"secret_token", "inline_message_id", "description", "short_description", "name"}
)
_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline"}
_TAGS |= {"ins": "underline", "s": "strikethrough", "strike": "strikethrough"}
_TAGS |= {"del": "strikethrough", "a": "text_link", "code": "code", "pre": "pre"}
_TAGS |= {"tg-spoiler": "spoiler", "blockquote": "blockquote"}
_ATTR = r"""\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?"""
_TAG_RE = re.compile(rf"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:{_ATTR})*)\s*>")
_HREF_RE = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
_ENTITY_RE = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_BUTTON_ACTIONS = frozenset(
    {"callback_data", "url", "web_app", "login_url", "switch_inline_query", "pay"}
    | {"switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text"}
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_BLOCKED = "Forbidden: bot was blocked by the user"
_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance"
# What Telegram sends when a bot never chose allowed_updates (these three need opting in).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


CANONICAL = {
    name.lower(): name
    for name in (
        "getMe",
        "getUpdates",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "sendPhoto",
        "answerCallbackQuery",
        "setMyCommands",
        "getMyCommands",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
    )
}


class ApiError(Exception):
    """A Telegram error response; raised by method handlers, rendered by the dispatcher."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class SentMessage:
    """The bot's message as the user currently sees it (``text`` is the raw text the bot sent)."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: Keyboard | None
    date: int
    plain_text: str = ""
    entities: list[JSON] = field(default_factory=list)
    edits: int = 0

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every callback button, row by row."""
        rows = self.reply_markup or []
        return [
            (b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b
        ]


@dataclass
class _Queued:
    update: JSON
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse_mode: returns (plain text, entities) or raises "can't parse entities".

    Stricter than Telegram on one point: a bare ``&`` is rejected (Telegram prints it literally),
    because it nearly always means the bot forgot ``html.escape`` somewhere.
    """
    out: list[str] = []
    stack: list[tuple[str, int, JSON]] = []
    entities: list[JSON] = []
    pos = utf16 = 0

    def fail(why: str) -> ApiError:
        offset = len(text[:pos].encode())
        return ApiError(400, f"Bad Request: can't parse entities: {why} at byte offset {offset}")

    while pos < len(text):
        char = text[pos]
        if char == "<":
            tag = _TAG_RE.match(text, pos)
            name = tag.group(2).lower() if tag else ""
            if tag is None or name not in _TAGS:
                raise fail(f'Unsupported start tag "{name}"')
            if tag.group(1):  # closing tag
                if tag.group(3) or not stack or stack[-1][0] != name:
                    expected = f"</{stack[-1][0]}>" if stack else "nothing"
                    raise fail(f'Unmatched end tag, expected "{expected}", found "</{name}>"')
                _, start, extra = stack.pop()
                inside_pre = name == "code" and stack and stack[-1][0] == "pre"
                if utf16 > start and not inside_pre:
                    entity = {"type": _TAGS[name], "offset": start, "length": utf16 - start}
                    entities.append(entity | extra)
            else:
                href = _HREF_RE.search(tag.group(3))
                url = html.unescape(next(g for g in href.groups() if g is not None)) if href else ""
                stack.append((name, utf16, {"url": url} if name == "a" else {}))
            pos = tag.end()
            continue
        if char == "&":
            entity_match = _ENTITY_RE.match(text, pos)
            if entity_match is None:
                raise fail('Unescaped "&"')
            char, pos = html.unescape(entity_match.group(0)), entity_match.end()
        else:
            pos += 1
        out.append(char)
        utf16 += len(char.encode("utf-16-le")) // 2
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def render(text: str, parse_mode: str | None, limit: int) -> tuple[str, list[JSON]]:
    """Apply parse_mode and the length limit, which Telegram counts after parsing."""
    plain, entities = parse_html(text) if str(parse_mode).upper() == "HTML" else (text, [])
    if len(plain) > limit:
        raise ApiError(400, "Bad Request: message is too long")
    return plain, entities


def _decode(key: str, value: str) -> Any:
    """PTB posts form fields: strings verbatim, everything else (ints, markups) JSON-encoded."""
    if key in _RAW_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_object(value: Any) -> Any:
    """Markups and scopes arrive as a JSON string in form posts but as objects in JSON bodies."""
    return json.loads(value) if isinstance(value, str) else value


def _keyboard(markup: Any) -> Keyboard | None:
    """The inline keyboard of a reply_markup, validated the way Telegram does."""
    markup = _as_object(markup)
    if markup is None or not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None  # reply keyboards and ForceReply are not part of Message.reply_markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for button in (b for row in rows for b in row):
        if not _BUTTON_ACTIONS & set(button):
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return rows or None


class FakeTelegram(Served):
    """A Bot API server on 127.0.0.1 plus the user's side of every private chat."""

    def __init__(self, token: str = "123456:TEST", *, bot_username: str = "kneecheck_bot") -> None:
        self.token = token
        self.bot_user: JSON = {"id": int(token.split(":")[0]), "is_bot": True}
        self.bot_user |= {"first_name": "KneeCheck", "username": bot_username}
        self.calls: list[tuple[str, JSON]] = []
        self.callback_answers: dict[str, JSON] = {}
        self.webhook_url = ""
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._chats: dict[int, list[SentMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._queue: list[_Queued] = []
        self._next_update_id = 1
        self._max_offset = 0
        self._queries: set[str] = set()
        self._query_ids = itertools.count(8_000_000_001)  # Telegram's ids are numeric strings
        self._languages: dict[int, str] = {}
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self.filtered_out: list[JSON] = []  # updates dropped by the bot's own allowed_updates
        self._blocked: set[int] = set()
        self._failures: dict[str, list[ApiError]] = {}
        self.photos: dict[int, list[bytes]] = {}
        self._holds: dict[str, int] = {}
        self._gate = asyncio.Event()
        self.held = 0
        """Requests waiting at the gate (see :meth:`hold`)."""
        self._tick = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        # handler_cancellation: a long poll PTB abandons must not keep running server-side.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True  # lets pending long polls answer [] instead of delaying shutdown
        self._changed()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Prefix for ``Bot(base_url=...)``; PTB appends the token and ``/method``."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{self.token}"

    # -- the user's side ---------------------------------------------------------------------

    def user_sends(
        self, user_id: int, text: str, *, language_code: str = "en", update_id: int | None = None
    ) -> int:
        """Queue a private-chat text message; ``/cmd`` gets the bot_command entity PTB needs."""
        self._languages[user_id] = language_code
        update = self.message_update(user_id, text, language_code=language_code)
        return self._push(update, update_id)

    def user_presses(
        self, user_id: int, message_id: int, callback_data: str, *, update_id: int | None = None
    ) -> str:
        """Queue a button press on the bot's message; the query carries its current version.

        Any callback_data is accepted, even one no longer on the keyboard: that is exactly what
        a user's double tap racing the bot's edit looks like.
        """
        try:
            sent = self._find(user_id, message_id, "")
        except ApiError:
            shown = [m.message_id for m in self._chats.get(user_id, [])]
            raise AssertionError(
                f"no bot message {message_id} in chat {user_id}: {shown}"
            ) from None
        query = self._query(user_id, sent, callback_data)
        self._push({"callback_query": query}, update_id)
        return str(query["id"])

    def press_update(self, user_id: int, message_id: int, callback_data: str) -> JSON:
        """The callback query a press makes, for a test to deliver to a webhook itself."""
        query = self._query(user_id, self._find(user_id, message_id, ""), callback_data)
        self._queries.add(str(query["id"]))
        return {"callback_query": query}

    def _query(self, user_id: int, sent: SentMessage, callback_data: str) -> JSON:
        language = self._languages.get(user_id, "en")
        query: JSON = {
            "id": str(next(self._query_ids)),
            "from": self._user(user_id, language),
            "data": callback_data,
        }
        query |= {"chat_instance": f"ci{user_id}", "message": self._message_json(sent)}
        return query

    def user_deletes(self, user_id: int, message_id: int) -> None:
        """The user deletes one of the bot's messages in their chat: editing it fails from now
        on with "message to edit not found", as on Telegram."""
        sent = self._find(user_id, message_id, "message to delete not found")
        self._chats[user_id].remove(sent)
        self._changed()

    def message_update(self, user_id: int, text: str, *, language_code: str = "en") -> JSON:
        """The update a typed message makes (a command gets its entity), for a test to deliver
        to a webhook itself."""
        message: JSON = {"message_id": self._new_message_id(user_id), "date": int(time.time())}
        message |= {"chat": self._chat(user_id), "from": self._user(user_id, language_code)}
        message["text"] = text
        if command := _COMMAND_RE.match(text):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return {"message": message}

    def push_raw(self, update: JSON) -> None:
        """Queue an update verbatim; re-pushing an update_id simulates a duplicated delivery."""
        self._push({k: v for k, v in update.items() if k != "update_id"}, update["update_id"])

    def block(self, user_id: int) -> None:
        """From now on, sending or editing in this chat fails with 403 like a blocked bot."""
        self._blocked.add(user_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail; retry_after is only sent with 429."""
        if description is None:
            phrase = HTTPStatus(status).phrase
            if status == 429 and retry_after is not None:
                phrase = f"{phrase}: retry after {retry_after}"
            description = phrase
        error = ApiError(status, description, retry_after if status == 429 else None)
        self._failures.setdefault(method.lower(), []).extend([error] * times)

    def hold(self, method: str, *, after: int = 0) -> None:
        """Let ``after`` more calls of ``method`` through, then hold each one unanswered until
        :meth:`release`. A held call whose client goes away (a killed worker) is cancelled by
        the server and never delivered, exactly as Telegram never saw it."""
        self._gate.clear()
        self._holds[method.lower()] = after

    def release(self) -> None:
        self._holds.clear()
        self._gate.set()

    # -- inspection --------------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in this chat, oldest first, as currently displayed."""
        return list(self._chats.get(chat_id, []))

    def last(self, chat_id: int) -> SentMessage:
        messages = self._chats.get(chat_id)
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {chat_id}")
        return messages[-1]

    @staticmethod
    def buttons(msg: SentMessage) -> list[tuple[str, str]]:
        return msg.buttons()

    def bot_commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON]:
        """The command list set with setMyCommands for that scope and language."""
        return self._commands.get((_scope_key(scope), language_code), [])

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds, re-checking after every request the server handles.

        An Event swapped on each change rather than a Condition: ``user_sends`` is synchronous
        and must wake long polls without awaiting a lock.
        """
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._tick.wait()
        except TimeoutError:
            recent = ", ".join(method for method, _ in self.calls[-10:])
            raise AssertionError(
                f"{getattr(predicate, '__qualname__', predicate)} still false after {timeout}s; "
                f"last requests: [{recent}]; pending updates: {[q.update_id for q in self._queue]}"
            ) from None

    async def wait_until_consumed(self, update_id: int, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until PTB has confirmed the update (a later getUpdates offset passed it).

        PTB confirms on its *next* poll, which it issues as soon as the update is queued
        internally: the handlers may still be running. Wait on their effects for that.
        """

        def consumed() -> bool:
            pending = any(q.update_id == update_id for q in self._queue)
            return not pending and self._max_offset > update_id

        await self.wait_for(consumed, timeout)

    # -- internals ---------------------------------------------------------------------------

    def _changed(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    def _push(self, body: JSON, update_id: int | None) -> int:
        update_id = self._next_update_id if update_id is None else update_id
        self._next_update_id = max(self._next_update_id, update_id + 1)
        if isinstance(query := body.get("callback_query"), dict):
            self._queries.add(str(query["id"]))
        self._queue.append(_Queued({"update_id": update_id} | body))
        self._changed()
        return update_id

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _user(self, user_id: int, language_code: str) -> JSON:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"} | {
            "language_code": language_code
        }

    def _chat(self, chat_id: int) -> JSON:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}

    def _find(self, chat_id: int, message_id: int, error: str) -> SentMessage:
        for sent in self._chats.get(chat_id, []):
            if sent.message_id == message_id:
                return sent
        raise ApiError(400, f"Bad Request: {error}")

    def _message_json(self, sent: SentMessage) -> JSON:
        message: JSON = {"message_id": sent.message_id, "date": sent.date, "from": self.bot_user}
        message |= {"chat": self._chat(sent.chat_id), "text": sent.plain_text}
        if sent.entities:
            message["entities"] = sent.entities
        if sent.reply_markup:
            message["reply_markup"] = {"inline_keyboard": sent.reply_markup}
        if sent.edits:
            message["edit_date"] = int(time.time())
        return message

    def _writable_chat(self, params: JSON) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self._blocked:
            raise ApiError(403, _BLOCKED)
        return chat_id

    def _rendered(self, chat_id: int, message_id: int, params: JSON) -> SentMessage:
        """The message the user would see, after Telegram's parse_mode and length checks."""
        text, parse_mode = str(params.get("text", "")), params.get("parse_mode") or None
        plain, entities = render(text, parse_mode, 4096)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        keyboard = _keyboard(params.get("reply_markup"))  # absent: no keyboard, also on edits
        return SentMessage(
            chat_id, message_id, text, parse_mode, keyboard, int(time.time()), plain, entities
        )

    async def _dispatch(self, request: web.Request) -> web.Response:
        # Bot API method names are case-insensitive; record them in their documented spelling.
        method = CANONICAL.get(request.match_info["method"].lower(), request.match_info["method"])
        params: JSON = {k: _decode(k, v) for k, v in request.query.items()}
        if request.content_type == "application/json":
            params |= await request.json()
        elif request.body_exists:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    params[key] = {"filename": value.filename, "size": len(data), "data": data}
                else:
                    params[key] = _decode(key, value if isinstance(value, str) else value.decode())
        self.calls.append((method, params))
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if failures := self._failures.get(method.lower()):
                raise failures.pop(0)
            await self._maybe_hold(method.lower())
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            body: JSON = {"ok": True, "result": await handler(params)}
            status = 200
        except ApiError as error:
            body, status = error.body(), error.status
        except (KeyError, ValueError, TypeError) as error:  # a missing or malformed parameter
            body = ApiError(400, f"Bad Request: bad or missing parameter {error}").body()
            status = 400
        self._changed()
        return web.json_response(body, status=status)

    async def _maybe_hold(self, method: str) -> None:
        if method not in self._holds:
            return
        if self._holds[method] > 0:
            self._holds[method] -= 1
            return
        self.held += 1
        self._changed()
        try:
            await self._gate.wait()
        finally:
            self.held -= 1

    # -- Bot API methods (looked up as _api_<lowercased method>) -----------------------------

    async def _api_getme(self, params: JSON) -> JSON:
        return self.bot_user | {"can_join_groups": True, "supports_inline_queries": False}

    async def _api_getupdates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        if (allowed := _as_object(params.get("allowed_updates"))) is not None:
            self._allowed_updates = frozenset(allowed) or None  # Telegram remembers the choice
        for queued in [q for q in self._queue if not self._allows(q.update)]:
            self.filtered_out.append(queued.update)
            self._queue.remove(queued)
        self._poll_generation += 1
        generation = self._poll_generation
        if offset < 0:  # Telegram: keep only the last -offset updates
            self._queue = self._queue[offset:]
        self._queue = [q for q in self._queue if not (q.delivered and q.update_id < offset)]
        self._max_offset = max(self._max_offset, offset)
        self._changed()  # confirmation is news for wait_until_consumed before we long-poll

        def ready() -> list[_Queued]:
            # Undelivered updates go out whatever their id, so a re-pushed duplicate arrives.
            queue = [q for q in self._queue if self._allows(q.update)]
            return [q for q in queue if not q.delivered or q.update_id >= offset]

        try:
            async with asyncio.timeout(float(params.get("timeout") or 0)):
                while not ready() and not self._closing:
                    await self._tick.wait()
                    if generation != self._poll_generation:  # a second poller: two bots running
                        raise ApiError(409, _CONFLICT)
        except TimeoutError:
            pass
        batch = ready()[: max(1, min(limit, 100))]
        for queued in batch:
            queued.delivered = True
        return [q.update for q in batch]

    def _allows(self, update: JSON) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    async def _api_sendmessage(self, params: JSON) -> JSON:
        chat_id = self._writable_chat(params)
        sent = self._rendered(chat_id, 0, params)
        sent.message_id = self._new_message_id(chat_id)  # only once it is valid, like Telegram
        self._chats.setdefault(chat_id, []).append(sent)
        return self._message_json(sent)

    async def _api_editmessagetext(self, params: JSON) -> JSON:
        chat_id = self._writable_chat(params)
        sent = self._find(chat_id, int(params["message_id"]), "message to edit not found")
        new = self._rendered(chat_id, sent.message_id, params)
        if (new.text, new.reply_markup) == (sent.text, sent.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        # Mutate in place: a test holding this SentMessage sees the edit, like the user does.
        sent.text, sent.parse_mode, sent.reply_markup = new.text, new.parse_mode, new.reply_markup
        sent.plain_text, sent.entities, sent.edits = new.plain_text, new.entities, sent.edits + 1
        return self._message_json(sent)

    async def _api_editmessagereplymarkup(self, params: JSON) -> JSON:
        chat_id = self._writable_chat(params)
        sent = self._find(chat_id, int(params["message_id"]), "message to edit not found")
        keyboard = _keyboard(params.get("reply_markup"))
        if keyboard == sent.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        sent.reply_markup = keyboard
        sent.edits += 1
        return self._message_json(sent)

    async def _api_deletemessage(self, params: JSON) -> bool:
        chat_id = int(params["chat_id"])
        sent = self._find(chat_id, int(params["message_id"]), "message to delete not found")
        self._chats[chat_id].remove(sent)
        return True

    async def _api_sendphoto(self, params: JSON) -> JSON:
        chat_id = self._writable_chat(params)
        caption, entities = render(str(params.get("caption", "")), params.get("parse_mode"), 1024)
        photo = {"file_id": "photo1", "file_unique_id": "u1", "width": 640, "height": 480}
        message: JSON = {"message_id": self._new_message_id(chat_id), "date": int(time.time())}
        message |= {"chat": self._chat(chat_id), "from": self.bot_user, "photo": [photo]}
        if caption:
            message["caption"] = caption
        photo_file = params.get("photo")
        if isinstance(photo_file, dict) and "data" in photo_file:
            self.photos.setdefault(chat_id, []).append(photo_file["data"])
        if entities:
            message["caption_entities"] = entities
        return message

    async def _api_answercallbackquery(self, params: JSON) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self._queries or query_id in self.callback_answers:
            raise ApiError(400, _QUERY_INVALID)
        show_alert = params.get("show_alert") in (True, "true", "True", 1)
        self.callback_answers[query_id] = {"text": params.get("text"), "show_alert": show_alert}
        return True

    async def _api_setmycommands(self, params: JSON) -> bool:
        commands = _as_object(params.get("commands")) or []
        if not all(re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command"))) for c in commands):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = (_scope_key(_as_object(params.get("scope"))), str(params.get("language_code", "")))
        self._commands[key] = commands
        return True

    async def _api_getmycommands(self, params: JSON) -> list[JSON]:
        key = (_scope_key(_as_object(params.get("scope"))), str(params.get("language_code", "")))
        return self._commands.get(key, [])

    async def _api_deletewebhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._queue.clear()
        return True

    async def _api_setwebhook(self, params: JSON) -> bool:
        self.webhook_url = str(params.get("url", ""))
        return True

    async def _api_getwebhookinfo(self, params: JSON) -> JSON:
        pending = sum(not q.delivered for q in self._queue)
        return {"url": self.webhook_url, "has_custom_certificate": False} | {
            "pending_update_count": pending
        }


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)
