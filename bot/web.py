"""One web service for every channel: Telegram's webhook, Slack's events, health and metrics.

`kneecheck serve` (the Procfile's ``web:`` line). Stateless: everything lives in
Redis, so any number of these processes can run behind one address. aiohttp,
because bolt's Slack handler already runs on it; one server, one event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.channels import registry
from bot.metrics import REGISTRY
from bot.parts import App
from bot.serving import serve_app

log = logging.getLogger(__name__)


def create_web_app(app: App) -> web.Application:
    """The routes of every configured channel (see :mod:`bot.channels.registry`), plus
    /healthz and /metrics."""
    web_app = web.Application()
    web_app.router.add_get("/healthz", _healthz(app))
    web_app.router.add_get("/metrics", _metrics)
    registry.mount(web_app, app)
    return web_app


def create_health_app(app: App) -> web.Application:
    """/healthz and /metrics alone: what a worker process serves on WORKER_PORT."""
    web_app = web.Application()
    web_app.router.add_get("/healthz", _healthz(app))
    web_app.router.add_get("/metrics", _metrics)
    return web_app


def _healthz(app: App) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(request: web.Request) -> web.Response:
        if await app.store.ping():
            return web.json_response({"status": "ok"})
        return web.json_response(
            {"status": "unavailable", "reason": "redis unreachable"}, status=503
        )

    return healthz


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def serve(
    app: App,
    *,
    host: str | None = None,
    port: int | None = None,
    stop: asyncio.Event | None = None,
    started: Callable[[int], None] | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop``); requests in hand get a grace period."""
    await serve_app(
        create_web_app(app),
        host=host if host is not None else app.settings.host,
        port=port if port is not None else app.settings.port,
        stop=stop,
        started=started,
        handle_signals=handle_signals,
    )


def webhook_url(app: App) -> str:
    url = app.settings.telegram_webhook_url
    if not url:
        raise RuntimeError("TELEGRAM_WEBHOOK_URL is not set")
    return url


async def set_webhook(app: App) -> str:
    """Register the webhook with Telegram once (``kneecheck set-webhook``)."""
    from telegram import Bot

    token, secret = app.settings.telegram_bot_token, app.settings.telegram_webhook_secret
    if token is None or secret is None:
        raise RuntimeError("TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET must be set")
    base_url = app.settings.telegram_api_base_url or "https://api.telegram.org/bot"
    async with Bot(token.get_secret_value(), base_url=base_url) as bot:
        await bot.set_webhook(
            webhook_url(app),
            secret_token=secret.get_secret_value(),
            allowed_updates=["message", "callback_query"],
        )
    return json.dumps(
        {"webhook": webhook_url(app), "allowed_updates": ["message", "callback_query"]}
    )
