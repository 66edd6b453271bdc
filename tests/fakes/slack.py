"""A fake Slack for tests: a Web API server, response URLs, and a signer that speaks as Slack.

Why a server and not a mock: the Slack channel is only trustworthy if it is driven through the
real ``slack_sdk`` ``AsyncWebClient`` and the real slack-bolt ``AsyncApp`` over real HTTP. A mocked
client would happily accept methods Slack does not have, blocks Slack would reject, and would never
answer 429. So :class:`FakeSlack` serves ``/api/<method>`` on 127.0.0.1 for the real client
(``AsyncWebClient(token=..., base_url=fake.base_url)``), enforces the Block Kit limits Slack
enforces, and can be told to rate-limit or fail the next call. :class:`SlackSigner` and the
``*_body`` helpers go the other way: they build request bodies shaped like Slack's and sign them
exactly as Slack does, so our app's signature verification is exercised rather than switched off.

Everything here runs on the test's own event loop; nothing sleeps. Tests wait on
:meth:`FakeSlack.wait_for`, which re-checks its predicate each time the fake handles a request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from tests.fakes.served import Served

JSONDict = dict[str, Any]

# Block Kit and message limits, as documented by Slack and enforced by its servers.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_ID_LENGTH = 255  # action_id and block_id
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL_LENGTH = 3000
MAX_MESSAGE_TEXT = 40_000

DEFAULT_SCOPES = "chat:write,commands,files:write,im:history,im:write,users:read"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
SIGNATURE_VERSION = "v0"


# ---------------------------------------------------------------------------
# Serving an aiohttp application on loopback


class LocalServer(Served):
    """Serves an ``aiohttp.web.Application`` on 127.0.0.1, on a port the OS picks.

    Why our own socket: binding it ourselves tells us the port without reaching into aiohttp's
    private attributes, and 127.0.0.1 keeps test traffic on loopback. Used for the fake and for
    serving the bolt app under test (``LocalServer(bolt_app.web_app())``).
    """

    def __init__(self, app: web.Application, *, shutdown_timeout: float = 2.0) -> None:
        self._app = app
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Root URL without a trailing slash, e.g. ``http://127.0.0.1:40123``."""
        if self._runner is None:
            raise RuntimeError("server is not started")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("server is already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
            runner = web.AppRunner(
                self._app, access_log=None, shutdown_timeout=self._shutdown_timeout
            )
            await runner.setup()
        except BaseException:
            sock.close()
            raise
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Stops serving; safe to call twice. Closes the listening socket and open connections."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


# ---------------------------------------------------------------------------
# Block Kit validation (the subset of Slack's schema that real messages trip over)


def _text_object_errors(obj: object, pointer: str, limit: int) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"must be a text object of type plain_text or mrkdwn [json-pointer:{pointer}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


def _element_errors(element: object, pointer: str) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [f"must be an element object with a type [json-pointer:{pointer}]"]
    errors: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > MAX_ID_LENGTH):
        errors.append(f"must be less than 256 characters [json-pointer:{pointer}/action_id]")
    if element["type"] == "button":
        text = element.get("text")
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            errors.append(f"must be a plain_text object [json-pointer:{pointer}/text]")
        else:
            errors += _text_object_errors(text, f"{pointer}/text", MAX_BUTTON_TEXT)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
            errors.append(f"must be less than 2001 characters [json-pointer:{pointer}/value]")
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > MAX_URL_LENGTH):
            errors.append(f"must be less than 3001 characters [json-pointer:{pointer}/url]")
    return errors


