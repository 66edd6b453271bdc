"""The shell's outbox on a real Redis: a saved turn's replies are owed until a channel settles
them, a re-delivery or the next action gets what is still owed, and /forget waits for work in
flight instead of racing it."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.catalog.catalog import Catalog
from bot.channels.registry import user_values
from bot.conversations import PACKED_FIELDS, Conversations, Taken, pack, unpack
from bot.engine import Choose, Restart, Start, Text
from bot.engine.replies import Choice, Reply, Section
from bot.store.base import Erased, Once
from bot.store.keys import UserRef
from bot.store.redis import RedisSessionStore
from tests.engine.chat import EngineChat

USER = UserRef("tg", "42")


def make(catalog: Catalog, client: aioredis.Redis, **kwargs: Any) -> Conversations:
    return Conversations(
        catalog,
        RedisSessionStore(client, ttl_seconds=3600, values=user_values()),
        salt=b"s",
        **kwargs,
    )


def update(n: int) -> Once:
    return Once("tg-update", str(n), 3600)


def texts(taken: Taken) -> list[str]:
    return [r.text() for owed in taken.owed for r in owed.replies]


def test_packing_keeps_every_field_of_every_reply(catalog: Catalog) -> None:
    for kind, names in PACKED_FIELDS.items():
        assert names == {f.name for f in dataclasses.fields(kind)}, kind  # a field added?
    chat = EngineChat(catalog)
    chat.start()
    chat.say("behind the knee")  # answered, a notice, a question
    chat.walk()  # ... to the assessment and its follow-up offer
    replies = list(chat.transcript)
    assert {r.kind for r in replies} >= {"question", "answered", "result", "notice"}
    reminder = Choice("stop", "Stop", "reminder", selected=True, target=("stretch", 1_800_000_000))
    replies.append(Reply("info", (Section("t", ("p",), ("b",), ("s",)),), (reminder,)))
    at, back = unpack(pack(replies, at=12.5))
    assert (at, back) == (12.5, tuple(replies))
    with pytest.raises(ValueError, match="validation"):
        unpack(b'[1,[{"kind":"nonsense"}]]')


async def test_a_redelivered_event_gets_the_replies_its_turn_still_owes(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client)
    first = await chat.take(USER, Start(), once=update(1))
    assert first.saved
    assert first.turn is not None
    # The replies were not sent (the process stopped): the claim expires, or is released.
    await chat.settle(USER, left={first.key: None})
    again = await chat.take(USER, Start(), once=update(1))
    assert again.turn is None  # not run twice
    assert [o.key for o in again.owed] == [first.key]
    assert texts(again) == [r.text() for r in first.turn.replies]
    assert texts(again)
    await chat.settle(USER, sent=[first.key])
    third = await chat.take(USER, Start(), once=update(1))
    assert (third.turn, third.owed, third.in_flight) == (None, (), False)


async def test_a_redelivery_while_the_replies_are_being_sent_is_told_so(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client)
    await chat.take(USER, Start(), once=update(1))
    again = await chat.take(USER, Start(), once=update(1))
    assert (again.turn, again.owed, again.in_flight) == (None, (), True)


async def test_the_next_action_gets_what_is_owed_first_and_only_one_handler_gets_it(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client)
    started = await chat.take(USER, Start(), once=update(1))
    assert started.turn is not None
    await chat.settle(USER, sent=[started.key])
    question = started.turn.replies[-1]
    agreed = await chat.take(USER, Choose("consent", "agree", question.version), once=update(2))
    await chat.settle(USER, left={agreed.key: None})  # the send failed
    nexts = await asyncio.gather(
        chat.take(USER, Text("hello"), once=update(3)), chat.take(USER, Text("hi"), once=update(4))
    )
    owed = [taken for taken in nexts if taken.owed]
    assert len(owed) == 1  # the other one does not send it again
    assert owed[0].owed[0].key == agreed.key
    assert agreed.turn is not None
    assert texts(owed[0]) == [r.text() for r in agreed.turn.replies]
    session = await chat.current(USER)
    assert session is not None
    assert session.step == "red_flags"  # both typed messages were applied after the owed turn


async def test_a_question_the_conversation_moved_past_is_not_sent_late(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client)
    started = await chat.take(USER, Start(), once=update(1))
    assert started.turn is not None
    await chat.settle(USER, sent=[started.key])
    question = started.turn.replies[-1]
    agreed = await chat.take(USER, Choose("consent", "agree", question.version), once=update(2))
    await chat.settle(USER, left={agreed.key: None})  # the next question never went out...
    restarted = await chat.take(USER, Restart(), once=update(3))  # ...and the user restarts
    [owed] = restarted.owed
    assert [r.kind for r in owed.replies] == ["answered"]  # the old question is not sent late
    assert restarted.turn is not None
    assert restarted.turn.replies[-1].step == "consent"


async def test_a_turn_that_changes_nothing_owes_nothing(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client)
    taken = await chat.take(USER, Text("hello"))
    assert taken.turn is not None
    assert not taken.saved
    assert await redis_client.exists("kc:{tg:42}:outbox") == 0


class CountingStore(RedisSessionStore):
    """Counts forget attempts, so a test can wait until /forget found work in flight."""

    tried = 0
    tried_twice = asyncio.Event()

    async def forget(self, *args: Any, **kwargs: Any) -> Erased | None:
        self.tried += 1
        if self.tried >= 2:
            self.tried_twice.set()
        return await super().forget(*args, **kwargs)


async def test_forget_waits_until_the_turn_being_shown_is_settled(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    store = CountingStore(redis_client, ttl_seconds=3600, values=user_values())
    store.tried_twice = asyncio.Event()
    chat = Conversations(catalog, store, salt=b"s")
    taken = await chat.take(USER, Start(), once=update(1))  # being shown...
    forgetting = asyncio.create_task(chat.forget(USER))
    await store.tried_twice.wait()
    assert not forgetting.done()
    assert await redis_client.exists("kc:{tg:42}:session:kneecheck")
    # ... and shown: the pointer written with the settlement is erased with the rest.
    await chat.settle(USER, sent=[taken.key], values={"tg:q": '["42","7","consent",1]'})
    assert await asyncio.wait_for(forgetting, 10) > 0
    assert await redis_client.keys("*tg:42*") == []


async def test_forget_erases_regardless_when_work_stays_in_flight_too_long(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    chat = make(catalog, redis_client, forget_wait_seconds=0)
    await chat.take(USER, Start(), once=update(1))  # claimed, never settled
    assert await chat.forget(USER) > 0
    assert await redis_client.keys("*tg:42*") == []


async def test_forget_waits_for_work_noted_outside_a_turn(
    catalog: Catalog, redis_client: aioredis.Redis
) -> None:
    store = CountingStore(redis_client, ttl_seconds=3600, values=user_values())
    store.tried_twice = asyncio.Event()
    chat = Conversations(catalog, store, salt=b"s")
    await chat.handle(USER, Start())
    async with chat.working(USER):  # a reminder's button being handled
        forgetting = asyncio.create_task(chat.forget(USER))
        await store.tried_twice.wait()
        assert not forgetting.done()
    assert await asyncio.wait_for(forgetting, 10) > 0
    assert await redis_client.keys("*tg:42*") == []
