"""The contract's fixture: one person on each channel, in turn, on the suite's redis-server.

Every test in this package runs once per channel (``driver``), against the channel's real
code and the fakes its own tests use. Redis is the session's one server, emptied before
each test (``redis_client``, from tests/conftest.py).

The channels' own fixtures cannot be imported side by side (Telegram's and Slack's are both
called ``fake`` and ``bot``), so each opener here builds the same things from the same
harness classes (:class:`tests.channels.telegram.harness.BotProcess`,
:class:`tests.channels.slack.driver.BotProcess`, :class:`tests.channels.web.driver.Tab`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest
import redis.asyncio as aioredis

import bot.wiring
from bot.catalog.catalog import DEFAULT_LOCALE, Catalog
from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR, load_catalog
from tests.contract.drivers import ChannelDriver
from tests.contract.slack import slack_driver
from tests.contract.telegram import telegram_driver
from tests.contract.terminal import terminal_driver
from tests.contract.web import web_driver
from tests.redis_server import RedisServer

CHANNELS = ("terminal", "telegram", "slack", "web")


class Opener(Protocol):
    """How a driver is opened: on the suite's Redis, the content in ``content_dir``, the
    user's language as their channel tells it (``language``: Telegram's ``language_code``,
    Slack's user locale, the browser's ``Accept-Language``, ``kneecheck chat --locale``)."""

    def __call__(
        self, redis_url: str, *, content_dir: Path = ..., language: str | None = None
    ) -> contextlib.AbstractAsyncContextManager[ChannelDriver]: ...


OPENERS: dict[str, Opener] = {
    "terminal": terminal_driver,
    "telegram": telegram_driver,
    "slack": slack_driver,
    "web": web_driver,
}


@pytest.fixture(autouse=True)
def catalog_loaded_once(monkeypatch: pytest.MonkeyPatch, catalog: Catalog) -> None:
    """Each channel's process builds its app with :func:`bot.wiring.build_app`, which loads
    the flows and content (about 2 s); here every process gets the session's catalog, loaded
    from the same default files, so the suite's time is spent on the conversations."""

    def loaded(
        flows_dir: Path = FLOWS_DIR,
        content_dir: Path = CONTENT_DIR,
        default_locale: str = DEFAULT_LOCALE,
    ) -> Catalog:
        if (flows_dir, content_dir, default_locale) == (FLOWS_DIR, CONTENT_DIR, DEFAULT_LOCALE):
            return catalog
        return load_catalog(flows_dir, content_dir, default_locale)  # other files: load them

    monkeypatch.setattr(bot.wiring, "load_catalog", loaded)


@pytest.fixture(params=CHANNELS)
async def driver(
    request: pytest.FixtureRequest, redis_server: RedisServer, redis_client: aioredis.Redis
) -> AsyncIterator[ChannelDriver]:
    async with OPENERS[request.param](redis_server.url) as opened:
        yield opened