def _elements_errors(elements: object, pointer: str, limit: int) -> list[str]:
    if not isinstance(elements, list) or not elements:
        return [f"must provide at least 1 element [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(elements) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    for index, element in enumerate(elements):
        errors += _element_errors(element, f"{pointer}/{index}")
    return errors


def block_errors(blocks: object) -> list[str]:
    """Returns Slack-style error strings for ``blocks``; empty when Slack would accept them.

    Why: Slack rejects a whole message for one over-long field, and our content (exercise lists,
    long explanations) is exactly the kind that grows past a limit unnoticed. The checks cover
    the limits real messages hit: block count, section/field/header text length, button text,
    ``action_id``/``block_id``/``value`` length, element counts and empty text.
    """
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"must be a block object with a type [json-pointer:{pointer}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None and (
            not isinstance(block_id, str) or len(block_id) > MAX_ID_LENGTH
        ):
            errors.append(f"must be less than 256 characters [json-pointer:{pointer}/block_id]")
        kind = block["type"]
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and fields is None:
                errors.append(f"must define either text or fields [json-pointer:{pointer}]")
            if text is not None:
                errors += _text_object_errors(text, f"{pointer}/text", MAX_SECTION_TEXT)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
                    errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/fields]")
                else:
                    for number, item in enumerate(fields):
                        errors += _text_object_errors(
                            item, f"{pointer}/fields/{number}", MAX_FIELD_TEXT
                        )
            if block.get("accessory") is not None:
                errors += _element_errors(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            text = block.get("text")
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                errors.append(f"must be a plain_text object [json-pointer:{pointer}/text]")
            else:
                errors += _text_object_errors(text, f"{pointer}/text", MAX_HEADER_TEXT)
        elif kind == "actions":
            errors += _elements_errors(
                block.get("elements"), f"{pointer}/elements", MAX_ACTIONS_ELEMENTS
            )
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                errors.append(f"must provide at least 1 element [json-pointer:{pointer}/elements]")
            elif len(elements) > MAX_CONTEXT_ELEMENTS:
                errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/elements]")
            else:
                for number, item in enumerate(elements):
                    if isinstance(item, dict) and item.get("type") in ("plain_text", "mrkdwn"):
                        errors += _text_object_errors(
                            item, f"{pointer}/elements/{number}", MAX_SECTION_TEXT
                        )
    return errors


# ---------------------------------------------------------------------------
# What the fake remembers


@dataclass(frozen=True)
class FakeFile:
    """A file uploaded through files.getUploadURLExternal, its upload URL and
    files.completeUploadExternal: the bytes exactly as they arrived."""

    id: str
    filename: str
    title: str
    data: bytes


@dataclass
class FakeMessage:
    """A message as the fake stores it; ``blocks``/``text`` are current (after any chat.update).

    ``user`` is set only for ephemeral messages (the one person who sees it). ``history`` keeps
    the (text, blocks) each update replaced, so a test can check what a person saw before.
    ``files`` are the files a completed upload shared in the channel (as Slack shares them, in
    a message of their own with the ``initial_comment`` as its text).
    """

    channel: str
    ts: str
    text: str
    blocks: list[JSONDict]
    thread_ts: str | None = None
    user: str | None = None
    updates: int = 0
    deleted: bool = False
    history: list[tuple[str, list[JSONDict]]] = field(default_factory=list)
    files: list[FakeFile] = field(default_factory=list)
    posted_at: float = field(default_factory=time.time)
    """Wall-clock time the fake stored the message (a test can tell it was not sent early)."""

    @property
    def ephemeral(self) -> bool:
        return self.user is not None


