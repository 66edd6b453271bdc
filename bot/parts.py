"""The running parts one process is built from, as channels and the worker receive them.

Built by :func:`bot.wiring.build_app`; kept apart from it so that a channel can be handed
the parts without importing how they are made (wiring imports the channel registry, and a
channel importing wiring back would tie every channel to every other).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions import Actions
from bot.catalog.catalog import Catalog
from bot.conversations import Conversations
from bot.reminders.queue import ReminderQueue
from bot.reminders.service import ReminderService
from bot.settings import Settings
from bot.store.redis import RedisSessionStore


@dataclass
class App:
    settings: Settings
    catalog: Catalog
    store: RedisSessionStore
    conversations: Conversations
    embedded: bool
    reminders: ReminderService
    queue: ReminderQueue
    actions: Actions
    """What every channel hands its users' actions to."""

    async def close(self) -> None:
        await self.queue.close()
        await self.store.close()
