"""One web service for every channel: Telegram's webhook, Slack's events, health and metrics.

`kneecheck serve` (the Procfile's ``web:`` line). Stateless: everything lives in
Redis, so any number of these processes can run behind one address. aiohttp,
because bolt's Slack handler already runs on it; one server, one event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY
from bot.serving import SHUTDOWN_GRACE_SECONDS, serve_app
from bot.wiring import App

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
SLACK_PATH = "/slack/events"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_web_app(app: App) -> web.Application:
    """The routes for the channels that are configured, plus /healthz and /metrics."""
    web_app = web.Application()
    web_app.router.add_get("/healthz", _healthz(app))
    web_app.router.add_get("/metrics", _metrics)
    if app.settings.telegram_bot_token is not None:
        _add_telegram(app, web_app)
    if app.settings.slack_bot_token is not None:
        from bot.channels.slack.app import build_slack_app
        from bot.channels.slack.runner import request_handler

        bolt = build_slack_app(app)
        web_app.router.add_post(SLACK_PATH, request_handler(bolt))

        async def drain(_: web.Application) -> None:
            await bolt.drain(SHUTDOWN_GRACE_SECONDS)

        web_app.on_shutdown.append(drain)
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


def _add_telegram(app: App, web_app: web.Application) -> None:
    """The webhook route, and PTB's Application (no updater: Telegram posts to us) for the
    life of the server. A missing secret refuses to start: the route would accept anyone."""
    from bot.channels.telegram.runner import process_webhook, telegram_app

    secret = app.settings.telegram_webhook_secret
    if secret is None:
        raise RuntimeError("TELEGRAM_WEBHOOK_SECRET is not set: the webhook would accept anyone")
    application = telegram_app(app, polling=False)

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get(SECRET_HEADER)
        status = await process_webhook(application, body, header, secret.get_secret_value())
        return web.Response(status=status)

    async def lifespan(_: web.Application) -> AsyncIterator[None]:
        async with application:
            yield

    web_app.router.add_post(TELEGRAM_PATH, webhook)
    web_app.cleanup_ctx.append(lifespan)


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
