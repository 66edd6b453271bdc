"""Follow-up reminders on Slack, end to end: the real bolt app over HTTP (signed requests), a
fake Slack Web API, a worker delivering from the queue, a real Redis, and a clock the tests set.

Slack tells us each user's time zone (``users.info``), so a Slack user is never asked for it:
these users are in New York.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from PIL import Image
from pydantic import SecretStr

from bot.catalog.catalog import Catalog
from bot.channels.slack.render import slack_commands
from bot.reminders.model import Reminders
from bot.settings import Settings
from bot.store.keys import UserRef
from tests.channels.slack.driver import (
    BotProcess,
    SlackUser,
    codec_values,
    elements,
    settings_for,
    step_of,
    visible_text,
)
from tests.fakes.slack import FakeMessage, FakeSlack, block_errors
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

ZONE = "America/New_York"
NEW_YORK = ZoneInfo(ZONE)
TEAM, ALICE, BOB = "T1", "U0KNEE", "U0BOB"
DM = "D" + ALICE
TAG = f"sl:{TEAM}:{ALICE}"
ME = UserRef("sl", ALICE, workspace=TEAM)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        slack.set_user(ALICE, tz=ZONE)
        slack.set_user(BOB, tz="Europe/Paris")
        yield slack


@pytest.fixture
def settings(fake: FakeSlack, redis_server: RedisServer) -> Settings:
    """The bot's settings; the worker runs with the same (Slack token, fake's URL, FAST)."""
    return settings_for(fake, redis_server.url, log_salt=SecretStr("test-salt"), **FAST)


@pytest.fixture
async def bot(
    settings: Settings, redis_client: aioredis.Redis, clock: ShiftedClock
) -> AsyncIterator[BotProcess]:
    process = await BotProcess(settings, clock=clock).start()
    yield process
    await process.stop()


@pytest.fixture
def alice(fake: FakeSlack, bot: BotProcess) -> SlackUser:
    return SlackUser(fake, bot, ALICE)


@pytest.fixture
def ui(catalog: Catalog) -> dict[str, str]:
    return dict(catalog.content("en").ui)


async def finish_check(user: SlackUser) -> None:
    await user.command()
    await walk_to_assessment(user)


async def opt_in(user: SlackUser, *kinds: str, at: str = "t0800") -> None:
    await tick_follow_ups(user, *kinds, at=at)


def asked_the_zone(user: SlackUser) -> bool:
    return any("|fu_zone|" in value for m in user.messages for value in codec_values(m))


async def stored(redis_client: aioredis.Redis) -> Reminders:
    raw = await redis_client.get(f"kc:{{{TAG}}}:reminders")
    return Reminders.model_validate_json(raw) if raw else Reminders()


async def queued_jobs(redis_client: aioredis.Redis) -> list[str]:
    keys = await redis_client.keys(f"saq:job:*{TAG}|*")
    return sorted(k.decode() for k in keys)


async def until_jobs(redis_client: aioredis.Redis, wanted: list[str]) -> None:
    """Wait until exactly these occurrences (``<tag>|<reminder>|<due>``) are queued."""

    async def matches() -> bool:
        names = [k.split(":", 3)[3] for k in await queued_jobs(redis_client)]
        return names == sorted(wanted)

    await eventually(matches)


def delivered(user: SlackUser, prefix: str = "r|") -> list[FakeMessage]:
    """Reminder messages the worker sent (their buttons name an occurrence, never 0)."""
    return [
        m
        for m in user.messages
        if any(v.startswith(prefix) and not v.endswith("|0") for v in codec_values(m))
    ]


def button(message: FakeMessage, start: str) -> str:
    """The codec value of the button on ``message`` whose value starts with ``start``."""
    return next(v for v in codec_values(message) if v.startswith(start))


def labels(message: FakeMessage) -> list[str]:
    return [element["text"]["text"] for _, element in elements(message)]


def whispered(user: SlackUser) -> list[str]:
    return [visible_text(m) for m in user.view.whispers]


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).timestamp())


async def first_water_nudge(
    user: SlackUser, bot: BotProcess, redis_client: aioredis.Redis, clock: ShiftedClock
) -> FakeMessage:
    """A finished check, a yes to water nudges, and the 13:00 nudge delivered (16:00 queued)."""
    clock.at(ZONE, 2026, 11, 25, 12, 59, 57)
    await finish_check(user)
    await opt_in(user, "hydration")
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: delivered(user))
        await until_jobs(redis_client, [f"{TAG}|hydration|{_at(2026, 11, 25, 16)}"])
    [message] = delivered(user)
    return message


async def test_a_slack_user_opts_in_at_their_slack_zone_without_being_asked(
    alice: SlackUser, fake: FakeSlack, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at(ZONE, 2026, 11, 25, 12, 0)
    await finish_check(alice)
    assert "followup" in button(alice.keyboard, "f|").split("|")  # the start button is shown
    await opt_in(alice, "stretch", "hydration", "checkin")
    assert "Your reminders are set" in alice.view.text
    assert not asked_the_zone(alice)
    assert all(block_errors(m.blocks) == [] for m in fake.messages(DM))

    reminders = await stored(redis_client)
    assert {r.zone for r in reminders.items.values()} == {ZONE}
    assert reminders.items["stretch"].due == _at(2026, 11, 26, 8)
    assert reminders.items["stretch"].stretch == "calf"
    assert reminders.items["hydration"].due == _at(2026, 11, 25, 13)
    assert reminders.items["checkin"].due == _at(2026, 11, 28, 18)
    assert await queued_jobs(redis_client) == sorted(
        f"saq:job:kneecheck-reminders:{TAG}|{rid}|{item.due}"
        for rid, item in reminders.items.items()
    )


async def test_the_zone_is_kept_before_the_check_starts(
    alice: SlackUser, bot: BotProcess, fake: FakeSlack, redis_client: aioredis.Redis
) -> None:
    seen: list[bytes | None] = []
    facts = bot.app.conversations.facts
    assert facts is not None

    async def recording(user: UserRef) -> dict[str, str]:
        seen.append(await redis_client.get(f"kc:{{{TAG}}}:tz"))
        return dict(await facts(user))

    bot.app.conversations.facts = recording
    await alice.command()
    assert seen == [ZONE.encode()]  # already stored when the check read its facts
    assert step_of(alice.messages[-1]) == "consent"


async def test_a_reminder_due_at_t_arrives_once_in_the_dm_after_t(
    alice: SlackUser,
    bot: BotProcess,
    fake: FakeSlack,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
) -> None:
    clock.at(ZONE, 2026, 11, 25, 7, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "stretch")
    due = (await stored(redis_client)).items["stretch"].due
    assert due == _at(2026, 11, 25, 8)
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: delivered(alice))
        [message] = delivered(alice)
        assert message.posted_at + clock.offset >= due  # never before its time
        assert message.channel == DM
        text = visible_text(message)
        assert "Time for your daily stretch: calf" in text
        assert "Lean forward, pressing your hands against the wall" in text
        assert labels(message) == ["Done", "Snooze 1 hour", "Stop these reminders"]
        assert block_errors(message.blocks) == []
        # Delivered means moved on: tomorrow 08:00 is the only occurrence queued.
        await until_jobs(redis_client, [f"{TAG}|stretch|{due + 86_400}"])
    assert (await stored(redis_client)).items["stretch"].due == due + 86_400
    assert len(delivered(alice)) == 1
    sent = [p for p in fake.calls_to("chat.postMessage") if "|snooze|" in str(p.get("blocks"))]
    assert [p["channel"] for p in sent] == [DM]

    await alice.press(button(message, "r|stretch|done|"), on=message)
    assert whispered(alice) == ["Well done!"]
    assert alice.view.new == []


async def test_snooze_then_stop_from_the_reminder_message(
    alice: SlackUser,
    bot: BotProcess,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
    ui: dict[str, str],
) -> None:
    message = await first_water_nudge(alice, bot, redis_client, clock)

    clock.at(ZONE, 2026, 11, 25, 13, 5)
    await alice.press(button(message, "r|hydration|snooze|"), on=message)
    assert whispered(alice) == ["Snoozed until Wed 25 Nov, 14:05."]
    assert (alice.view.new, alice.view.updated) == ([], [])  # a notice to the presser, no more
    due = (await stored(redis_client)).items["hydration"].due
    assert due == _at(2026, 11, 25, 14, 5)
    assert await queued_jobs(redis_client) == [f"saq:job:kneecheck-reminders:{TAG}|hydration|{due}"]

    await alice.press(button(message, "r|hydration|stop|"), on=message)
    assert whispered(alice) == [ui["reminder_stopped"]]
    assert (await stored(redis_client)).items == {}
    assert await queued_jobs(redis_client) == []


async def test_the_reminders_list_pauses_resumes_moves_and_stops_in_place(
    alice: SlackUser, redis_client: aioredis.Redis, clock: ShiftedClock, ui: dict[str, str]
) -> None:
    clock.at(ZONE, 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "stretch", "hydration")
    await alice.command("reminders")
    [listing] = alice.view.new
    assert "Daily stretch: next on Thu 26 Nov, 08:00" in visible_text(listing)
    assert "Drink water: next on Wed 25 Nov, 13:00" in visible_text(listing)
    assert labels(listing)[-1] == "Stop all reminders"

    await alice.press("r|stretch|pause|0", on=listing)
    assert (alice.view.new, alice.view.updated) == ([], [listing])  # chat.update, in place
    assert whispered(alice) == [slack_commands(ui["reminders_paused"])]
    assert "/kneecheck reminders" in whispered(alice)[0]
    assert "Daily stretch: paused" in visible_text(listing)
    assert "Resume Daily stretch" in labels(listing)
    assert (await stored(redis_client)).items["stretch"].paused
    assert not any("|stretch|" in k for k in await queued_jobs(redis_client))

    await alice.press("r|stretch|resume|0", on=listing)
    assert alice.view.updated == [listing]
    assert whispered(alice) == ["Resumed. Next: Thu 26 Nov, 08:00."]
    assert "Daily stretch: next on Thu 26 Nov, 08:00" in visible_text(listing)
    assert f"{TAG}|stretch|{_at(2026, 11, 26, 8)}" in " ".join(await queued_jobs(redis_client))

    await alice.press("r|stretch|time|0", on=listing)
    [picker] = alice.view.new  # the time picker is a new message in the DM
    assert "Pick a new time for Daily stretch" in visible_text(picker)
    await alice.press("r|stretch|t1800|0", on=picker)
    assert whispered(alice) == ["Moved. Next: Wed 25 Nov, 18:00."]
    moved = (await stored(redis_client)).items["stretch"]
    assert moved.due == _at(2026, 11, 25, 18)
    assert f"{TAG}|stretch|{moved.due}" in " ".join(await queued_jobs(redis_client))

    await alice.press("r|hydration|stop|0", on=listing)
    assert alice.view.updated == [listing]
    assert "Drink water" not in visible_text(listing)
    assert set((await stored(redis_client)).items) == {"stretch"}
    assert not any("|hydration|" in k for k in await queued_jobs(redis_client))

    await alice.press("r|all|stop|0", on=listing)
    assert whispered(alice) == [ui["reminders_all_stopped"]]
    assert (await stored(redis_client)).items == {}
    assert await queued_jobs(redis_client) == []
    await alice.command("reminders")
    assert [visible_text(m) for m in alice.view.new] == [slack_commands(ui["reminders_none"])]


async def test_stop_and_forget_leave_nothing_scheduled_and_no_key(
    alice: SlackUser, redis_client: aioredis.Redis, clock: ShiftedClock
) -> None:
    clock.at(ZONE, 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "stretch", "hydration", "checkin")
    assert len(await queued_jobs(redis_client)) == 3
    await alice.command("stop")
    assert await queued_jobs(redis_client) == []
    assert (await stored(redis_client)).items == {}

    await finish_check(alice)
    await opt_in(alice, "stretch", "checkin")
    assert len(await queued_jobs(redis_client)) == 2
    assert await redis_client.keys(f"*{TEAM}:{ALICE}*")
    await alice.command("forget")
    await alice.press("x|forget|yes|0", on=alice.messages[-1])
    assert await redis_client.keys(f"*{TEAM}:{ALICE}*") == []
    assert await redis_client.keys(f"*{ALICE}*") == []


@pytest.mark.parametrize(
    ("method", "error"),
    [("conversations.open", "user_not_found"), ("chat.postMessage", "account_inactive")],
)
async def test_a_user_slack_reports_gone_has_their_reminders_cancelled(
    alice: SlackUser,
    bot: BotProcess,
    fake: FakeSlack,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
    method: str,
    error: str,
) -> None:
    clock.at(ZONE, 2026, 11, 25, 12, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "hydration", "checkin")
    assert len(await queued_jobs(redis_client)) == 2
    fake.set_gone(ALICE, error=error, method=method)
    tried = len(fake.calls_to(method))
    async with running_worker(bot.settings, clock=clock):
        await until_jobs(redis_client, [])
    assert len(fake.calls_to(method)) > tried  # the worker did try
    assert (await stored(redis_client)).items == {}
    assert delivered(alice) == []


async def test_a_rate_limited_post_is_retried_and_delivered_once(
    alice: SlackUser,
    bot: BotProcess,
    fake: FakeSlack,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
) -> None:
    clock.at(ZONE, 2026, 11, 25, 12, 59, 57)
    await finish_check(alice)
    await opt_in(alice, "hydration")
    before = len(fake.calls_to("chat.postMessage"))
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    async with running_worker(bot.settings, clock=clock):
        await until(lambda: delivered(alice))
        await until_jobs(redis_client, [f"{TAG}|hydration|{_at(2026, 11, 25, 16)}"])
    assert len(delivered(alice)) == 1
    posts = fake.calls_to("chat.postMessage")[before:]
    assert len(posts) == 2  # the 429, then the same message again
    assert posts[0] == posts[1]


async def test_a_check_in_fills_the_diary_charted_as_a_png_and_the_summary_is_one_message(
    alice: SlackUser,
    bot: BotProcess,
    fake: FakeSlack,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
    ui: dict[str, str],
) -> None:
    clock.at(ZONE, 2026, 11, 25, 12, 0)
    await finish_check(alice)
    await opt_in(alice, "checkin")
    await alice.command("diary")
    assert [visible_text(m) for m in alice.view.new] == [ui["diary_empty"]]
    assert fake.files(DM) == []

    due = (await stored(redis_client)).items["checkin"].due
    assert due == _at(2026, 11, 28, 18)
    clock.at(ZONE, 2026, 11, 28, 17, 59, 57)
    async with running_worker(bot.settings, clock=clock) as (worker_app, _):
        await worker_app.reminders.requeue(ME)  # the queue's clock jumped three days
        await until(lambda: delivered(alice, "f|checkin"))
    [reminder] = delivered(alice, "f|checkin")
    assert "time for your knee check-in" in visible_text(reminder)
    assert labels(reminder) == ["Start the check-in", "Snooze 1 hour", "Stop these reminders"]
    await alice.press(button(reminder, "f|checkin|"), on=reminder)
    assert step_of(alice.messages[-1]) == "ck_flags"
    await alice.tick("none")
    await alice.press("done")
    await alice.press("worse")
    await alice.press("many")
    await alice.press("s7")
    assert "please see a doctor or physiotherapist" in alice.view.text
    diary = json.loads(await redis_client.get(f"kc:{{{TAG}}}:diary") or "{}")
    assert [(e["trend"], e["spasms"], e["severity"]) for e in diary["entries"]] == [
        ("worse", "many", 7)
    ]

    await alice.command("diary")
    [chart] = fake.files(DM)
    image = Image.open(io.BytesIO(chart.data))
    assert (image.format, image.size) == ("PNG", (800, 450))
    assert chart.title == ui["diary_chart_title"]
    assert [m.files for m in alice.view.new] == [[chart]]
    assert [p["channel_id"] for p in fake.calls_to("files.completeUploadExternal")] == [DM]

    # An app installed without files:write: the diary comes as lines of text instead.
    fake.fail_next("files.getUploadURLExternal", error="missing_scope")
    await alice.command("diary")
    assert len(fake.files(DM)) == 1
    [lines] = alice.view.new
    assert ui["diary_chart_title"] in visible_text(lines)
    assert "Worse, spasms: " in visible_text(lines)

    await alice.command("summary")
    [note] = alice.view.new
    text = visible_text(note)
    assert ui["summary_title"] in text
    assert "Worse" in text
    assert block_errors(note.blocks) == []


async def test_someone_else_cannot_press_a_users_reminder_buttons(
    alice: SlackUser,
    bot: BotProcess,
    fake: FakeSlack,
    redis_client: aioredis.Redis,
    clock: ShiftedClock,
    ui: dict[str, str],
) -> None:
    message = await first_water_nudge(alice, bot, redis_client, clock)
    await alice.command("reminders")
    [listing] = alice.view.new
    before, jobs = await stored(redis_client), await queued_jobs(redis_client)

    bob = SlackUser(fake, bot, BOB)
    not_yours = slack_commands(ui["slack_not_yours"])
    for value, on in (
        (button(message, "r|hydration|snooze|"), message),
        (button(message, "r|hydration|stop|"), message),
        ("r|hydration|pause|0", listing),
        ("r|all|stop|0", listing),
    ):
        await bob.press(value, on=on)
        assert whispered(bob) == [not_yours], value
        assert (bob.view.new, bob.view.updated) == ([], [])
    assert listing.updates == 0
    assert await stored(redis_client) == before
    assert await queued_jobs(redis_client) == jobs
    assert await redis_client.keys(f"*{BOB}*") == []


async def test_urgent_advice_pauses_self_care_reminders_and_refuses_the_old_offer(
    alice: SlackUser, redis_client: aioredis.Redis, clock: ShiftedClock, ui: dict[str, str]
) -> None:
    clock.at("Europe/London", 2026, 11, 25, 12, 0)
    await finish_check(alice)
    offer = next(m for m in alice.messages if button_or_none(m, "f|"))
    await opt_in(alice, "stretch", "hydration", "checkin")
    await alice.command()  # a new check; the warning sign typed at its first question
    await alice.say("my calf is swollen and red")
    assert "Get seen today" in alice.view.text
    assert "I have paused your stretching and water reminders" in alice.view.text  # says so

    async def paused() -> bool:
        items = (await stored(redis_client)).items
        return items["stretch"].paused and items["hydration"].paused

    await eventually(paused)
    assert not (await stored(redis_client)).items["checkin"].paused
    before = await stored(redis_client)
    await alice.press("followup", on=offer)  # the old result's offer button
    assert slack_commands(ui["offer_after_urgent"]) in alice.view.text
    assert await stored(redis_client) == before
    await alice.command("reminders")  # what the user sees: no self-care reminder is active
    assert "Daily stretch: paused" in alice.view.text
    assert "Drink water: paused" in alice.view.text
    assert "Knee check-in: next on" in alice.view.text


def button_or_none(message: FakeMessage, start: str) -> str | None:
    return next((v for v in codec_values(message) if v.startswith(start)), None)
