"""The outbox and /forget's in-flight check, on a real redis-server and on the embedded one.

What a channel relies on: a saved turn's replies are written with its session, claimed by
their writer; nobody else can claim them until released or the claim expires; settled, they
are gone; the question pointer is never written once the session is gone; and a forget refuses
to erase while any of this is in flight, unless forced.
"""

from __future__ import annotations

import asyncio

from bot.engine.session import Session
from bot.store.base import Claimed, Entry, Erased, Once
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore

ALICE = UserRef("tg", "1001")
FLOW = "kneecheck"


def entry(key: str, packed: bytes = b"[1,[]]", *, lease: int = 30) -> Entry:
    return Entry(key, packed, ttl_seconds=600, lease_seconds=lease)


async def saved_turn(store: RedisSessionStore, key: str, version: int = 1) -> None:
    session = Session(version=version, step="consent")
    assert await store.save(ALICE, session, expected=version - 1, entry=entry(key))


async def test_a_saved_turn_owes_its_replies_claimed_by_its_writer(
    store: RedisSessionStore,
) -> None:
    await saved_turn(store, "tg-update:1")
    outbox = store.keys.value(ALICE, "outbox")
    assert 590_000 < await store.client.pttl(outbox) <= 600_000  # as long as the marker
    loaded = await store.load_turn(ALICE, FLOW, once=Once("tg-update", "2", 60))
    assert loaded.pending
    # Its writer is sending it: nobody else may, and a re-delivery hears it is in flight.
    assert await store.claim(ALICE, lease_seconds=30) == Claimed()
    assert await store.claim(ALICE, lease_seconds=30, own="tg-update:1") == Claimed((), True)


async def test_a_released_entry_is_claimed_once_with_what_is_still_owed(
    store: RedisSessionStore,
) -> None:
    await saved_turn(store, "tg-update:1")
    await store.settle(ALICE, left={"tg-update:1": b"[2,[]]"}, anchor=FLOW)
    first, second = await asyncio.gather(
        store.claim(ALICE, lease_seconds=30), store.claim(ALICE, lease_seconds=30)
    )
    assert sorted([first.entries, second.entries]) == [(), (("tg-update:1", b"[2,[]]"),)]
    await store.settle(ALICE, sent=["tg-update:1"], anchor=FLOW)
    assert await store.client.exists(store.keys.value(ALICE, "outbox")) == 0
    assert not (await store.load_turn(ALICE, FLOW)).pending


async def test_an_expired_claim_can_be_taken_over(store: RedisSessionStore) -> None:
    session = Session(version=1, step="consent")
    assert await store.save(ALICE, session, expected=0, entry=entry("t:a", lease=0))
    claimed = await store.claim(ALICE, lease_seconds=30)
    assert claimed.entries == (("t:a", b"[1,[]]"),)


async def test_a_refused_save_owes_nothing(store: RedisSessionStore) -> None:
    await saved_turn(store, "t:a")
    assert not await store.save(ALICE, Session(version=1), expected=0, entry=entry("t:b"))
    await store.settle(ALICE, left={"t:a": None}, anchor=FLOW)
    assert [key for key, _ in (await store.claim(ALICE, lease_seconds=30)).entries] == ["t:a"]


async def test_the_pointer_is_written_with_the_settlement_only_while_a_session_exists(
    store: RedisSessionStore,
) -> None:
    await saved_turn(store, "t:a")
    await store.settle(ALICE, sent=["t:a"], values={"tg:q": "[1,2]"}, anchor=FLOW)
    assert await store.get_value(ALICE, "tg:q") == "[1,2]"
    await store.erase(ALICE)
    await store.settle(ALICE, sent=["t:a"], values={"tg:q": "[1,3]"}, anchor=FLOW)
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_released_replies_are_not_written_back_after_an_erase(
    store: RedisSessionStore,
) -> None:
    await saved_turn(store, "t:a")
    await store.erase(ALICE)
    await store.settle(ALICE, left={"t:a": b"[3,[]]"}, anchor=FLOW)
    await store.repack(ALICE, "t:a", b"[4,[]]")
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_forget_waits_for_a_turn_in_flight_unless_forced(store: RedisSessionStore) -> None:
    await saved_turn(store, "t:a")
    await store.put_value(ALICE, "reminders", '{"items":{}}')
    assert await store.forget(ALICE, returned=["reminders"]) is None
    assert await store.get_value(ALICE, "reminders") is not None  # nothing erased
    await store.settle(ALICE, left={"t:a": None}, anchor=FLOW)  # owed, nobody sending it
    erased = await store.forget(ALICE, returned=["reminders"])
    assert erased == Erased(4, {"reminders": '{"items":{}}'})  # session, value, outbox, index
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_forget_waits_for_work_and_for_held_values(store: RedisSessionStore) -> None:
    await saved_turn(store, "t:a")
    await store.settle(ALICE, sent=["t:a"], anchor=FLOW)
    await store.hold_work(ALICE, "w1", lease_seconds=30)
    assert await store.forget(ALICE) is None
    await store.drop_work(ALICE, "w1")
    await store.put_value(ALICE, "delivering", "lease", ttl_seconds=60)
    assert await store.forget(ALICE, held=["delivering"]) is None
    assert await store.forget(ALICE, held=["delivering"], force=True) is not None
    assert await store.client.keys("kc:{tg:1001}*") == []


async def test_work_noted_after_an_erase_leaves_nothing_once_done(
    store: RedisSessionStore,
) -> None:
    await store.hold_work(ALICE, "w1", lease_seconds=30)
    await store.drop_work(ALICE, "w1")
    assert await store.client.keys("kc:{tg:1001}*") == []
