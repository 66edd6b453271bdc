"""Running the Slack channel: HTTP at /slack/events, or Socket Mode for development.

HTTP mode serves one aiohttp route for slash commands, interactivity and events alike.
:func:`request_handler` is that route's handler on its own, for the shared web service to
mount next to its other routes. Socket Mode (``kneecheck slack --socket``) needs no public
URL: it dials out to Slack over a WebSocket with the app-level token.

On SIGTERM/SIGINT both stop taking new requests, then give the turns in hand a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.channels.json_in import read_json
from bot.channels.slack.app import KneecheckSlackApp, SlackRequest, build_slack_app
from bot.channels.slack.shapes import answered
from bot.metrics import ERRORS, SLACK_ACK_SECONDS
from bot.parts import App
from bot.serving import SHUTDOWN_GRACE_SECONDS, Stopper, serve_app, started_up

log = logging.getLogger(__name__)

PATH = "/slack/events"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


MAX_BODY_BYTES = 1_000_000
"""Slack's own payloads are far smaller; anything bigger is refused before it is read further."""


def _signed(verifier: SignatureVerifier, raw: bytes, headers: Any) -> bool:
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature:
        return False
    try:
        return verifier.is_valid(body=raw, timestamp=timestamp, signature=signature)
    except ValueError:
        return False


def _usable(body: str, content_type: str) -> bool:
    """Whether ``body`` is one of the requests kneecheck answers (:mod:`.shapes`): the JSON
    of an event, or a form that is ``/kneecheck`` or carries a button's ``payload``."""
    if not body:
        return False
    try:
        if content_type.startswith("application/json") or body.lstrip().startswith(("{", "[")):
            parsed = read_json(body)
            return isinstance(parsed, dict) and answered(parsed, form=False)
        form = parse_qs(body, keep_blank_values=True)
        if any(len(values) != 1 for values in form.values()):
            return False
        fields = {name: values[0] for name, values in form.items()}
        if "payload" in fields:
            payload = read_json(fields["payload"])
            return isinstance(payload, dict) and answered(payload, form=False)
        return answered(fields, form=True)
    except ValueError:
        return False


def request_handler(bolt: AsyncApp) -> Handler:
    """The aiohttp handler for Slack's POSTs: signature check, ack, and the work started."""

    verifier = SignatureVerifier(bolt._signing_secret)
    verify = bool(bolt._signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:
            return web.Response(status=413)
        # The signature first, on the raw bytes: nothing Slack did not sign is parsed at all
        # (bolt checks it again, after parsing; a garbage body must never get that far).
        if verify and not _signed(verifier, raw, request.headers):
            return web.Response(status=401)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            body = ""
        if not _usable(body, request.headers.get("Content-Type", "")):
            # Signed, but nothing Slack sends: acknowledged (so it is not retried) and noted,
            # without its content.
            ERRORS.labels(where="slack").inc()
            log.warning("slack: a signed request with an unusable body was ignored")
            return web.Response(status=200)
        headers: Any = request.headers  # bolt reads any mapping of header names to values
        try:
            bolt_request = SlackRequest(body=body, query=request.query_string, headers=headers)
            response = await bolt.async_dispatch(bolt_request)
        except Exception:  # signed but unusable: acknowledged, so Slack does not retry it
            ERRORS.labels(where="slack").inc()
            log.exception("slack: a signed request could not be handled")
            return web.Response(status=200)
        # Slack retries what is not acknowledged within 3 s: the figure to watch.
        SLACK_ACK_SECONDS.observe(time.perf_counter() - started)
        if response.status >= 500:
            ERRORS.labels(where="slack").inc()
        return await to_aiohttp_response(response)

    return handle


def web_app(bolt: AsyncApp, path: str = PATH) -> web.Application:
    """An aiohttp application with the Slack route only (``kneecheck slack``, tests)."""
    application = web.Application()
    application.router.add_post(path, request_handler(bolt))
    return application


async def _finish(bolt: KneecheckSlackApp) -> None:
    if not await bolt.drain(SHUTDOWN_GRACE_SECONDS):
        log.warning("slack: stopped with turns still running")


async def run_http(
    app: App,
    *,
    host: str | None = None,
    port: int | None = None,
    stop: asyncio.Event | None = None,
    started: Callable[[int], None] | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve ``/slack/events`` until SIGTERM/SIGINT (or ``stop``); ``started`` gets the port."""
    bolt = build_slack_app(app)
    try:
        await serve_app(
            web_app(bolt),
            host=host if host is not None else app.settings.host,
            port=port if port is not None else app.settings.port,
            stop=stop,
            started=started,
            handle_signals=handle_signals,
        )
    finally:
        await _finish(bolt)


def socket_handler(app: App) -> tuple[KneecheckSlackApp, AsyncSocketModeHandler]:
    """The bolt app and an aiohttp-based Socket Mode handler for it (not yet connected)."""
    token = app.settings.slack_app_token
    if token is None:
        raise RuntimeError("SLACK_APP_TOKEN is not set (Socket Mode needs an xapp- token)")
    bolt = build_slack_app(app, socket_mode=True)
    return bolt, AsyncSocketModeHandler(bolt, token.get_secret_value())


async def run_socket(
    app: App, *, stop: asyncio.Event | None = None, handle_signals: bool = True
) -> None:
    """Socket Mode until SIGTERM/SIGINT (or ``stop``)."""
    bolt, handler = socket_handler(app)
    with Stopper(stop or asyncio.Event(), handle_signals) as stopping, started_up():
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]  # untyped in bolt
            log.info("slack: connected in Socket Mode")
            await stopping.wait()
            log.info("slack: stopping")
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
            await _finish(bolt)


def mount_events(web_app: web.Application, app: App) -> None:
    """Slack's route on ``kneecheck serve``; work in hand is drained on shutdown."""
    bolt = build_slack_app(app)
    web_app.router.add_post(PATH, request_handler(bolt))

    async def drain(_: web.Application) -> None:
        await bolt.drain(SHUTDOWN_GRACE_SECONDS)

    web_app.on_shutdown.append(drain)
