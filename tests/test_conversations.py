"""The shell on a real Redis: turns persist, races resolve to one winner, outages are reported."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
import redis.asyncio as aioredis

from bot.catalog.catalog import Catalog
from bot.conversations import Conversations
from bot.engine import Choose, Start, Stop, Submit, Text, Toggle
from bot.engine.replies import Effect, Finished, Stopped
from bot.store.base import StoreUnavailable
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore
from tests.redis_server import RedisServer, free_port

USER = UserRef("tg", "42")


def make(
    catalog: Catalog, client: aioredis.Redis, effects: list[Effect] | None = None
) -> Conversations:
    async def record(user: UserRef, done: Sequence[Effect]) -> None:
        if effects is not None:
            effects.extend(done)

    return Conversations(
        catalog, RedisSessionStore(client, ttl_seconds=3600), salt=b"s", on_effects=record
    )


async def test_a_conversation_survives_a_restart_of_the_process(
    catalog: Catalog, redis_client: aioredis.Redis, redis_server: RedisServer
) -> None:
    first = make(catalog, redis_client)
    turn = await first.handle(USER, Start())
    await first.handle(USER, Choose("consent", "agree", turn.replies[-1].version))

    # A new process: new shell, new connection pool, same Redis.
    second_client = aioredis.Redis.from_url(redis_server.url)
    second = make(catalog, second_client)
    resumed = await second.handle(USER, Start())
    assert resumed.replies[-1].kind == "prompt"
    assert "Question 2 of" in resumed.replies[-1].text()
    await second_client.aclose()


async def test_a_double_tap_advances_once(catalog: Catalog, redis_client: aioredis.Redis) -> None:
    chat = make(catalog, redis_client)
    shown = (await chat.handle(USER, Start())).replies[-1]
    tap = Choose("consent", "agree", shown.version)

    first, second = await asyncio.gather(chat.handle(USER, tap), chat.handle(USER, tap))

    kinds = sorted(t.replies[-1].kind for t in (first, second))
    assert kinds == ["notice", "question"]
    notice = next(t for t in (first, second) if t.replies[-1].kind == "notice")
    assert "already moved on" in notice.replies[-1].text()
    session = await chat.current(USER)
    assert session is not None
    assert session.step == "red_flags"
    assert list(session.answers) == ["consent"]


async def test_effects_are_handed_on_after_the_save(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    effects: list[Effect] = []
    chat = make(catalog, redis_client, effects)
    shown = (await chat.handle(USER, Start())).replies[-1]
    shown = (await chat.handle(USER, Choose("consent", "agree", shown.version))).replies[-1]
    await chat.handle(USER, Toggle("red_flags", "clot_leg", shown.version))
    turn = await chat.handle(USER, Submit("red_flags", shown.version))
    assert turn.replies[-1].kind == "urgent"
    assert effects == [Finished("assessment", "urgent")]
    await chat.handle(USER, Stop())
    assert effects[-1] == Stopped()


async def test_forget_erases_every_key_of_the_user(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client)
    await chat.handle(USER, Start())
    await chat.handle(USER, Text("yes"))
    assert await redis_client.keys("kc:{tg:42}*")
    await chat.forget(USER)
    assert await redis_client.keys("kc:{tg:42}*") == []
    assert (
        (await chat.handle(USER, Text("behind")))
        .replies[-1]
        .text()
        .startswith("There is no knee check")
    )


async def test_an_unreachable_redis_is_reported_not_crashed(catalog: Catalog) -> None:
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    chat = make(catalog, client)
    with pytest.raises(StoreUnavailable):
        await chat.handle(USER, Start())
    await client.aclose()


async def test_a_hundred_taps_of_one_checkbox_are_each_applied_in_turn(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    """One user, one turn at a time: no error, every tap applied to what the one before left."""
    chat = make(catalog, redis_client)
    shown = (await chat.handle(USER, Start())).replies[-1]
    shown = (await chat.handle(USER, Choose("consent", "agree", shown.version))).replies[-1]
    tap = Toggle("red_flags", "clot_leg", shown.version)
    turns = await asyncio.gather(*(chat.handle(USER, tap) for _ in range(100)))
    assert all(t.replies for t in turns)  # everyone answered
    session = await chat.current(USER)
    assert session is not None
    assert session.step == "red_flags"
    assert session.pending == ()  # 100 toggles: ticked, unticked... fifty times over
    assert session.version == shown.version + 100  # each one saved, none lost


async def test_twenty_messages_at_once_from_two_processes_leave_one_consistent_session(
    catalog: Catalog, redis_client: aioredis.Redis, redis_server: RedisServer
) -> None:
    """Two processes (two shells, two pools, one Redis) take the same user's messages at the
    same time: every message is answered, the session is one of the states a sequence of them
    could reach, and nothing raises."""
    other_client = aioredis.Redis.from_url(redis_server.url)
    first, second = make(catalog, redis_client), make(catalog, other_client)
    try:
        await first.handle(USER, Start())
        messages = [Text("yes") if i % 2 else Text("behind the knee") for i in range(20)]
        turns = await asyncio.gather(
            *(
                (first if i % 2 else second).handle(USER, message)
                for i, message in enumerate(messages)
            )
        )
        assert all(t.replies for t in turns)
        session = await first.current(USER)
        assert session is not None
        assert session.answers.get("consent") == "agree"
        assert session.step in ("red_flags", "location", "behind_muscle")
    finally:
        await other_client.aclose()


async def test_a_turn_that_keeps_losing_the_race_says_so_and_changes_nothing(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    class AlwaysBeaten(RedisSessionStore):
        """Every save finds the session changed by someone else first."""

        async def save(self, *args: object, **kwargs: object) -> bool:
            return False

    chat = make(catalog, redis_client)
    shown = (await chat.handle(USER, Start())).replies[-1]
    beaten = Conversations(
        catalog, AlwaysBeaten(redis_client, ttl_seconds=3600), salt=b"s", max_attempts=3
    )
    turn = await beaten.handle(USER, Choose("consent", "agree", shown.version))
    assert turn.replies[-1].kind == "notice"
    assert "did not change anything" in turn.replies[-1].text()
    session = await chat.current(USER)
    assert session is not None
    assert session.step == "consent"
