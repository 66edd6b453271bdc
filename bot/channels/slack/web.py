"""The few Slack Web API calls the channel makes, each failing softly.

Why a module of its own: every call here can fail for reasons outside our control (a user
who closed the DM, a deleted message, a rate limit beyond the client's one retry, an
expired response URL). None of them may end a turn half-done or leak what we were sending
into a log, so each logs Slack's error code only and carries on.
"""

from __future__ import annotations

import logging

from aiohttp import ClientError
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.render import SlackMessage

log = logging.getLogger(__name__)

SEND_ERRORS = (SlackApiError, ClientError, TimeoutError)
UPLOAD_ERRORS = (*SEND_ERRORS, SlackRequestError)
"""slack_sdk raises SlackRequestError when the upload URL refuses the bytes."""
TRY_AGAIN = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""Slack errors that say nothing about the message: sending it again later can work."""
MESSAGE_GONE = frozenset({"message_not_found", "cant_update_message"})


def error_code(exc: Exception) -> str:
    """Slack's error code, never the request (it holds what we were sending)."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "unknown"))
    return type(exc).__name__


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    """The user's direct message with the app (raises: without it there is no conversation)."""
    opened = await client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


async def profile(client: AsyncWebClient, user_id: str) -> tuple[str | None, str | None]:
    """The user's Slack locale and IANA time zone, when Slack tells us."""
    try:
        info = await client.users_info(user=user_id, include_locale=True)
    except SEND_ERRORS as exc:
        log.warning("users.info failed", extra={"error": error_code(exc)})
        return None, None
    person = info.get("user") or {}
    locale, tz = person.get("locale"), person.get("tz")
    return (locale if isinstance(locale, str) else None), (tz if isinstance(tz, str) else None)


async def send(client: AsyncWebClient, channel: str, message: SlackMessage) -> str | None:
    """Post ``message``; its ``ts``, or None when Slack refused it."""
    try:
        sent = await client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks
        )
    except SEND_ERRORS as exc:
        log.warning("chat.postMessage failed", extra={"error": error_code(exc)})
        return None
    return str(sent.get("ts") or "") or None


def worth_retrying(exc: BaseException) -> bool:
    """A failure of the network or of Slack, not a refusal of this message."""
    if isinstance(exc, (ClientError, TimeoutError)):
        return True
    if isinstance(exc, SlackApiError):
        return error_code(exc) in TRY_AGAIN or exc.response.status_code >= 500
    return False


async def post(client: AsyncWebClient, channel: str, message: SlackMessage) -> str | None:
    """Post a turn's message: its ``ts``. Unlike :func:`send` it raises, so that what was
    not sent stays owed (see :mod:`bot.conversations`)."""
    sent = await client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
    return str(sent.get("ts") or "") or None


async def edit(client: AsyncWebClient, channel: str, ts: str, message: SlackMessage) -> bool:
    """Update a turn's message: False when it is gone (deleted), for the caller to post it
    anew; raises on any other failure, like :func:`post`."""
    try:
        await client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
    except SlackApiError as exc:
        if error_code(exc) in MESSAGE_GONE:
            return False
        raise
    return True


async def update(client: AsyncWebClient, channel: str, ts: str, message: SlackMessage) -> None:
    """Update a message, or post it anew if it was deleted."""
    try:
        if not await edit(client, channel, ts, message):
            await send(client, channel, message)
    except SEND_ERRORS as exc:
        log.warning("chat.update failed", extra={"error": error_code(exc)})


async def upload(
    client: AsyncWebClient, channel: str, data: bytes, *, filename: str, title: str
) -> bool:
    """Share a file (the diary chart) in ``channel``: files.getUploadURLExternal, the bytes to
    the URL it returns, then files.completeUploadExternal (slack_sdk's ``files_upload_v2``)."""
    try:
        await client.files_upload_v2(
            channel=channel, file=data, filename=filename, title=title, alt_txt=title
        )
    except UPLOAD_ERRORS as exc:
        log.warning("file upload failed", extra={"error": error_code(exc)})
        return False
    return True


async def whisper(respond: AsyncRespond, message: SlackMessage) -> None:
    """An ephemeral message to whoever typed the command or pressed the button."""
    try:
        await respond(
            text=message.text,
            blocks=message.blocks,
            response_type="ephemeral",
            replace_original=False,
        )
    except (ClientError, TimeoutError) as exc:
        log.warning("response_url failed", extra={"error": error_code(exc)})
