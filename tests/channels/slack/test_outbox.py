"""Lost turns on Slack (issue 13): the real bolt app over HTTP, a fake Slack that fails or
finds a message deleted, a real Redis.

Slack has its 200 before the work starts, so a failed post is not re-delivered by Slack: the
question the user is owed comes with their next action, once. An event Slack does re-deliver
sends what it still owes instead of running again.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.engine.session import Session
from tests.channels.slack.driver import SlackUser, step_of, visible_text
from tests.fakes.slack import FakeMessage, FakeSlack, message_event_body

TEAM = "T1"


def asked(messages: list[FakeMessage], number: int) -> list[FakeMessage]:
    return [m for m in messages if f"Question {number} of" in visible_text(m)]


async def session_of(redis_client: aioredis.Redis, user: SlackUser) -> Session:
    raw = await redis_client.get(f"kc:{{sl:{TEAM}:{user.id}}}:session:kneecheck")
    assert raw is not None
    return Session.load(raw)


async def test_a_question_lost_to_a_failed_post_comes_with_the_next_message(
    fake: FakeSlack, user: SlackUser, redis_client: aioredis.Redis
) -> None:
    await user.command()
    fake.fail_next("chat.postMessage", error="internal_error")
    await user.press("agree")
    assert asked(user.messages, 2) == []
    assert (await session_of(redis_client, user)).step == "red_flags"

    await user.say("hello?")

    assert len(asked(user.messages, 2)) == 1
    assert step_of(user.keyboard) == "red_flags"
    assert await redis_client.exists(f"kc:{{sl:{TEAM}:{user.id}}}:outbox") == 0
    await user.tick("none")
    await user.press("done")
    assert step_of(user.keyboard) == "location"


async def test_a_command_brings_what_is_owed_before_its_answer(
    fake: FakeSlack, user: SlackUser
) -> None:
    await user.command()
    fake.fail_next("chat.postMessage", error="service_unavailable")
    await user.press("agree")
    await user.command("mydata")
    texts = [visible_text(m) for m in user.view.new]
    assert "Question 2 of" in texts[0]
    assert "What I store about you" in texts[-1]


async def test_a_redelivered_event_sends_what_it_still_owes(
    fake: FakeSlack, user: SlackUser
) -> None:
    await user.command()
    await user.press("agree")
    await user.tick("none")
    await user.press("done")
    fake.fail_next("chat.postMessage", error="internal_error")
    body = message_event_body(
        user_id=user.id, channel_id=user.dm, text="behind the knee", event_id="EvOwed", team_id=TEAM
    )
    assert await user.send(body) == 200
    assert asked(user.messages, 4) == []  # the location was answered; its follow-up not shown
    assert await user.send(body, retry_num=1, retry_reason="http_timeout") == 200
    assert len(asked(user.messages, 4)) == 1
    assert await user.send(body, retry_num=2, retry_reason="http_timeout") == 200
    assert len(asked(user.messages, 4)) == 1


async def test_an_answer_to_a_question_the_user_deleted_is_posted_anew(user: SlackUser) -> None:
    await user.command()
    consent = user.keyboard
    consent.deleted = True  # the user deleted the question
    await user.say("yes")
    assert len(asked(user.messages, 2)) == 1
    assert any(
        "\u27a1" in visible_text(m) and "Question 1 of" in visible_text(m) for m in user.messages
    )
