"""The web chat's HTTP side: the page, its files, the event stream and the post.

- ``GET /chat``: the page (HTML in the reader's language, with the command menu); sets the
  cookie, or renews it.
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
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from bot.catalog.content import Content
from bot.channels.web import inbound
from bot.channels.web.channel import Shown, WebChat
from bot.channels.web.entry import PREFIX
from bot.channels.web.identity import COOKIE, new_id, sign, verify
from bot.channels.web.limits import RateLimit
from bot.channels.web.page import STATIC, Page, headers, text
from bot.channels.web.render import Message
from bot.channels.web.settings import WebSettings
from bot.channels.web.stream import Inbox, stream_id
from bot.metrics import ERRORS
from bot.parts import App
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KEEPALIVE_MS = 15_000
"""A blocked read's longest wait: then a comment line keeps proxies from closing the stream
and shows whether the tab is still there."""
RETRY_MS = 3_000


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
        self.headers = headers(settings.web_chat_frame_ancestors.split())
        self.page_files = Page()
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
        return self.catalog.content(inbound.locale(request))

    def slow_down(self, request: web.Request) -> web.Response:
        return self.problem(429, "slow_down", text(self.content(request), "web_slow_down"))

    # -- the page -----------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.StreamResponse:
        page = self.page_files.html(self.content(request), self.app.actions.commands())
        response = web.Response(
            text=page, content_type="text/html", headers={"Cache-Control": "no-store"}
        )
        user_id, _ = self.identify(request)
        # Set on every visit: the cookie lives as long after the last visit as the data does.
        self.remember(request, response, user_id)
        return response

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC:
            return self.problem(404, "not_found")
        return web.Response(
            body=self.page_files.files[name],
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    # -- messages out -------------------------------------------------------------------------

    async def history(self, request: web.Request) -> web.StreamResponse:
        user_id = verify(self.secret, request.cookies.get(COOKIE))
        if user_id is None:
            return web.json_response({"messages": []})
        user, after = UserRef(PREFIX, user_id), stream_id(request.query.get("after"))
        # The whole conversation (the stream keeps a few hundred messages at most).
        messages = [{"id": i, **m} async for i, m in self.inbox.backlog(user, after)]
        return web.json_response({"messages": messages}, dumps=_dumps)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The user's inbox as server-sent events, until the tab or the server goes."""
        user_id = verify(self.secret, request.cookies.get(COOKIE))
        if user_id is None:
            return self.problem(401, "no_session", "Open /chat first.")
        if not await self.limit.allow(user_id, request.remote or ""):  # each holds a connection
            return self.slow_down(request)
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
        async for entry_id, message in self.inbox.backlog(user, after):  # without waiting
            await response.write(_message(entry_id, message))
            after, replayed = entry_id, replayed + 1
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
        raw = await inbound.body(request)
        if raw is None:
            return self.problem(413, "too_large")
        user_id, fresh = self.identify(request)
        if not await self.limit.allow(user_id, request.remote or ""):
            return self.slow_down(request)
        parsed = inbound.action(raw, self.app.actions)
        if parsed is None:
            return self.problem(400, "bad_request")
        action, pressed_on = parsed
        user = UserRef(PREFIX, user_id)
        locale = inbound.locale(request)
        shown = await self.chat.act(user, action, locale=locale, pressed_on=pressed_on)
        log.debug("web post", extra={"user": user.hashed(self.salt), "kind": type(action).__name__})
        response = web.json_response(_shown(shown), dumps=_dumps)
        if fresh:
            self.remember(request, response, user_id)
        return response


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
