"""Follow-up reminders on Telegram, end to end: the bot polling a fake Bot API, a worker
delivering from the queue, a real Redis, and a clock the tests set."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from PIL import Image

from bot.reminders.model import Reminders
from tests.channels.telegram.harness import BotProcess, TelegramUser
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.redis_server import RedisServer
from tests.reminders.harness import (
    FAST,
    ShiftedClock,
    eventually,
    running_worker,
    tick_follow_ups,
    until,
    walk_to_assessment,
)

LONDON = ZoneInfo("Europe/London")
ALICE = 4242


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(
    fake: FakeTelegram, redis_server: RedisServer, redis_client: aioredis.Redis, clock: ShiftedClock
) -> AsyncIterator[BotProcess]:
    async with BotProcess(fake, redis_server.url, clock=clock, **FAST) as process:
        yield process


@pytest.fixture
def alice(fake: FakeTelegram, bot: BotProcess) -> TelegramUser:
    return TelegramUser(fake, bot, ALICE)


async def finish_check(user: TelegramUser) -> None:
    await user.send("/start")
    await walk_to_assessment(user)


async def opt_in(
    user: TelegramUser, *kinds: str, at: str = "t0800", zone: str = "z_london"
) -> None:
    await tick_follow_ups(user, *kinds, at=at)
    if user.current_step == "fu_zone":  # asked once: afterwards the zone is known
        await user.press(zone)


async def stored(redis_client: aioredis.Redis, user_id: int = ALICE) -> Reminders:
    raw = await redis_client.get(f"kc:{{tg:{user_id}}}:reminders")
    return Reminders.model_validate_json(raw) if raw else Reminders()


async def queued_jobs(redis_client: aioredis.Redis, user_id: int = ALICE) -> list[str]:
    keys = await redis_client.keys(f"saq:job:*tg:{user_id}|*")
    return sorted(k.decode() for k in keys)


def reminder_messages(user: TelegramUser, prefix: str = "r|") -> list[SentMessage]:
    return [m for m in user.messages if any(d.startswith(prefix) for _, d in m.buttons())]


async def test_nothing_is_scheduled_without_a_yes(
    alice: TelegramUser, redis_client: aioredis.Redis
) -> None:
    await finish_check(alice)
    await alice.press("followup")
    await alice.tick("none")
    await alice.press("done")
    assert "I will not send you anything" in alice.last_text
    assert (await stored(redis_client)).items == {}
    assert await queued_jobs(redis_client) == []


async def test_the_zone_question_shows_local_times_and_the_reminder_comes_at_local_8(
    alice: TelegramUser, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 6, 15, 21, 0)  # summer: London is UTC+1
    await finish_check(alice)
    await alice.press("followup")
    await alice.tick("stretch")
    await alice.press("done")
    await alice.press("t0800")
    labels = [text for text, _ in alice.keyboard_message.buttons()]
    assert "21:00 · London, Dublin, Lisbon" in labels
    assert "05:00 · Tokyo, Seoul" in labels
    await alice.press("z_london")
    assert "Your reminders are set" in alice.last_text
    reminder = (await stored(redis_client)).items["stretch"]
    due = dt.datetime.fromtimestamp(reminder.due or 0, LONDON)
    assert (due.date(), due.time()) == (dt.date(2026, 6, 16), dt.time(8, 0))
    assert reminder.stretch == "calf"  # the stretch for the muscle the user named
    assert await queued_jobs(redis_client) == [
        f"saq:job:kneecheck-reminders:tg:{ALICE}|stretch|{reminder.due}"
    ]


async def test_a_reminder_due_at_t_comes_once_after_t_and_not_before(
    alice: TelegramUser, bot: BotProcess, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 7, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "stretch")
    due = (await stored(redis_client)).items["stretch"].due
    assert due == int(dt.datetime(2026, 11, 25, 8, 0, tzinfo=LONDON).timestamp())
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: reminder_messages(alice))
        arrived = clock()
        [message] = reminder_messages(alice)
        assert arrived >= due
        assert "Time for your daily stretch: calf" in message.plain_text
        assert "Lean forward, pressing your hands against the wall" in message.plain_text
        assert [t for t, _ in message.buttons()] == [
            "Done",
            "Snooze 1 hour",
            "Stop these reminders",
        ]
        # Delivered means moved on: tomorrow 08:00 is the only occurrence queued.
        await until_jobs(redis_client, [f"tg:{ALICE}|stretch|{due + 86_400}"])
        assert (await stored(redis_client)).items["stretch"].due == due + 86_400
    assert len(reminder_messages(alice)) == 1


async def until_jobs(redis_client: aioredis.Redis, wanted: list[str]) -> None:
    """Wait until exactly these occurrences (``tg:<id>|<reminder>|<due>``) are queued."""

    async def matches() -> bool:
        names = [k.split(":", 3)[3] for k in await queued_jobs(redis_client)]
        return names == wanted

    await eventually(matches)


async def test_daylight_saving_keeps_the_local_time(
    alice: TelegramUser, bot: BotProcess, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    # The night the UK clocks go forward (29 March 2026, 01:00 GMT -> 02:00 BST).
    clock.at("Europe/London", 2026, 3, 28, 7, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "stretch")
    first = (await stored(redis_client)).items["stretch"].due
    assert first == int(dt.datetime(2026, 3, 28, 8, 0, tzinfo=dt.UTC).timestamp())  # GMT
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: reminder_messages(alice))
        await until_jobs(redis_client, [f"tg:{ALICE}|stretch|{first + 23 * 3600}"])
    following = (await stored(redis_client)).items["stretch"].due
    # 08:00 BST is 07:00 UTC: 23 hours later, still 08:00 on the user's clock.
    assert following == int(dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC).timestamp())


async def test_snooze_lands_outside_quiet_hours(
    alice: TelegramUser, bot: BotProcess, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 18, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "hydration")
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: reminder_messages(alice))
    [message] = reminder_messages(alice)
    clock.at("Europe/London", 2026, 11, 25, 21, 30)  # the snooze would end in quiet hours
    notice = await alice.tap(
        message, next(d for t, d in message.buttons() if t.startswith("Snooze"))
    )
    assert notice == "Snoozed until Thu 26 Nov, 08:00."
    due = (await stored(redis_client)).items["hydration"].due
    assert due == int(dt.datetime(2026, 11, 26, 8, 0, tzinfo=LONDON).timestamp())
    assert await queued_jobs(redis_client) == [
        f"saq:job:kneecheck-reminders:tg:{ALICE}|hydration|{due}"
    ]


async def test_pause_change_time_and_stop_from_the_list(
    alice: TelegramUser, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "stretch", "hydration")
    await alice.send("/reminders")
    listing = alice.messages[-1]
    assert "Daily stretch: next on Thu 26 Nov, 08:00" in listing.plain_text
    assert "Drink water: next on Wed 25 Nov, 13:00" in listing.plain_text

    await alice.tap(listing, "r|stretch|pause|0")
    listing = alice.fake.messages(ALICE)[-1]
    assert "Daily stretch: paused" in listing.plain_text
    assert (await stored(redis_client)).items["stretch"].paused
    assert not any("|stretch|" in k for k in await queued_jobs(redis_client))

    await alice.tap(listing, "r|stretch|resume|0")
    await alice.tap(alice.messages[-1], "r|stretch|time|0")
    picker = alice.messages[-1]
    assert "Pick a new time for Daily stretch" in picker.plain_text
    await alice.tap(picker, "r|stretch|t1800|0")
    moved = (await stored(redis_client)).items["stretch"]
    assert moved.due == int(dt.datetime(2026, 11, 25, 18, 0, tzinfo=LONDON).timestamp())
    assert f"tg:{ALICE}|stretch|{moved.due}" in " ".join(await queued_jobs(redis_client))

    await alice.tap(alice.messages[-1], "r|hydration|stop|0")
    assert set((await stored(redis_client)).items) == {"stretch"}
    assert not any("|hydration|" in k for k in await queued_jobs(redis_client))


async def test_stop_and_forget_leave_nothing_scheduled_and_no_key(
    alice: TelegramUser, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "stretch", "hydration", "checkin")
    assert len(await queued_jobs(redis_client)) == 3
    await alice.send("/stop")
    assert await queued_jobs(redis_client) == []
    assert (await stored(redis_client)).items == {}

    await finish_check(alice)
    await opt_in(alice, "stretch", "checkin", zone="z_tokyo")
    assert len(await queued_jobs(redis_client)) == 2
    await alice.send("/forget")
    await alice.press("Erase everything")
    assert await redis_client.keys(f"*tg:{ALICE}*") == []


async def test_a_blocked_user_has_their_reminders_cancelled(
    alice: TelegramUser,
    bot: BotProcess,
    fake: FakeTelegram,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "hydration", "checkin")
    fake.block(ALICE)
    async with running_worker(bot.settings, clock=clock):
        await until_jobs(redis_client, [])
    assert (await stored(redis_client)).items == {}
    assert await redis_client.get(f"kc:{{tg:{ALICE}}}:tg:blocked") == b"1"


async def test_a_429_is_waited_out_and_nothing_is_lost(
    alice: TelegramUser,
    bot: BotProcess,
    fake: FakeTelegram,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "hydration")
    fake.fail_next("sendMessage", status=429, retry_after=1)
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: reminder_messages(alice))
        await until_jobs(redis_client, [f"tg:{ALICE}|hydration|{_at(2026, 11, 25, 16)}"])
    assert len(reminder_messages(alice)) == 1
    refused = [p for m, p in fake.calls if m == "sendMessage" and str(p["chat_id"]) == str(ALICE)]
    assert len(refused) >= 2  # the 429, then the same message again


def _at(year: int, month: int, day: int, hour: int) -> int:
    return int(dt.datetime(year, month, day, hour, tzinfo=LONDON).timestamp())


async def test_a_check_in_that_gets_worse_advises_a_professional_and_fills_the_diary(
    alice: TelegramUser,
    bot: BotProcess,
    fake: FakeTelegram,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "checkin")
    due = (await stored(redis_client)).items["checkin"].due
    assert due == _at(2026, 11, 28, 18)  # three days later, at 18:00 local
    clock.at("Europe/London", 2026, 11, 28, 17, 59, 57)
    async with running_worker(bot.settings, clock=clock) as (worker_app, _):
        await worker_app.reminders.requeue(alice.ref)  # the queue's clock jumped three days
        await until(lambda: reminder_messages(alice, "f|checkin"))
    [reminder] = reminder_messages(alice, "f|checkin")
    assert "time for your knee check-in" in reminder.plain_text
    await alice.tap(reminder, next(d for _, d in reminder.buttons() if d.startswith("f|")))
    assert alice.current_step == "ck_flags"
    await alice.tick("none")
    await alice.press("done")
    await alice.press("worse")
    await alice.press("many")
    await alice.press("s7")
    assert "please see a doctor or physiotherapist" in alice.last_text

    diary = json.loads(await redis_client.get(f"kc:{{tg:{ALICE}}}:diary") or "{}")
    assert [(e["trend"], e["spasms"], e["severity"]) for e in diary["entries"]] == [
        ("worse", "many", 7)
    ]
    # The check-in comes round again, three days on.
    assert (await stored(redis_client)).items["checkin"].due == _at(2026, 12, 1, 18)

    await alice.send("/diary")
    [png] = fake.photos[ALICE]
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (800, 450))

    await alice.send("/summary")
    summary = alice.last_text
    assert "behind the knee" in summary.lower() or "Behind" in summary
    assert "Worse" in summary
    assert len(alice.messages[-1].text) <= 4096


async def test_a_warning_sign_at_a_check_in_gets_urgent_advice(
    alice: TelegramUser, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "stretch", "hydration", "checkin")  # in London (z_london)
    await alice.tap(alice.messages[-1], "f|checkin|checkin|0")
    await alice.tick("clot_leg")
    before = len(alice.messages)
    await alice.press("done")
    said = alice.texts_since(before)
    assert "No self-care tips" in said
    # The zone picked for reminders places Alice in the UK: the UK's numbers.
    assert "ask for an urgent GP appointment, call 111" in said
    assert "Call 999 if you also get breathless" in said
    assert "I have paused your stretching and water reminders" in said
    diary = json.loads(await redis_client.get(f"kc:{{tg:{ALICE}}}:diary") or "{}")
    assert diary.get("entries", []) == []
    items = (await stored(redis_client)).items
    assert items["stretch"].paused
    assert items["hydration"].paused
    assert not items["checkin"].paused


async def test_a_nudge_that_fell_due_hours_ago_is_dropped_and_the_next_one_kept(
    alice: TelegramUser, bot: BotProcess, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "hydration")
    assert (await stored(redis_client)).items["hydration"].due == _at(2026, 11, 25, 13)
    # Everything was down from before 13:00 until 15:00: a water nudge two hours late is
    # pointless (max_lateness_minutes: hydration 60), the 16:00 one is still to come.
    clock.at("Europe/London", 2026, 11, 25, 15, 0)
    async with running_worker(bot.settings, clock=clock) as (worker_app, _):
        await worker_app.reminders.requeue(alice.ref)
        await until_jobs(redis_client, [f"tg:{ALICE}|hydration|{_at(2026, 11, 25, 16)}"])
    assert reminder_messages(alice) == []
    assert (await stored(redis_client)).items["hydration"].due == _at(2026, 11, 25, 16)


async def test_urgent_advice_pauses_self_care_reminders_and_refuses_the_offer(
    alice: TelegramUser, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "stretch", "hydration", "checkin")
    await alice.send("/start")  # a new check; the warning sign typed at its first question
    await alice.send("my calf is swollen and red")
    said = "\n".join(m.plain_text for m in alice.messages[-3:])
    assert "Get seen today" in said
    assert "I have paused your stretching and water reminders" in said  # and says so

    async def paused() -> bool:
        items = (await stored(redis_client)).items
        return items["stretch"].paused and items["hydration"].paused

    await eventually(paused)
    items = (await stored(redis_client)).items
    assert not items["checkin"].paused  # check-ins screen for warning signs first
    jobs = await queued_jobs(redis_client)
    assert not [j for j in jobs if "|stretch|" in j or "|hydration|" in j]
    before = await stored(redis_client)
    told = await alice.tap(alice.messages[-1], "f||followup|0")  # a forged offer button
    assert "I will not set up stretch or water reminders" in told
    assert await stored(redis_client) == before
    await alice.send("/reminders")  # what the user sees: no self-care reminder is active
    assert "Daily stretch: paused" in alice.last_text
    assert "Drink water: paused" in alice.last_text
    assert "Knee check-in: next on" in alice.last_text
