"""Building the parts from settings: catalog, store (real or embedded Redis), shell."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.catalog.catalog import Catalog
from bot.catalog.loader import load_catalog
from bot.conversations import Conversations
from bot.metrics import observe_turn
from bot.settings import Settings
from bot.store.redis import RedisSessionStore

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    catalog: Catalog
    store: RedisSessionStore
    conversations: Conversations
    embedded: bool


def build_store(settings: Settings) -> tuple[RedisSessionStore, bool]:
    """A store on REDIS_URL, or on an in-process Redis-compatible server when unset.

    The embedded server is fakeredis with Lua, so the very same store code and
    scripts run; it keeps state only while the process runs.
    """
    if settings.redis_url:
        return RedisSessionStore.from_url(
            settings.redis_url, ttl_seconds=settings.session_ttl_seconds
        ), False
    import fakeredis  # imported lazily: production with REDIS_URL never loads it

    client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    return RedisSessionStore(client, ttl_seconds=settings.session_ttl_seconds), True


def build_app(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    catalog = load_catalog(settings.flows_dir, settings.content_dir, settings.default_locale)
    store, embedded = build_store(settings)
    conversations = Conversations(catalog, store, salt=settings.salt, observer=observe_turn)
    return App(settings, catalog, store, conversations, embedded)
