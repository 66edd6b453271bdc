"""The web chat's HTTP side: the page, its files, the event stream and the post.

- ``GET /chat``: the page (HTML with the command menu in the reader's language); sets the
  cookie on a first visit.
- ``GET /chat/static/{name}``: ``chat.css`` and ``chat.js``, shipped in this package.
- ``GET /chat/events``: server-sent events, every message of the user's inbox from the
  ``Last-Event-ID`` (or ``?after=``) on, then each new one as it is appended (by this process,
  another, or ``kneecheck worker``); ``event: ready`` after the backlog.
- ``GET /chat/history``: the same backlog as JSON, for a browser without ``EventSource``.
- ``POST /chat/send``: ``{"text": ...}``, ``{"press": data, "message": id}`` or
  ``{"command": name}``; answers with the messages it appended and the notices for this tab.

What comes in is not trusted: bodies over 16 KB get 413, anything but a JSON object of
strings 400 or 415, a post from another origin 403, too many posts or event streams opened
429 (per browser and per address, counted in Redis), a forged button a notice ("not one of
the answers"); typed text is cut just past the reader's cap (so the reply says only its start
was read). Redis away is a friendly 503. Logs carry the salted pseudonym of a user, never an
id or a text.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Any

import orjson
from aiohttp import web

from bot.actions import Action, Command, Press, Typed
from bot.catalog.content import Content
from bot.channels.json_in import read_json
from bot.channels.web.channel import Shown, WebChat
from bot.channels.web.entry import PREFIX
from bot.channels.web.identity import COOKIE, new_id, sign, verify
from bot.channels.web.limits import RateLimit
from bot.channels.web.render import Message
from bot.channels.web.settings import WebSettings
from bot.channels.web.stream import READ_COUNT, Inbox, stream_id, valid_id
from bot.metrics import ERRORS
from bot.parts import App
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef
from bot.understanding import MAX_CHARS

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_BODY = 16 * 1024
"""A post is a line of text or a button's payload: 16 KB is far more than either."""
MAX_PRESS = 256
MAX_TEXT = MAX_CHARS + 1
"""Typed text kept: one character past what the reader reads, so it still says so."""
KEEPALIVE_MS = 15_000
"""A blocked read's longest wait: then a comment line keeps proxies from closing the stream
and shows whether the tab is still there."""
RETRY_MS = 3_000
SLOW_DOWN = "You are sending messages very fast. Please wait a minute, then try again."
"""Said with a 429 (the content has no words for it yet: ``web_slow_down`` when it does)."""
STATIC = {"chat.css": "text/css", "chat.js": "text/javascript"}


def csp(frame_ancestors: str) -> str:
    """Nothing from another origin, no inline script or style; images may be ``data:``
    URLs (the diary chart)."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self'; frame-ancestors {frame_ancestors}; "
        "base-uri 'none'"
    )


def mount_chat(
    web_app: web.Application,
    app: App,
    settings: WebSettings,
    *,
    keepalive_ms: int = KEEPALIVE_MS,
) -> WebRoutes:
    """Add the chat's routes to ``web_app`` (``kneecheck serve``'s, or ``run``'s)."""
    routes = WebRoutes(app, settings, keepalive_ms=keepalive_ms)
    web_app.router.add_get("/chat", routes.guarded(routes.page))
    web_app.router.add_get("/chat/static/{name}", routes.guarded(routes.static))
    web_app.router.add_get("/chat/events", routes.guarded(routes.events))
    web_app.router.add_get("/chat/history", routes.guarded(routes.history))
    web_app.router.add_post("/chat/send", routes.guarded(routes.send))
    web_app.on_shutdown.append(routes.closing)
    return routes


