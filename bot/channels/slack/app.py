"""The bolt ``AsyncApp`` for kneecheck: its Web API client, listeners, and two workarounds.

``build_slack_app`` is the only place bolt is configured. The app's ``AsyncWebClient`` is
built with ``SLACK_API_URL`` (tests point it at a local fake Slack) and retries once on a
rate limit. ``process_before_response=False``: Slack gets its answer as soon as a listener
acknowledges, and the work runs afterwards as a bolt lazy listener.

Two things bolt 1.30 does not do that we need:
- it does not keep its lazy-listener tasks, so nothing could wait for in-flight turns on
  SIGTERM (or in tests): :class:`TrackedLazyRunner` keeps them and ``drain`` awaits them;
- it parses any form body containing the substring "payload" as an interactivity payload,
  so ``/kneecheck`` with that word in its text would be answered 404: :class:`SlackRequest`
  parses such a body as the form it is (the signature is still checked on the raw body).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.render import TICKS_PREFIX
from bot.wiring import App

log = logging.getLogger(__name__)

COMMAND = "/kneecheck"
SDK_LOGGERS = ("slack_sdk", "slack_bolt")
"""At DEBUG these log request bodies (what users typed and were told): kept at INFO or above."""


class SlackRequest(AsyncBoltRequest):
    """An ``AsyncBoltRequest`` that reads a form body with "payload" in its text as a form."""

    def __init__(self, *, body: str | dict[str, Any], **kwargs: Any) -> None:
        super().__init__(body=body, **kwargs)
        if isinstance(body, str) and not self.body and "payload" in body:
            fields = dict(parse_qsl(body, keep_blank_values=True))
            if "payload" not in fields:
                self.body = fields
                self.context = build_async_context(
                    AsyncBoltContext(kwargs.get("context") or {}), self.body
                )

    def to_copyable(self) -> SlackRequest:
        """The request a lazy listener gets: this one's parsed body, a context of its own.

        bolt's own copy parses the raw body again and then deep-copies the result and the
        context (its Web API client included). A button's payload carries the whole message it
        was pressed on, so that was thousands of objects per press and the largest CPU cost of
        a turn. The body, query and headers are only read after parsing, so they are shared.
        """
        copied = copy.copy(self)
        copied.context = self.context.to_copyable()
        return copied

    def __deepcopy__(self, memo: dict[int, Any]) -> SlackRequest:
        # bolt deep-copies what to_copyable returned (util.create_copy): that is a copy already.
        return self.to_copyable()


class TrackedLazyRunner(AsyncioLazyListenerRunner):
    """bolt's asyncio lazy runner, keeping each task until it ends so it can be awaited."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger)
        self.tasks: set[asyncio.Future[None]] = set()

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        task = asyncio.ensure_future(
            to_runnable_function(internal_func=function, logger=self.logger, request=request)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class KneecheckSlackApp(AsyncApp):
    """bolt's AsyncApp with the kneecheck channel and its in-flight work attached."""

    channel: SlackChannel
    lazy: TrackedLazyRunner

    async def drain(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until no lazy work is running (new work started meanwhile included).

        Returns False if ``timeout`` seconds passed first; the work is then left running.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self.lazy.tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(set(self.lazy.tasks), timeout=left)
        return True


def _not_the_token_notice(record: logging.LogRecord) -> bool:
    # bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: it is the same.
    return "`token` will be unused" not in record.getMessage()


def _quiet_sdk_loggers() -> logging.Logger:
    # Their own level, not the effective one: LOG_LEVEL=DEBUG set later must not reopen them.
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
    ours = logging.getLogger("slack_bolt.kneecheck")
    if _not_the_token_notice not in ours.filters:
        ours.addFilter(_not_the_token_notice)
    return ours


def build_slack_app(app: App, *, socket_mode: bool = False) -> KneecheckSlackApp:
    """The bolt app serving kneecheck: HTTP (signatures checked) or Socket Mode."""
    settings = app.settings
    if settings.slack_bot_token is None:
        raise RuntimeError("SLACK_BOT_TOKEN is not set")
    secret = settings.slack_signing_secret
    if secret is None and not socket_mode:
        # Never serve HTTP unverified: an empty secret would accept anyone's signature.
        raise RuntimeError("SLACK_SIGNING_SECRET is not set")
    logger = _quiet_sdk_loggers()
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        logger=logger,
    )
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    bolt = KneecheckSlackApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,
        process_before_response=False,
        logger=logger,
    )
    bolt.lazy = TrackedLazyRunner(logger)
    bolt.listener_runner.lazy_listener_runner = bolt.lazy
    channel = SlackChannel(app.conversations, app.store, salt=settings.salt)
    bolt.channel = channel
    bolt.command(COMMAND)(ack=channel.acknowledge, lazy=[channel.on_command])
    # A tick is kept by the Slack client and only checked; Done makes the turn.
    ticks = re.compile(f"^{re.escape(TICKS_PREFIX)}")
    bolt.block_action(ticks)(ack=channel.acknowledge, lazy=[channel.on_ticks])
    bolt.block_action(re.compile(".*"))(ack=channel.acknowledge, lazy=[channel.on_action])
    bolt.event("message")(ack=channel.acknowledge, lazy=[channel.on_message])
    return bolt
