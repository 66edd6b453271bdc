"""The store contract: compare-and-set, TTL, erase, on a real Redis and the embedded one."""

from __future__ import annotations

import asyncio

import pytest

from bot.engine.session import Session
from bot.store.base import Loaded, Once
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore
from tests.store.conftest import TTL

ALICE = UserRef("tg", "1001")
BOB = UserRef("sl", "U2002", workspace="T1")


async def test_nothing_stored_loads_as_none(store: RedisSessionStore) -> None:
    assert await store.load(ALICE, "kneecheck") is None


async def test_saved_session_loads_back_equal(store: RedisSessionStore) -> None:
    session = Session(
        version=1, shown=1, step="location", answers={"consent": "agree", "red_flags": ("none",)}
    )
    assert await store.save(ALICE, session, expected=0)
    assert await store.load(ALICE, "kneecheck") == session


async def test_a_stale_write_is_refused_and_changes_nothing(store: RedisSessionStore) -> None:
    first = Session(version=1, step="consent")
    assert await store.save(ALICE, first, expected=0)
    assert not await store.save(ALICE, Session(version=1, step="location"), expected=0)
    assert not await store.save(ALICE, Session(version=3, step="location"), expected=2)
    assert await store.load(ALICE, "kneecheck") == first


async def test_100_concurrent_writers_apply_exactly_one_write_per_version(
    store: RedisSessionStore,
) -> None:
    """Each writer adds its own answer; if any write were lost, its answer would be missing."""
    wins: list[int] = []

    async def writer(i: int) -> None:
        while True:
            current = await store.load(BOB, "kneecheck")
            version = current.version if current else 0
            answers = dict(current.answers) if current else {}
            answers[f"w{i}"] = "yes"
            if await store.save(
                BOB, Session(version=version + 1, answers=answers), expected=version
            ):
                wins.append(version + 1)
                return

    await asyncio.gather(*(writer(i) for i in range(100)))
    final = await store.load(BOB, "kneecheck")
    assert final is not None
    assert sorted(wins) == list(range(1, 101))
    assert final.version == 100
    assert set(final.answers) == {f"w{i}" for i in range(100)}


async def test_sessions_expire_after_the_configured_ttl(store: RedisSessionStore) -> None:
    await store.save(ALICE, Session(version=1, step="consent"), expected=0)
    ttl_ms = await store.client.pttl(store.keys.session(ALICE, "kneecheck"))
    index_ttl_ms = await store.client.pttl(store.keys.index(ALICE))
    assert TTL * 1000 - 5000 < ttl_ms <= TTL * 1000
    assert index_ttl_ms >= ttl_ms - 1000  # the index lives at least as long as the session


async def test_erase_leaves_no_key_of_the_user_and_keeps_others(store: RedisSessionStore) -> None:
    await store.save(ALICE, Session(version=1, step="consent"), expected=0)
    await store.save(ALICE, Session(version=1, flow="checkin", step="how"), expected=0)
    await store.save(BOB, Session(version=1, step="consent"), expected=0)

    assert len(await store.keys_of(ALICE)) == 2
    assert await store.erase(ALICE) == 3  # two sessions and the key index

    assert await store.client.keys("kc:{tg:1001}*") == []
    assert await store.load(ALICE, "kneecheck") is None
    assert await store.load(BOB, "kneecheck") is not None


async def test_a_write_racing_an_erase_does_not_resurrect_the_user(
    store: RedisSessionStore,
) -> None:
    await store.save(ALICE, Session(version=1, step="consent"), expected=0)
    await store.erase(ALICE)
    assert not await store.save(ALICE, Session(version=2, step="location"), expected=1)
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_keys_carry_the_user_in_a_hash_tag(store: RedisSessionStore) -> None:
    assert store.keys.session(BOB, "kneecheck") == "kc:{sl:T1:U2002}:session:kneecheck"
    assert store.keys.index(BOB) == "kc:{sl:T1:U2002}:keys"


async def test_user_values_are_erased_with_the_user(store: RedisSessionStore) -> None:
    await store.put_value(ALICE, "tg:q", '{"m": 7}')
    assert await store.get_value(ALICE, "tg:q") == '{"m": 7}'
    assert await store.client.pttl(store.keys.value(ALICE, "tg:q")) > 0
    await store.erase(ALICE)
    assert await store.get_value(ALICE, "tg:q") is None
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_an_event_is_handled_the_first_time_only(store: RedisSessionStore) -> None:
    assert await store.first_time("tg-update", "17", ttl_seconds=60)
    assert not await store.first_time("tg-update", "17", ttl_seconds=60)
    assert await store.first_time("tg-update", "18", ttl_seconds=60)


async def test_a_user_value_is_replaced_only_if_unchanged(store: RedisSessionStore) -> None:
    assert await store.replace_value(ALICE, "reminders", "a", expected=None)
    assert not await store.replace_value(ALICE, "reminders", "b", expected=None)
    assert not await store.replace_value(ALICE, "reminders", "b", expected="stale")
    assert await store.replace_value(ALICE, "reminders", "b", expected="a", ttl_seconds=90 * 86400)
    assert await store.get_value(ALICE, "reminders") == "b"
    assert await store.client.ttl(store.keys.value(ALICE, "reminders")) > 80 * 86400
    await store.erase(ALICE)
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_a_write_that_keeps_the_ttl_does_not_extend_retention(
    store: RedisSessionStore,
) -> None:
    key = store.keys.value(ALICE, "reminders")
    assert await store.replace_value(ALICE, "reminders", "a", expected=None, ttl_seconds=100)
    assert await store.replace_value(ALICE, "reminders", "b", expected="a", keep_ttl=True)
    assert 0 < await store.client.ttl(key) <= 100  # not reset to the store's default
    assert await store.replace_value(ALICE, "reminders", "", expected="b", keep_ttl=True)
    assert await store.client.exists(key) == 0  # empty deletes


async def test_activity_pushes_every_value_to_a_full_retention_period(
    store: RedisSessionStore,
) -> None:
    await store.put_value(ALICE, "diary", "{}", ttl_seconds=100)
    await store.put_value(ALICE, "reminders", "{}", ttl_seconds=100)
    await store.touch(ALICE)
    for name in ("diary", "reminders"):
        assert await store.client.ttl(store.keys.value(ALICE, name)) > 100
    assert await store.client.exists(store.keys.value(ALICE, "profile")) == 0  # none created


async def test_only_registered_values_can_be_written(store: RedisSessionStore) -> None:
    with pytest.raises(ValueError, match="not a declared user value"):
        await store.put_value(ALICE, "notes", "[]")


async def test_load_turn_marks_the_event_and_reads_the_session_together(
    store: RedisSessionStore,
) -> None:
    session = Session(version=1, step="consent")
    await store.save(ALICE, session, expected=0)
    once = Once("tg-update", "9", 60)
    first = await store.load_turn(ALICE, "kneecheck", once=once)
    again = await store.load_turn(ALICE, "kneecheck", once=once)
    assert first == Loaded(True, session, pending=False)
    assert again == Loaded(False, session, pending=False)
