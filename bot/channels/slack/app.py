"""The bolt ``AsyncApp`` for kneecheck: its Web API client, listeners, and two workarounds.

``build_slack_app`` is the only place bolt is configured. The app's ``AsyncWebClient`` is
built with ``SLACK_API_URL`` (tests point it at a local fake Slack) and retries once on a
rate limit. Every listener only acknowledges and the work runs afterwards as a bolt lazy
listener, so ``process_before_response=True`` answers Slack as soon as the ack returns (with
False bolt runs the ack in a task and polls for it every 10 ms, which put 10 ms, and under load
much more, on every answer).

What bolt 1.30 does not do that we need:
- it does not keep its lazy-listener tasks, so nothing could wait for in-flight turns on
  SIGTERM (or in tests): :class:`TrackedLazyRunner` keeps them and ``drain`` awaits them;
- it parses any form body containing the substring "payload" as an interactivity payload,
  so ``/kneecheck`` with that word in its text would be answered 404: :class:`SlackRequest`
  parses such a body as the form it is (the signature is still checked on the raw body);
- speed (``python -m bench.slack``): bolt parses each request again and deep-copies it for
  every lazy listener, reads the lazy function's signature on every request, and its client
  opens a new connection for every Web API call. :class:`SlackRequest` is parsed once, faster,
  and its copies share the parsed body; :class:`TrackedLazyRunner` reads a signature once; the
  app keeps one aiohttp session in HTTP mode (:meth:`KneecheckSlackApp.async_dispatch`).
"""

from __future__ import annotations

import asyncio
import codecs
import copy
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_bolt.util.utils import get_arg_names_of_callable
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.json_in import read_json
from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.render import TICKS_PREFIX
from bot.parts import App

log = logging.getLogger(__name__)

COMMAND = "/kneecheck"
SDK_LOGGERS = ("slack_sdk", "slack_bolt")
"""At DEBUG these log request bodies (what users typed and were told): kept at INFO or above."""
SDK_LOGGER = "slack_bolt.kneecheck"
"""The logger given to bolt and to the Web API client."""
LazyFunction = Callable[..., Awaitable[None]]


def _unquote_plus(text: str) -> str:
    """``urllib.parse.unquote_plus``, in C for the well-formed ASCII that Slack sends.

    The stdlib decodes ``%XX`` in a Python loop; an interactivity payload carries the whole
    message it was pressed on, hundreds of escapes, so that loop was a tenth of a turn's CPU.
    Anything the fast way cannot decode exactly goes the stdlib way.
    """
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii() and "\\" not in text:
        try:
            escaped = codecs.decode(text.replace("%", "\\x").encode("ascii"), "unicode_escape")
            return escaped.encode("latin-1").decode("utf-8")
        except (UnicodeError, ValueError):  # a stray "%" or bytes that are not UTF-8
            pass
    return unquote(text)


