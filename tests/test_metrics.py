"""The metrics an operator scrapes move with conversations, and never carry a user."""

from __future__ import annotations

import fakeredis
from prometheus_client import generate_latest

from bot.catalog.catalog import Catalog
from bot.conversations import Conversations
from bot.engine import Choose, Start, Submit, Toggle
from bot.metrics import REGISTRY, observe_turn
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_counters_follow_a_conversation_to_its_triage(catalog: Catalog) -> None:

    store = RedisSessionStore(fakeredis.FakeAsyncRedis(), ttl_seconds=60)
    chat = Conversations(catalog, store, salt=b"s", observer=observe_turn)
    user = UserRef("tg", "987654321")
    before = {
        "started": sample("kneecheck_conversations_started_total", channel="tg"),
        "urgent": sample("kneecheck_triage_total", tier="urgent"),
        "location": sample("kneecheck_steps_reached_total", step="red_flags"),
    }
    shown = (await chat.handle(user, Start())).replies[-1]
    shown = (await chat.handle(user, Choose("consent", "agree", shown.version))).replies[-1]
    await chat.handle(user, Toggle("red_flags", "clot_leg", shown.version))
    await chat.handle(user, Submit("red_flags", shown.version))

    assert sample("kneecheck_conversations_started_total", channel="tg") == before["started"] + 1
    assert sample("kneecheck_steps_reached_total", step="red_flags") == before["location"] + 1
    assert sample("kneecheck_triage_total", tier="urgent") == before["urgent"] + 1
    assert sample("kneecheck_turn_seconds_count", channel="tg") >= 4
    exposition = generate_latest(REGISTRY).decode()
    assert "987654321" not in exposition
    assert "clot_leg" not in exposition  # answers are never labels
