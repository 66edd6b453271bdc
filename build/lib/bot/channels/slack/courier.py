"""Reminders out to Slack: the user's DM with the app, Block Kit like every other reply.

The client retries a rate-limited call after Slack's ``Retry-After`` (slack_sdk's retry
handler); other failures raise, and the queue retries the job. A user Slack says is gone
(deactivated, not found, cannot be messaged) gets their reminders cancelled.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import render
from bot.engine.replies import Reply
from bot.reminders.service import Outcome
from bot.store.keys import UserRef

log = logging.getLogger(__name__)

GONE = frozenset(
    {
        "user_not_found",
        "account_inactive",
        "user_disabled",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
    }
)


def build_client(token: str, *, base_url: str) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


class SlackCourier:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send(self, user: UserRef, reply: Reply) -> Outcome:
        try:
            opened = await self.client.conversations_open(users=user.user)
            channel = str(opened["channel"]["id"])
            for message in render.messages(reply, user.user):
                await self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks
                )
        except SlackApiError as exc:
            if str(exc.response.get("error")) in GONE:
                return "blocked"
            raise
        return "sent"