def form_fields(body: str) -> dict[str, str]:
    """``dict(parse_qsl(body, keep_blank_values=True))``, decoded by :func:`_unquote_plus`."""
    fields: dict[str, str] = {}
    for pair in body.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[_unquote_plus(name)] = _unquote_plus(value)
    return fields


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """bolt's ``parse_body``, except that a form is a form unless it has a ``payload`` field
    (bolt reads any body with the text "payload" in it as an interactivity payload)."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        parsed: dict[str, Any] = read_json(body)
        return parsed
    fields = form_fields(body)
    if "payload" in fields:
        payload: dict[str, Any] = read_json(fields["payload"])
        return payload
    return dict(fields)


class SlackRequest(AsyncBoltRequest):
    """An ``AsyncBoltRequest`` whose raw body is read by :func:`parse_body`.

    bolt would answer ``/kneecheck`` with the word "payload" in its text 404 (see above), and
    its form decoding was a tenth of a turn's CPU. The signature is still checked on the raw
    body.
    """

    def __init__(self, *, body: str | dict[str, Any], **kwargs: Any) -> None:
        if not isinstance(body, str):
            super().__init__(body=body, **kwargs)
            return
        super().__init__(body="", **kwargs)  # bolt's fields from the headers; no parsing
        self.raw_body = body
        self.body = parse_body(body, self.content_type)
        self.context = build_async_context(AsyncBoltContext(kwargs.get("context") or {}), self.body)

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
    """bolt's asyncio lazy runner, keeping each task until it ends so it can be awaited.

    It runs a lazy function as bolt's ``to_runnable_function`` does, but reads the function's
    argument names once (bolt reads its signature again for every request).
    """

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger)
        self.tasks: set[asyncio.Future[None]] = set()
        self._arg_names: dict[LazyFunction, tuple[str, ...]] = {}

    def start(self, function: LazyFunction, request: AsyncBoltRequest) -> None:
        task = asyncio.ensure_future(self._run(function, request))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, function: LazyFunction, request: AsyncBoltRequest) -> None:
        names = self._arg_names.get(function)
        if names is None:
            names = self._arg_names[function] = tuple(get_arg_names_of_callable(function))
        try:
            await function(
                **build_async_required_kwargs(
                    logger=self.logger,
                    required_arg_names=list(names),  # bolt pops "self" off the list it gets
                    request=request,
                    response=None,
                    this_func=function,
                )
            )
        except Exception as e:
            self.logger.error(f"Failed to run an internal function ({e})")


class KneecheckSlackApp(AsyncApp):
    """bolt's AsyncApp with the kneecheck channel and its in-flight work attached."""

    channel: SlackChannel
    lazy: TrackedLazyRunner
    keep_connections: bool
    """HTTP mode: the Web API client keeps one aiohttp session (see :meth:`async_dispatch`)."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        """bolt's dispatch, with the Web API client's session open first.

        bolt gives each request a client of its own that shares the app client's aiohttp
        session; with none, slack_sdk opens a session per call: a new connection (with Slack,
        a TLS handshake) for every message sent or updated. The session is opened here, inside
        the event loop, and let go by :meth:`drain`. Not in Socket Mode: bolt deep-copies each
        request there for lazy listeners, and a session cannot be copied (HTTP requests are
        :class:`SlackRequest`, whose copies share what they hold).
        """
        client = self.client
        if self.keep_connections and (client.session is None or client.session.closed):
            client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=client.timeout)
            )
        return await super().async_dispatch(req)

    async def close_connections(self) -> None:
        session, self.client.session = self.client.session, None
        if session is not None:
            await session.close()

    async def drain(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until no lazy work is running (new work started meanwhile included), then
        close the Web API client's idle connections (the next call opens new ones).

        Returns False if ``timeout`` seconds passed first; the work is then left running.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self.lazy.tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(set(self.lazy.tasks), timeout=left)
        await self.close_connections()  # idle: let them go (the next request reopens them)
        return True


def _not_the_token_notice(record: logging.LogRecord) -> bool:
    # bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: it is the same.
    return "`token` will be unused" not in record.getMessage()


def _quiet_sdk_loggers() -> logging.Logger:
    # Their own level, not the effective one: LOG_LEVEL=DEBUG set later must not reopen them.
    # Ours too: slack_sdk reads the client logger's own level (NOTSET is below DEBUG) to decide
    # whether to format every request and response, blocks and all, for a debug line.
    for name in (*SDK_LOGGERS, SDK_LOGGER):
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
    ours = logging.getLogger(SDK_LOGGER)
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
        process_before_response=True,  # the listeners only ack: see the module's docstring
        logger=logger,
    )
    bolt.keep_connections = not socket_mode
    bolt.lazy = TrackedLazyRunner(logger)
    bolt.listener_runner.lazy_listener_runner = bolt.lazy
    channel = SlackChannel(app.actions, salt=settings.salt)
    bolt.channel = channel
    # bolt tries listeners in order, building every listener argument for each try: the most
    # frequent requests first. A tick is kept by the Slack client and only checked; Done
    # (like every other button) makes the turn.
    ticks = f"^{re.escape(TICKS_PREFIX)}"
    buttons = re.compile(f"^(?!{re.escape(TICKS_PREFIX)})")
    bolt.block_action(buttons)(ack=channel.acknowledge, lazy=[channel.on_action])
    bolt.block_action(re.compile(ticks))(ack=channel.acknowledge, lazy=[channel.on_ticks])
    bolt.command(COMMAND)(ack=channel.acknowledge, lazy=[channel.on_command])
    bolt.event("message")(ack=channel.acknowledge, lazy=[channel.on_message])
    return bolt