@dataclass(frozen=True)
class FakeResponse:
    """One post to a response URL, with the ``error`` the fake answered (None when accepted)."""

    url_id: str
    body: JSONDict
    error: str | None = None

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    @property
    def blocks(self) -> list[JSONDict]:
        blocks = self.body.get("blocks")
        return blocks if isinstance(blocks, list) else []

    @property
    def response_type(self) -> str:
        """Slack's default for a response URL is ``ephemeral``."""
        return str(self.body.get("response_type") or "ephemeral")

    @property
    def replace_original(self) -> bool:
        return _truthy(self.body.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        return _truthy(self.body.get("delete_original"))


@dataclass
class _ResponseUrl:
    channel: str | None
    user: str | None
    message_ts: str | None


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    remaining: int


@dataclass
class _User:
    tz: str = "Europe/London"
    locale: str = "en-US"
    name: str | None = None


class _ApiError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, *, errors: list[str] | None = None, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.errors = errors or []
        self.status = status


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _short(value: object, limit: int = 160) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FakeSlack(Served):
    """A Slack Web API and response-URL server on 127.0.0.1 for the real slack_sdk client.

    Use as ``async with FakeSlack() as slack:`` and give ``slack.base_url`` to
    ``AsyncWebClient(base_url=...)``. Every request to ``/api/<method>`` (GET or POST, form or
    JSON, token in ``Authorization: Bearer`` or a ``token`` param) is recorded in :attr:`calls`
    before it is answered, including ones that fail, so a test can count retries.

    Supported methods: auth.test, chat.postMessage, chat.postEphemeral, chat.update,
    conversations.open, users.info, files.getUploadURLExternal, files.completeUploadExternal.
    Others answer ``unknown_method``. As on Slack, ``users.info`` includes ``locale`` only when
    asked with ``include_locale=true``, and ``chat.update`` keeps the fields it is not given.

    Uploads go as on Slack: files.getUploadURLExternal hands out an upload URL on this server,
    the bytes are POSTed there, and files.completeUploadExternal shares them in ``channel_id``;
    :meth:`files` returns them per channel. :meth:`set_gone` makes a user one Slack can no
    longer reach (deactivated, deleted), as a worker finds out when it sends a reminder.
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-kneecheck-test",
        team_id: str = "T1",
        team_domain: str = "kneecheck-test",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        scopes: str = DEFAULT_SCOPES,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.scopes = scopes
        self.calls: list[tuple[str, JSONDict]] = []
        self.responses: list[FakeResponse] = []
        self._messages: dict[str, list[FakeMessage]] = {}
        self._ephemeral: dict[str, list[FakeMessage]] = {}
        self._users: dict[str, _User] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._gone: dict[tuple[str, str], str] = {}
        self._pending_files: dict[str, tuple[str, bytes | None]] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._ts_counter = itertools.count(100, 100)
        self._id_counter = itertools.count(1)
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response_url/{url_id}", self._handle_response_url)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        self._server = LocalServer(app)
        self._methods: dict[str, Callable[[JSONDict], JSONDict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    @property
    def url(self) -> str:
        """Root URL of the fake, without a trailing slash."""
        return self._server.url

    @property
    def base_url(self) -> str:
        """What ``AsyncWebClient(base_url=...)`` needs; it must end with "/"."""
        return f"{self._server.url}/api/"

    # -- configuration -----------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        tz: str | None = None,
        locale: str | None = None,
        name: str | None = None,
    ) -> None:
        """Configures what ``users.info`` says about ``user_id`` (tz must be an IANA name)."""
        user = self._users.setdefault(user_id, _User())
        if tz is not None:
            ZoneInfo(tz)  # fail here, in the test, rather than inside a request
            user.tz = tz
        if locale is not None:
            user.locale = locale
        if name is not None:
            user.name = name

    def set_gone(
        self, user_id: str, *, error: str = "account_inactive", method: str = "chat.postMessage"
    ) -> None:
        """Makes ``method`` (``conversations.open``, or ``chat.postMessage`` to the user's DM)
        answer ``error`` for ``user_id`` from now on, as Slack does for a deactivated
        (``account_inactive``) or deleted (``user_not_found``) user."""
        if method not in ("conversations.open", "chat.postMessage"):
            raise ValueError(f"set_gone does not apply to {method}")
        self._gone[(method, user_id)] = error

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Makes the next ``times`` calls of ``method`` fail (``"response_url"`` for response URLs).

        Without ``error`` this is Slack's rate limit: HTTP 429, a ``Retry-After`` header and
        ``{"ok": false, "error": "ratelimited"}``. With ``error`` (and the default status 200)
        it is an ordinary Slack error such as ``channel_not_found``. Failures queue in order.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        resolved_status = status if status is not None else (200 if error else 429)
        self._failures.setdefault(method, []).append(
            _Failure(
                status=resolved_status,
                error=error or "ratelimited",
                retry_after=retry_after if resolved_status == 429 else None,
                remaining=times,
            )
        )

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A fresh response URL for a slash-command or block_actions payload.

        Every post to it is recorded in :attr:`responses`. When the URL knows its ``channel``
        (and ``user``, ``message_ts``), posts also act as on Slack: ``replace_original`` updates
        the message at ``message_ts``, ``delete_original`` deletes it, ``in_channel`` posts a new
        message, and the default (ephemeral) posts an ephemeral message to ``user``.
        """
        url_id = f"R{next(self._id_counter)}"
        self._response_urls[url_id] = _ResponseUrl(
            channel=channel, user=user, message_ts=message_ts
        )
        return f"{self.url}/response_url/{url_id}"

    # -- inspection --------------------------------------------------------

    def calls_to(self, method: str) -> list[JSONDict]:
        """Params of every recorded call of ``method``, oldest first."""
        return [params for name, params in self.calls if name == method]

    def messages(self, channel: str) -> list[FakeMessage]:
        """Visible (non-ephemeral, not deleted) messages in ``channel``, oldest first.

        A user ID (``U…``) means their DM, as Slack resolves it for chat.postMessage.
        """
        resolved = self._resolve_channel(channel) or channel
        return [m for m in self._messages.get(resolved, []) if not m.deleted]

    def files(self, channel: str) -> list[FakeFile]:
        """Files shared in ``channel`` by completed uploads, oldest first."""
        resolved = self._resolve_channel(channel) or channel
        return [f for m in self._messages.get(resolved, []) if not m.deleted for f in m.files]

    def ephemeral(self, channel: str, user: str) -> list[FakeMessage]:
        """Ephemeral messages ``user`` was shown in ``channel``, oldest first."""
        resolved = self._resolve_channel(channel) or channel
        return [m for m in self._ephemeral.get(resolved, []) if m.user == user and not m.deleted]

    def message(self, channel: str, ts: str) -> FakeMessage:
        """The stored message at ``ts`` (ephemeral included), for following its updates."""
        resolved = self._resolve_channel(channel) or channel
        for msg in [*self._messages.get(resolved, []), *self._ephemeral.get(resolved, [])]:
            if msg.ts == ts:
                return msg
        raise AssertionError(f"no message {ts} in {channel}; {self._summary()}")

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline per call is the point of this API
        *,
        what: str | None = None,
    ) -> None:
        """Waits until ``predicate()`` is true, re-checking after every request the fake handles.

        Why no polling: the app under test answers Slack first and works afterwards (bolt runs
        listeners as background tasks), so tests must wait for effects; a Condition wakes them
        exactly when something changed. The predicate should depend on this fake's state.
        Raises AssertionError naming ``what`` and the latest calls on timeout.
        """
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
            except TimeoutError:
                name = what or getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {name}; {self._summary()}"
                ) from None

    def _summary(self, last: int = 15) -> str:
        lines = [f"the fake saw {len(self.calls)} API calls and {len(self.responses)} responses"]
        lines += [f"  {method} {_short(params)}" for method, params in self.calls[-last:]]
        lines += [
            f"  response_url {r.url_id} {_short(r.body)}" + (f" -> {r.error}" if r.error else "")
            for r in self.responses[-last:]
        ]
        return "\n".join(lines)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- HTTP handlers -----------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except _ApiError as exc:
            self.calls.append((method, {}))
            await self._notify()
            return _error_response(exc)
        token = _bearer_token(request) or params.pop("token", None)
        self.calls.append((method, params))
        try:
            if token is None:
                raise _ApiError("not_authed")
            if token != self.token:
                raise _ApiError("invalid_auth")
            failure = self._take_failure(method)
            if failure is not None:
                response = _failure_response(failure)
            else:
                handler = self._methods.get(method)
                if handler is None:
                    raise _ApiError("unknown_method")
                response = web.json_response({"ok": True, **handler(params)})
                if method == "auth.test":
                    response.headers["x-oauth-scopes"] = self.scopes
        except _ApiError as exc:
            response = _error_response(exc)
        await self._notify()
        return response

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        url_id = request.match_info["url_id"]
        target = self._response_urls.get(url_id)
        if target is None:
            return web.Response(status=404, text="no_such_url")
        body: JSONDict
        try:
            body = await _read_params(request)
        except _ApiError as exc:
            self.responses.append(FakeResponse(url_id=url_id, body={}, error=exc.error))
            await self._notify()
            return _error_response(_ApiError(exc.error, status=400))
        failure = self._take_failure("response_url")
        try:
            if failure is not None:
                self.responses.append(FakeResponse(url_id=url_id, body=body, error=failure.error))
                return _failure_response(failure)
            try:
                self._apply_response(target, body)
            except _ApiError as exc:
                self.responses.append(FakeResponse(url_id=url_id, body=body, error=exc.error))
                return _error_response(_ApiError(exc.error, errors=exc.errors, status=400))
            self.responses.append(FakeResponse(url_id=url_id, body=body))
            return web.json_response({"ok": True})
        finally:
            await self._notify()

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL: the raw bytes of the file (as slack_sdk sends them), kept until
        files.completeUploadExternal shares them. Unknown or already-used URLs are 404."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.calls.append(("<upload>", {"file_id": file_id, "size": len(data)}))
        try:
            pending = self._pending_files.get(file_id)
            if pending is None or pending[1] is not None:
                return web.Response(status=404, text="no_such_upload")
            self._pending_files[file_id] = (pending[0], data)
            return web.Response(text=f"OK - {len(data)}")
        finally:
            await self._notify()

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    # -- Web API methods ---------------------------------------------------

    def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "kneecheck",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = self._require_channel(params)
        if channel.startswith("D"):
            self._raise_if_gone("chat.postMessage", channel[1:])
        text, blocks = _message_content(params, required=True)
        thread_ts = params.get("thread_ts") or None
        msg = FakeMessage(
            channel=channel,
            ts=self._next_ts(),
            text=text or "",
            blocks=blocks or [],
            thread_ts=str(thread_ts) if thread_ts else None,
        )
        self._messages.setdefault(channel, []).append(msg)
        return {"channel": channel, "ts": msg.ts, "message": self._message_json(msg)}

    def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        channel = self._require_channel(params)
        user = params.get("user")
        if not isinstance(user, str) or not user:
            raise _ApiError("user_not_in_channel")
        text, blocks = _message_content(params, required=True)
        thread_ts = params.get("thread_ts") or None
        msg = FakeMessage(
            channel=channel,
            ts=self._next_ts(),
            text=text or "",
            blocks=blocks or [],
            thread_ts=str(thread_ts) if thread_ts else None,
            user=user,
        )
        self._ephemeral.setdefault(channel, []).append(msg)
        return {"message_ts": msg.ts}

    def _chat_update(self, params: JSONDict) -> JSONDict:
        channel = self._require_channel(params)
        ts = params.get("ts")
        msg = next(
            (m for m in self._messages.get(channel, []) if m.ts == ts and not m.deleted), None
        )
        if msg is None:
            raise _ApiError("message_not_found")
        text, blocks = _message_content(params, required=False)
        self._update(msg, text, blocks)
        return {
            "channel": channel,
            "ts": msg.ts,
            "text": msg.text,
            "message": self._message_json(msg),
        }

    def _conversations_open(self, params: JSONDict) -> JSONDict:
        if isinstance(params.get("channel"), str) and params["channel"]:
            return {"no_op": True, "already_open": True, "channel": {"id": params["channel"]}}
        users = params.get("users")
        if isinstance(users, list):
            users = ",".join(str(u) for u in users)
        if not isinstance(users, str) or not users.strip():
            raise _ApiError("users_list_not_supplied")
        ids = [u.strip() for u in users.split(",") if u.strip()]
        if any(u[0] not in "UW" for u in ids):
            raise _ApiError("user_not_found")
        for user_id in ids:
            self._raise_if_gone("conversations.open", user_id)
        if len(ids) == 1:
            return {"no_op": False, "already_open": False, "channel": {"id": "D" + ids[0]}}
        return {"no_op": False, "channel": {"id": "G" + "".join(sorted(ids))}}

    def _users_info(self, params: JSONDict) -> JSONDict:
        user_id = params.get("user")
        if not isinstance(user_id, str) or not user_id or user_id[0] not in "UW":
            raise _ApiError("user_not_found")
        user = self._users.get(user_id, _User())
        zone = ZoneInfo(user.tz)
        offset = datetime.now(UTC).astimezone(zone).utcoffset()
        info: JSONDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user.name or user_id.lower(),
            "real_name": user.name or user_id,
            "deleted": False,
            "is_bot": user_id == self.bot_user_id,
            "tz": user.tz,
            "tz_label": user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        }
        if _truthy(params.get("include_locale")):
            info["locale"] = user.locale
        return {"user": info}

    def _files_get_upload_url_external(self, params: JSONDict) -> JSONDict:
        filename, length = params.get("filename"), str(params.get("length", ""))
        if not isinstance(filename, str) or not filename or not length.isdigit():
            raise _ApiError("invalid_arguments")
        file_id = f"F{next(self._id_counter)}"
        self._pending_files[file_id] = (filename, None)
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: JSONDict) -> JSONDict:
        files = params.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except json.JSONDecodeError:
                raise _ApiError("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments")
        done: list[FakeFile] = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            filename, data = (
                self._pending_files.get(file_id, ("", None))
                if isinstance(file_id, str)
                else ("", None)
            )
            if data is None:  # never issued, or no bytes uploaded yet
                raise _ApiError("file_not_found")
            title = item.get("title") or filename
            done.append(FakeFile(str(file_id), filename, str(title), data))
        for fake_file in done:
            del self._pending_files[fake_file.id]
        targets = [params.get("channel_id"), *str(params.get("channels") or "").split(",")]
        for target in targets:
            channel = self._resolve_channel(target)
            if channel is None:
                continue
            comment = params.get("initial_comment")
            msg = FakeMessage(
                channel=channel,
                ts=self._next_ts(),
                text=str(comment) if comment else "",
                blocks=[],
                files=list(done),
            )
            self._messages.setdefault(channel, []).append(msg)
        return {
            "files": [
                {"id": f.id, "name": f.filename, "title": f.title, "size": len(f.data)}
                for f in done
            ]
        }

    # -- helpers -----------------------------------------------------------

    def _next_ts(self) -> str:
        n = next(self._ts_counter)
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _raise_if_gone(self, method: str, user_id: str) -> None:
        error = self._gone.get((method, user_id))
        if error is not None:
            raise _ApiError(error)

    @staticmethod
    def _resolve_channel(channel: object) -> str | None:
        """Channel IDs as given; a user ID means that user's DM, as Slack does for postMessage."""
        if not isinstance(channel, str) or not channel:
            return None
        if channel[0] in "UW":
            return "D" + channel
        if channel[0] in "CDG":
            return channel
        return None

    def _require_channel(self, params: JSONDict) -> str:
        channel = self._resolve_channel(params.get("channel"))
        if channel is None:
            raise _ApiError("channel_not_found")
        return channel

    def _message_json(self, msg: FakeMessage) -> JSONDict:
        data: JSONDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": msg.text,
            "ts": msg.ts,
            "blocks": msg.blocks,
        }
        if msg.thread_ts:
            data["thread_ts"] = msg.thread_ts
        return data

    @staticmethod
    def _update(msg: FakeMessage, text: str | None, blocks: list[JSONDict] | None) -> None:
        msg.history.append((msg.text, msg.blocks))
        if text is not None:
            msg.text = text
        if blocks is not None:
            msg.blocks = blocks
        msg.updates += 1

    def _apply_response(self, target: _ResponseUrl, body: JSONDict) -> None:
        response = FakeResponse(url_id="", body=body)
        if response.delete_original:
            original = self._original(target)
            if original is not None:
                original.deleted = True
            return
        text, blocks = _message_content(body, required=True)
        if response.replace_original:
            original = self._original(target)
            if original is not None:
                self._update(original, text, blocks)
            return
        if target.channel is None:
            return
        channel = self._resolve_channel(target.channel) or target.channel
        msg = FakeMessage(channel=channel, ts=self._next_ts(), text=text or "", blocks=blocks or [])
        if response.response_type == "in_channel":
            self._messages.setdefault(channel, []).append(msg)
        elif target.user is not None:
            msg.user = target.user
            self._ephemeral.setdefault(channel, []).append(msg)

    def _original(self, target: _ResponseUrl) -> FakeMessage | None:
        if target.channel is None or target.message_ts is None:
            return None
        try:
            return self.message(target.channel, target.message_ts)
        except AssertionError:
            return None


