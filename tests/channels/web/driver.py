"""A browser without a browser: the web chat's HTTP as the page uses it, for the HTTP tests
(the real page in Chromium is in ``test_browser.py``).

``ChatServer`` is the aiohttp app with the chat mounted, served on 127.0.0.1 with a real
Redis; ``Tab`` is one tab of one browser: it opens the page (and so gets the cookie), holds
the event stream, and posts what a person would press or type. Waits are on what arrives,
with a deadline, never on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.catalog.loader import CONTENT_DIR
from bot.channels.web.routes import WebRoutes, mount_chat
from bot.channels.web.settings import WebSettings
from bot.parts import App
from bot.settings import Settings
from bot.wiring import build_app

SECRET = "test-web-chat-secret"
DEADLINE = 10.0
Message = dict[str, Any]


class Served(Protocol):
    url: str
    """Where the chat is served: ``http://127.0.0.1:<port>``."""


@dataclass
class Address:
    url: str


@dataclass
class ChatServer:
    app: App
    routes: WebRoutes
    url: str
    runner: web.AppRunner

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        redis_url: str | None,
        *,
        keepalive_ms: int = 1_000,
        content_dir: Path = CONTENT_DIR,
        **web_settings: Any,
    ) -> AsyncIterator[ChatServer]:
        app = build_app(Settings(redis_url=redis_url, content_dir=content_dir))
        settings = WebSettings(web_chat_secret=SecretStr(SECRET), **web_settings)
        web_app = web.Application()
        routes = mount_chat(web_app, app, settings, keepalive_ms=keepalive_ms)
        runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = int(runner.addresses[0][1])
        try:
            yield cls(app, routes, f"http://127.0.0.1:{port}", runner)
        finally:
            await runner.cleanup()
            await app.close()


@dataclass
class Tab:
    """One tab: ``session`` is its browser (share it between tabs of one browser)."""

    server: Served
    session: aiohttp.ClientSession
    messages: list[Message] = field(default_factory=list)
    """Every message the event stream brought, in order."""
    events: list[str] = field(default_factory=list)
    """The names of the other events (``ready``, ``unavailable``)."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    @staticmethod
    def browser() -> aiohttp.ClientSession:
        # unsafe: the jar keeps cookies set by an IP address (127.0.0.1).
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def open(self) -> aiohttp.ClientResponse:
        async with self.session.get(f"{self.server.url}/chat") as response:
            await response.read()
            return response

    async def listen(self, last_id: str | None = None) -> None:
        ready = len([e for e in self.events if e == "ready"])
        self.reader = asyncio.create_task(self._read(last_id))
        await self.wait_for(lambda: self.events.count("ready") > ready)

    async def _read(self, last_id: str | None) -> None:
        headers = {"Last-Event-ID": last_id} if last_id else {}
        async with self.session.get(f"{self.server.url}/chat/events", headers=headers) as resp:
            assert resp.status == 200, resp.status
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            name, data = "message", ""
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    if name == "message":
                        self.messages.append(json.loads(data))
                    else:
                        self.events.append(name)
                    self.arrived.set()
                    name, data = "message", ""

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader

    async def wait_for(self, check: Callable[[], bool], deadline: float = DEADLINE) -> None:
        async with asyncio.timeout(deadline):
            while not check():
                self.arrived.clear()
                await self.arrived.wait()

    async def post(self, body: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(
            f"{self.server.url}/chat/send", json=body, **kwargs
        ) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = {}
            return response.status, answer

    async def act(self, body: Any) -> dict[str, Any]:
        """Post, and wait until the stream has brought every message the post appended."""
        status, answer = await self.post(body)
        assert status == 200, (status, answer)
        ids = {m["id"] for m in answer["messages"] if "id" in m}
        if ids and self.reader is not None:
            await self.wait_for(lambda: ids <= {m["id"] for m in self.messages})
        return answer

    # -- what a person does -----------------------------------------------------------------

    def last_with_choices(self) -> Message:
        return next(m for m in reversed(self.messages) if m.get("choices"))

    def choice(self, value: str) -> tuple[str, str]:
        """(payload, message id) of the newest button whose option is ``value``."""
        for message in reversed(self.messages):
            for choice in message.get("choices", ()):
                if choice["data"].split("|")[2] == value:
                    return choice["data"], message["id"]
        raise AssertionError(f"no button {value!r} on the page")

    async def press(self, value: str) -> dict[str, Any]:
        data, on = self.choice(value)
        return await self.act({"press": data, "message": on})

    async def say(self, text: str) -> dict[str, Any]:
        return await self.act({"text": text})

    async def command(self, name: str) -> dict[str, Any]:
        return await self.act({"command": name})

    def last(self) -> Message:
        return next(m for m in reversed(self.messages) if m["kind"] != "answered")

    @staticmethod
    def text(message: Message) -> str:
        parts: list[str] = []
        for section in message.get("sections", ()):
            parts.append(section.get("title", ""))
            for name in ("paragraphs", "bullets", "steps"):
                parts.extend(section.get(name, ()))
        return "\n".join(p for p in parts if p)
