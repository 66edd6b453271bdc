"""Building the parts from settings: catalog, store (real or embedded Redis), shell, reminders."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.actions import Actions
from bot.catalog.loader import load_catalog
from bot.channels.registry import user_values
from bot.conversations import Conversations
from bot.metrics import observe_turn
from bot.parts import App
from bot.reminders.queue import QUEUE_NAME, ReminderQueue
from bot.reminders.service import ReminderService
from bot.settings import Settings
from bot.store.packing import pack_with_hiredis
from bot.store.redis import RedisSessionStore

if TYPE_CHECKING:
    from saq.queue.redis import RedisQueue

log = logging.getLogger(__name__)


def build_store(settings: Settings) -> tuple[RedisSessionStore, bool]:
    """A store on REDIS_URL, or on an in-process Redis-compatible server when unset.

    The embedded server is fakeredis with Lua, so the very same store code and
    scripts run; it keeps state only while the process runs.
    """
    if settings.redis_url:
        return RedisSessionStore.from_url(
            settings.redis_url, ttl_seconds=settings.retention_seconds, values=user_values()
        ), False
    import fakeredis  # imported lazily: production with REDIS_URL never loads it

    client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    store = RedisSessionStore(client, ttl_seconds=settings.retention_seconds, values=user_values())
    return store, True


def build_queue(settings: Settings, store: RedisSessionStore) -> RedisQueue:
    """The reminder queue on the same Redis (its own connection pool)."""
    from bot.reminders.patient_queue import PatientRedisQueue

    if settings.redis_url:
        redis: Any = pack_with_hiredis(
            store.client.__class__.from_url(settings.redis_url, socket_connect_timeout=5)
        )
    else:
        import fakeredis

        server = store.client.connection_pool.connection_kwargs["server"]
        redis = fakeredis.FakeAsyncRedis(server=server)
    queue = PatientRedisQueue(redis, name=QUEUE_NAME)
    if not settings.redis_url:
        # saq asks INFO for the server version before its first dequeue; the embedded
        # server has no INFO command, and it behaves as Redis 7 (BLMOVE and all).
        queue._version = (7, 0, 0)
    return queue


def build_app(settings: Settings | None = None, *, clock: Callable[[], float] = time.time) -> App:
    settings = settings or Settings()
    catalog = load_catalog(settings.flows_dir, settings.content_dir, settings.default_locale)
    store, embedded = build_store(settings)
    queue = ReminderQueue(
        lambda: build_queue(settings, store),
        clock=clock,
        job_timeout=settings.reminder_job_timeout,
    )
    reminders = ReminderService(
        catalog,
        store,
        queue,
        salt=settings.salt,
        clock=clock,
        lease_seconds=settings.reminder_lease_seconds,
        spread_minutes=settings.reminder_spread_minutes,
    )
    conversations = Conversations(
        catalog,
        store,
        salt=settings.salt,
        clock=clock,
        in_memory=embedded,
        observer=observe_turn,
        on_effects=reminders.on_effects,
        facts=reminders.facts,
        erasure=reminders,
        more_data=reminders.stored_sections,
    )
    actions = Actions(conversations, store, reminders)
    return App(settings, catalog, store, conversations, embedded, reminders, queue, actions)