def _message_content(
    params: Mapping[str, Any], *, required: bool
) -> tuple[str | None, list[JSONDict] | None]:
    """Validates text and blocks as Slack does; returns only what was given."""
    text = params.get("text")
    if text is None:
        text = params.get("markdown_text")  # Slack's alternative to text
    if text is not None and not isinstance(text, str):
        text = str(text)
    blocks_param = params.get("blocks")
    blocks: list[JSONDict] | None = None
    if isinstance(blocks_param, str):
        try:
            blocks_param = json.loads(blocks_param)
        except json.JSONDecodeError:
            raise _ApiError("invalid_blocks_format") from None
    if blocks_param is not None:
        errors = block_errors(blocks_param)
        if errors:
            raise _ApiError("invalid_blocks", errors=errors)
        blocks = blocks_param
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise _ApiError("msg_too_long")
    if required and not text and not blocks and not params.get("attachments"):
        raise _ApiError("no_text")
    return text, blocks


async def _read_params(request: web.Request) -> JSONDict:
    """Query string plus form or JSON body, the three places slack_sdk puts arguments."""
    params: JSONDict = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except json.JSONDecodeError:
            raise _ApiError("invalid_json") from None
        if not isinstance(body, dict):
            raise _ApiError("invalid_json")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = value
            elif isinstance(value, web.FileField):
                params[key] = f"<file {value.filename}>"
            else:
                params[key] = f"<{len(value)} bytes>"
        payload = params.get("payload")
        if isinstance(payload, str) and payload.startswith("{"):
            # response URLs also accept a form-encoded payload=<json>
            try:
                params.update(json.loads(payload))
            except json.JSONDecodeError:
                raise _ApiError("invalid_json") from None
    return params