class WebRoutes:
    def __init__(self, app: App, settings: WebSettings, *, keepalive_ms: int) -> None:
        self.app = app
        self.catalog = app.catalog
        self.secret = settings.secret()
        self.salt = app.settings.salt
        self.inbox = Inbox(app.store)
        self.chat = WebChat(app.actions, self.inbox, salt=self.salt)
        self.limit = RateLimit(
            app.store,
            salt=self.salt,
            per_id=settings.web_chat_rate_per_minute,
            per_address=settings.web_chat_ip_rate_per_minute,
        )
        self.keepalive_ms = keepalive_ms
        self.max_age = app.store.ttl_seconds
        ancestors = settings.web_chat_frame_ancestors.split()
        self.headers = {
            "Content-Security-Policy": csp(" ".join(ancestors) or "'none'"),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            **({} if ancestors else {"X-Frame-Options": "DENY"}),
        }
        folder = files("bot.channels.web") / "static"
        self.template = (folder / "index.html").read_text(encoding="utf-8")
        self.files = {name: (folder / name).read_bytes() for name in STATIC}
        self.stopping = asyncio.Event()

    # -- around every handler ---------------------------------------------------------------

    def guarded(self, handler: Handler) -> Handler:
        """Security headers on every answer; Redis away is a 503 in the reader's words."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                response = await handler(request)
            except StoreUnavailable:
                ERRORS.labels(where="web").inc()
                text = self.content(request).ui["unavailable"]
                response = self.problem(503, "unavailable", text)
            if not response.prepared:
                response.headers.update(self.headers)
            return response

        return guarded

    def problem(self, status: int, error: str, message: str = "") -> web.Response:
        body = {"error": error, **({"message": message} if message else {})}
        return web.json_response(body, status=status, headers=self.headers)

    async def closing(self, web_app: web.Application) -> None:
        """The server is stopping: event streams end now, not after the grace period."""
        self.stopping.set()

    # -- who and in which language ----------------------------------------------------------

    def identify(self, request: web.Request) -> tuple[str, bool]:
        """The browser's id, and whether it is new (a missing or forged cookie)."""
        user_id = verify(self.secret, request.cookies.get(COOKIE))
        return (user_id, False) if user_id is not None else (new_id(), True)

    def remember(self, request: web.Request, response: web.StreamResponse, user_id: str) -> None:
        secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
        response.set_cookie(
            COOKIE,
            sign(self.secret, user_id),
            max_age=self.max_age,
            path="/chat",
            httponly=True,
            samesite="Strict",
            secure=secure,
        )

    def content(self, request: web.Request) -> Content:
        return self.catalog.content(locale(request))

    # -- the page -----------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.StreamResponse:
        content = self.content(request)
        items = "".join(
            f'<li><button type="button" data-command="{name}" aria-describedby="cmd-{name}">'
            f'/{name}</button> <span id="cmd-{name}">'
            f"{html.escape(content.commands.get(name, ''))}</span></li>"
            for name in self.app.actions.commands()
        )
        page = self.template.replace("{{lang}}", html.escape(content.locale)).replace(
            "{{commands}}", items
        )
        response = web.Response(
            text=page, content_type="text/html", headers={"Cache-Control": "no-store"}
        )
        user_id, _ = self.identify(request)
        # Set on every visit: the cookie lives as long after the last visit as the data does.
        self.remember(request, response, user_id)
        return response

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.files:
            return self.problem(404, "not_found")
        return web.Response(
            body=self.files[name],
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    # -- messages out -------------------------------------------------------------------------

    async def history(self, request: web.Request) -> web.StreamResponse:
        user_id = verify(self.secret, request.cookies.get(COOKIE))
        if user_id is None:
            return web.json_response({"messages": []})
        after = stream_id(request.query.get("after"))
        found = await self.inbox.read(UserRef(PREFIX, user_id), after)
        return web.json_response({"messages": [{"id": i, **m} for i, m in found]}, dumps=_dumps)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The user's inbox as server-sent events, until the tab or the server goes."""
        user_id = verify(self.secret, request.cookies.get(COOKIE))
        if user_id is None:
            return self.problem(401, "no_session", "Open /chat first.")
        if not await self.limit.allow(user_id, request.remote or ""):  # each holds a connection
            slow = self.content(request).ui.get("web_slow_down", SLOW_DOWN)
            return self.problem(429, "slow_down", slow)
        user = UserRef(PREFIX, user_id)
        after = stream_id(request.headers.get("Last-Event-ID") or request.query.get("after"))
        response = web.StreamResponse(
            headers={
                **self.headers,
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            await self._stream(request, response, user, after, stop)
        except StoreUnavailable:
            text = self.content(request).ui["unavailable"]
            with contextlib.suppress(ConnectionError):
                await response.write(_event("unavailable", {"message": text}))
        except ConnectionError:  # the tab was closed
            pass
        finally:
            stop.cancel()
        return response

    async def _stream(
        self,
        request: web.Request,
        response: web.StreamResponse,
        user: UserRef,
        after: str,
        stop: asyncio.Future[Any],
    ) -> None:
        replayed = 0
        while True:  # the backlog first, without waiting
            found = await self.inbox.read(user, after)
            for entry_id, message in found:
                await response.write(_message(entry_id, message))
                after = entry_id
            replayed += len(found)
            if len(found) < READ_COUNT:
                break
        await response.write(_event("ready", {"replayed": replayed}))
        while not self.stopping.is_set():
            if request.transport is None or request.transport.is_closing():
                return
            read = asyncio.ensure_future(self.inbox.read(user, after, block_ms=self.keepalive_ms))
            await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError, StoreUnavailable):
                    await read
                return
            found = read.result()
            if not found:
                await response.write(b": keepalive\n\n")
            for entry_id, message in found:
                await response.write(_message(entry_id, message))
                after = entry_id

    # -- actions in ---------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            return self.problem(403, "cross_origin")
        if request.content_type != "application/json":
            return self.problem(415, "json_only")
        body = await _body(request)
        if body is None:
            return self.problem(413, "too_large")
        user_id, fresh = self.identify(request)
        if not await self.limit.allow(user_id, request.remote or ""):
            slow = self.content(request).ui.get("web_slow_down", SLOW_DOWN)
            return self.problem(429, "slow_down", slow)
        parsed = self.action(body)
        if parsed is None:
            return self.problem(400, "bad_request")
        action, pressed_on = parsed
        user = UserRef(PREFIX, user_id)
        shown = await self.chat.act(user, action, locale=locale(request), pressed_on=pressed_on)
        log.debug("web post", extra={"user": user.hashed(self.salt), "kind": type(action).__name__})
        response = web.json_response(_shown(shown), dumps=_dumps)
        if fresh:
            self.remember(request, response, user_id)
        return response

    def action(self, body: bytes) -> tuple[Action, str | None] | None:
        """The action a post asks for, or None when it is not one we take."""
        try:
            payload = read_json(body)
        except ValueError:
            return None
        if not isinstance(payload, dict) or len(payload) > 2:
            return None
        text, press, command = payload.get("text"), payload.get("press"), payload.get("command")
        if isinstance(text, str) and text.strip():
            typed = text.strip()
            name = typed[1:].lower() if typed.startswith("/") else ""
            if name and self.app.actions.knows(name):
                return Command(name), None
            return Typed(typed[:MAX_TEXT]), None
        if isinstance(press, str) and 0 < len(press) <= MAX_PRESS:
            on = payload.get("message")
            return Press(press), valid_id(on) if isinstance(on, str) else None
        if isinstance(command, str) and self.app.actions.knows(command):
            return Command(command), None
        return None


async def _body(request: web.Request) -> bytes | None:
    """The whole body, or None past :data:`MAX_BODY` (said by its length, or found while
    reading one sent in chunks), never reading more than that."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = b""
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


def locale(request: web.Request) -> str | None:
    """The first language of ``Accept-Language`` (``en-GB``), or None."""
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip()
    if not first or first == "*" or len(first) > 35:
        return None
    return first if all(part.isalnum() and part.isascii() for part in first.split("-")) else None


def _shown(shown: Shown) -> dict[str, Any]:
    return {
        "messages": list(shown.messages),
        "notices": list(shown.notices),
        "cleared": shown.cleared,
    }


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _message(entry_id: str, message: Message) -> bytes:
    """One SSE message; its id is the stream's, so a reconnect resumes after it."""
    return (
        b"id: "
        + entry_id.encode()
        + b"\ndata: "
        + orjson.dumps({"id": entry_id, **message})
        + b"\n\n"
    )
