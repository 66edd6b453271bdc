"""Running the Telegram channel: long polling for development, a webhook handler for the web."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest

from bot.channels.json_in import read_json
from bot.channels.telegram.bot import (
    CHANNEL_KEY,
    NotDelivered,
    TelegramChannel,
    build_application,
)
from bot.metrics import ERRORS
from bot.parts import App
from bot.serving import SHUTDOWN_GRACE_SECONDS, Stopper, started_up

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def telegram_app(
    app: App,
    *,
    polling: bool,
    updates: int | BaseUpdateProcessor = 16,
    request: BaseRequest | None = None,
) -> Application:  # type: ignore[type-arg]
    token = app.settings.telegram_bot_token
    if token is None:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    channel = TelegramChannel(app.actions, salt=app.settings.salt)
    return build_application(
        channel,
        token.get_secret_value(),
        base_url=app.settings.telegram_api_base_url,
        polling=polling,
        concurrent_updates=updates,
        request=request,
        max_rate=app.settings.telegram_max_rate,
    )


async def run_polling(
    app: App,
    *,
    stop: asyncio.Event | None = None,
    poll_timeout: int = 10,
    updates: int | BaseUpdateProcessor = 16,
    handle_signals: bool = True,
) -> None:
    """Poll until SIGTERM/SIGINT (or ``stop``), then stop polling and finish the turns in hand."""
    application = telegram_app(app, polling=True, updates=updates)
    with Stopper(stop or asyncio.Event(), handle_signals) as stopping:
        async with application:
            if application.post_init is not None:
                await application.post_init(application)
            await application.start()
            assert application.updater is not None
            with started_up():
                await application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout
                )
                log.info("telegram: polling")
                await stopping.wait()
                log.info("telegram: stopping")
                await asyncio.wait_for(application.updater.stop(), SHUTDOWN_GRACE_SECONDS)
                await asyncio.wait_for(application.stop(), SHUTDOWN_GRACE_SECONDS)


async def process_webhook(
    application: Application,  # type: ignore[type-arg]
    body: bytes,
    secret_header: str | None,
    secret: str,
) -> int:
    """Handle one webhook POST; returns the HTTP status to answer Telegram with.

    The secret token header is compared in constant time; a request without the
    right one is refused before its body is even parsed. The update's JSON goes
    straight to the channel: no PTB ``Update`` objects on this path.

    503 when a saved turn's replies could not all be sent: Telegram then delivers the
    update again, and the replies still owed go out with it (see :mod:`bot.conversations`).
    """
    if not secret_header or not hmac.compare_digest(secret_header.encode(), secret.encode()):
        return 401
    try:
        update = read_json(body)
    except ValueError:
        return 400
    if not isinstance(update, dict):
        return 400
    channel: TelegramChannel = application.bot_data[CHANNEL_KEY]
    try:
        await channel.handle(update, application.bot)
    except NotDelivered:
        ERRORS.labels(where="telegram").inc()
        log.warning("replies not delivered: asking Telegram to deliver the update again")
        return 503
    return 200


def mount_webhook(web_app: web.Application, app: App) -> None:
    """The webhook route on ``kneecheck serve``, and PTB's Application (no updater: Telegram
    posts to us) for the life of the server. A missing secret refuses to start: the route
    would accept anyone."""
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

    web_app.router.add_post(WEBHOOK_PATH, webhook)
    web_app.cleanup_ctx.append(lifespan)