def _bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _error_response(exc: _ApiError) -> web.Response:
    body: JSONDict = {"ok": False, "error": exc.error}
    if exc.errors:
        body["errors"] = exc.errors
        body["response_metadata"] = {"messages": [f"[ERROR] {e}" for e in exc.errors]}
    return web.json_response(body, status=exc.status)


def _failure_response(failure: _Failure) -> web.Response:
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
    return web.json_response(
        {"ok": False, "error": failure.error}, status=failure.status, headers=headers
    )


# ---------------------------------------------------------------------------
# Speaking to our app as Slack does


def signature(signing_secret: str, timestamp: int | str, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


class SlackSigner:
    """Signs request bodies with the app's signing secret, exactly as Slack does.

    Why: our app must reject anything Slack did not sign, so tests send signed requests and
    prove that unsigned, mis-signed and stale (over five minutes) ones are refused.
    """

    def __init__(self, signing_secret: str) -> None:
        self.signing_secret = signing_secret

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The two headers Slack adds; ``timestamp`` defaults to now (Unix seconds)."""
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature(self.signing_secret, ts, body),
        }

    async def send(
        self,
        url: str,
        body: bytes,
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """Signs ``body`` and posts it to ``url`` the way Slack would; returns (status, text)."""
        return await post(
            url,
            body,
            {**self.sign(body, timestamp), **(headers or {})},
            retry_num=retry_num,
            retry_reason=retry_reason,
        )


_event_counter = itertools.count(1)


def _now_ts() -> str:
    return f"{int(time.time())}.{next(_event_counter) % 1_000_000:06d}"


def slash_command_body(
    *,
    command: str = "/kneecheck",
    text: str = "",
    user_id: str,
    user_name: str = "someone",
    channel_id: str,
    channel_name: str | None = None,
    team_id: str = "T1",
    team_domain: str = "kneecheck-test",
    response_url: str,
    trigger_id: str = "t1",
    api_app_id: str = "A1",
) -> bytes:
    """A slash-command request body, form-encoded in the field order Slack sends.

    ``channel_name`` defaults to ``directmessage`` for D… channels (as Slack names DMs) and
    ``general`` otherwise.
    """
    if channel_name is None:
        channel_name = "directmessage" if channel_id.startswith("D") else "general"
    fields = [
        ("token", "verification-token"),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]
    return urlencode(fields).encode()


def block_actions_body(
    *,
    user_id: str,
    channel_id: str,
    team_id: str = "T1",
    message_ts: str,
    actions: list[JSONDict],
    response_url: str,
    user_name: str = "someone",
    message_text: str = "",
    message_blocks: list[JSONDict] | None = None,
    is_ephemeral: bool = False,
    trigger_id: str = "t1",
    api_app_id: str = "A1",
    bot_user_id: str = "UBOT",
) -> bytes:
    """An interactivity request body (``payload=<json>``) for button clicks and the like.

    Each action gets Slack's ``type`` (button), ``block_id`` and ``action_ts`` unless given. As on
    Slack, a click on an ephemeral message carries no ``message``.
    """
    action_ts = _now_ts()
    full_actions = [
        {"type": "button", "block_id": "b", "action_ts": action_ts, **action} for action in actions
    ]
    payload: JSONDict = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "kneecheck-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "directmessage"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": full_actions,
    }
    if not is_ephemeral:
        payload["message"] = {
            "type": "message",
            "user": bot_user_id,
            "ts": message_ts,
            "text": message_text,
            "blocks": message_blocks or [],
        }
    return urlencode({"payload": json.dumps(payload)}).encode()


def message_event_body(
    *,
    user_id: str,
    channel_id: str,
    text: str,
    team_id: str = "T1",
    event_id: str,
    channel_type: str = "im",
    ts: str | None = None,
    thread_ts: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    api_app_id: str = "A1",
    bot_user_id: str = "UBOT",
) -> bytes:
    """An Events API ``event_callback`` JSON body carrying a ``message`` event.

    ``authorizations`` names the bot, as Slack's does; bolt uses it for the context.
    """
    message_ts = ts or _now_ts()
    event: JSONDict = {
        "type": "message",
        "channel": channel_id,
        "user": user_id,
        "text": text,
        "ts": message_ts,
        "event_ts": message_ts,
        "channel_type": channel_type,
        "team": team_id,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if subtype is not None:
        event["subtype"] = subtype
    if bot_id is not None:
        event["bot_id"] = bot_id
    else:
        event["client_msg_id"] = f"msg-{event_id}"
    body: JSONDict = {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(message_ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
    return json.dumps(body).encode()


def url_verification_body(challenge: str) -> bytes:
    """The JSON body Slack sends once when the Events API request URL is set."""
    return json.dumps(
        {"token": "verification-token", "challenge": challenge, "type": "url_verification"}
    ).encode()


async def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> tuple[int, str]:
    """Posts ``body`` like Slack: JSON bodies as application/json, the rest form-encoded.

    ``retry_num``/``retry_reason`` add Slack's ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``
    (reasons Slack uses: http_timeout, http_error, too_many_requests, connection_failed...).
    The session is closed before returning, so no warning escapes into the test.
    """
    content_type = (
        "application/json"
        if body.lstrip().startswith(b"{")
        else "application/x-www-form-urlencoded"
    )
    all_headers = {"Content-Type": content_type, "User-Agent": SLACK_USER_AGENT, **headers}
    if retry_num is not None:
        all_headers["X-Slack-Retry-Num"] = str(retry_num)
        all_headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    elif retry_reason is not None:
        all_headers["X-Slack-Retry-Reason"] = retry_reason
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=all_headers) as response,
    ):
        return response.status, await response.text()
