"""The web chat over real HTTP on 127.0.0.1, with a real Redis: what a page would see."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import redis.asyncio as aioredis

from bot.channels.web.entry import ENTRY, PREFIX
from bot.channels.web.identity import COOKIE, sign, verify
from bot.engine.replies import Reply, Section
from bot.store.keys import UserRef
from tests.channels.web.driver import SECRET, ChatServer, Tab
from tests.redis_server import RedisServer, free_port

SELF_CARE_CHECK: list[tuple[str, str]] = [
    ("press", "agree"),
    ("say", "no chest pain, none of these"),
    ("say", "front of my thigh"),
    ("say", "after running"),
    ("press", "rarely"),
    ("press", "ok"),
    ("press", "balanced"),
    ("say", "very active, I play football"),
    ("press", "under_4h"),
    ("press", "a18_39"),
    ("press", "none"),
    ("press", "done"),
    ("say", "none of those"),
]
"""tests/golden/self_care_above_knee_after_exercise.yaml, as the page would play it."""


def cookie_id(browser: aiohttp.ClientSession) -> str:
    for cookie in browser.cookie_jar:
        if cookie.key == COOKIE:
            user_id = verify(SECRET.encode(), cookie.value)
            assert user_id is not None
            return user_id
    raise AssertionError("no chat cookie")


async def play(tab: Tab, steps: list[tuple[str, str]]) -> None:
    for kind, value in steps:
        await (tab.press(value) if kind == "press" else tab.say(value))


async def test_a_whole_check_through_posts_and_the_event_stream(tab: Tab) -> None:
    answer = await tab.command("start")
    assert answer["messages"][0]["step"] == "consent"
    assert "not a substitute" in tab.text(tab.last())
    await play(tab, SELF_CARE_CHECK)
    result = tab.last()
    assert result["kind"] == "result"
    assert result["tier"] == "self_care"
    assert "Self-care is a reasonable start" in tab.text(result)
    assert "Because you said it started after you did hard exercise" in tab.text(result)
    # Every answer shows as a transcript line, and the topics are buttons.
    assert sum(m["kind"] == "answered" for m in tab.messages) >= 10
    await tab.press("relief")
    assert "Put an ice pack on the area" in tab.text(tab.last())


async def test_ticking_boxes_redraws_the_question_in_place(tab: Tab) -> None:
    await tab.command("start")
    await play(tab, SELF_CARE_CHECK[:10])
    answer = await tab.press("none")  # a box at the conditions question
    (redrawn,) = answer["messages"]
    assert redrawn["edit"] is True
    assert redrawn["step"] == "conditions"
    ticked = [c for c in redrawn["choices"] if c.get("selected")]
    assert [c["data"].split("|")[2] for c in ticked] == ["none"]


async def test_two_tabs_share_one_conversation_and_a_reload_replays_it(
    server: ChatServer, browser: aiohttp.ClientSession, tab: Tab
) -> None:
    other = Tab(server, browser)  # the same browser: the same cookie
    await other.open()
    await other.listen()
    await tab.command("start")
    await tab.press("agree")
    await other.wait_for(lambda: any(m.get("step") == "red_flags" for m in other.messages))
    await other.say("no chest pain, none of these")  # answered in the other tab
    await tab.wait_for(lambda: tab.last().get("step") == "location")
    await other.close()
    reloaded = Tab(server, browser)
    await reloaded.listen()
    assert [m["id"] for m in reloaded.messages] == [m["id"] for m in tab.messages]


async def test_another_browser_does_not_share_it(server: ChatServer, tab: Tab) -> None:
    await tab.command("start")
    await tab.press("agree")
    async with Tab.browser() as elsewhere:
        stranger = Tab(server, elsewhere)
        await stranger.open()
        await stranger.listen()
        assert stranger.messages == []
        assert cookie_id(elsewhere) != cookie_id(tab.session)
        await stranger.close()


async def test_a_reader_that_was_away_resumes_after_the_last_id_it_saw(
    server: ChatServer, browser: aiohttp.ClientSession, tab: Tab
) -> None:
    await tab.command("start")
    seen = tab.messages[-1]["id"]
    await tab.press("agree")
    back = Tab(server, browser)
    await back.listen(last_id=seen)
    assert [m["id"] for m in back.messages] == [m["id"] for m in tab.messages[1:]]
    await back.close()


async def test_the_cookie_is_signed_httponly_and_strict(server: ChatServer) -> None:
    async with Tab.browser() as browser:
        response = await Tab(server, browser).open()
        header = response.headers["Set-Cookie"]
        assert header.startswith(f"{COOKIE}=")
        assert "HttpOnly" in header
        assert "SameSite=Strict" in header
        assert "Path=/chat" in header
        assert "Secure" not in header  # plain http here; https requests get Secure
        user_id = cookie_id(browser)
        assert len(user_id) >= 22
        again = await Tab(server, browser).open()
        assert f"Max-Age={90 * 86_400}" in again.headers["Set-Cookie"]  # renewed on a visit
        assert cookie_id(browser) == user_id  # a valid cookie keeps its conversation


async def test_a_forged_cookie_gets_a_new_id_and_sees_nothing(server: ChatServer, tab: Tab) -> None:
    await tab.command("start")
    victim = cookie_id(tab.session)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as bare:
        for forged in (f"{victim}.not-the-signature", sign(b"another secret", victim), victim):
            sent = {"Cookie": f"{COOKIE}={forged}"}
            async with bare.get(f"{server.url}/chat", headers=sent) as page:
                fresh = verify(SECRET.encode(), page.cookies[COOKIE].value)
            assert fresh is not None
            assert fresh != victim
            async with bare.get(f"{server.url}/chat/events", headers=sent) as events:
                assert events.status == 401
            async with bare.get(f"{server.url}/chat/history", headers=sent) as history:
                assert (await history.json())["messages"] == []


async def test_the_page_allows_nothing_from_elsewhere(server: ChatServer) -> None:
    async with Tab.browser() as browser:
        response = await Tab(server, browser).open()
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        async with browser.get(f"{server.url}/chat") as page:
            html = await page.text()
        assert "<script>" not in html  # no inline script,
        assert "style=" not in html  # no inline style,
        assert "on" + "click" not in html  # no inline handler
        assert '<script src="/chat/static/chat.js" defer></script>' in html
        for name, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
            async with browser.get(f"{server.url}/chat/static/{name}") as asset:
                assert asset.status == 200
                assert asset.content_type == kind
        async with browser.get(f"{server.url}/chat/static/..%2Fentry.py") as missing:
            assert missing.status == 404


async def test_a_forged_or_stale_press_is_answered_with_a_notice(tab: Tab) -> None:
    await tab.command("start")
    before = len(tab.messages)
    for forged in ("c|consent|i_am_a_doctor|1", "x|forget|yes|9", "zzz", "r|nope|done|1"):
        status, answer = await tab.post({"press": forged})
        assert status == 200
        assert answer["messages"] == []
        (notice,) = answer["notices"]
        assert "did not change anything" in tab.text(notice)
    status, stale = await tab.post({"press": "c|consent|agree|0"})
    assert status == 200
    assert stale["messages"] == []
    assert stale["notices"]
    assert len(tab.messages) == before  # nothing reached the conversation
    await tab.press("agree")  # the real button still works
    assert tab.last()["step"] == "red_flags"


async def test_hostile_posts_get_a_4xx_never_a_5xx(tab: Tab) -> None:
    url = f"{tab.server.url}/chat/send"
    big = io.BytesIO(b'{"text": "' + b"a" * (1024 * 1024) + b'"}')
    async with tab.session.post(
        url, data=big, headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 413

    async def chunks() -> AsyncIterator[bytes]:  # no length said: found while reading
        for _ in range(40):
            yield b" " * 1024

    async with tab.session.post(
        url, data=chunks(), headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 413
    for body, kind, status in (
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"text": 5}', "application/json", 400),
        (b'{"command": "rm -rf"}', "application/json", 400),
        (b'{"press": "' + b"x" * 300 + b'"}', "application/json", 400),
        (b"text=hello", "application/x-www-form-urlencoded", 415),
    ):
        async with tab.session.post(url, data=body, headers={"Content-Type": kind}) as response:
            assert response.status == status, body
    async with tab.session.post(
        url, json={"text": "hi"}, headers={"Origin": "https://evil.example"}
    ) as response:
        assert response.status == 403


async def test_a_long_text_is_cut_and_the_reply_says_so(tab: Tab) -> None:
    await tab.command("start")
    answer = await tab.say("my knee " * 2_000)
    said = " ".join(tab.text(m) for m in answer["messages"])
    assert "I read only the start of it" in said


async def test_too_many_posts_get_a_friendly_429(redis_server: RedisServer) -> None:
    async with (
        ChatServer.running(redis_server.url, web_chat_rate_per_minute=3) as server,
        Tab.browser() as browser,
    ):
        tab = Tab(server, browser)
        await tab.open()
        statuses = [(await tab.post({"command": "help"}))[0] for _ in range(3)]
        assert statuses == [200, 200, 200]
        status, answer = await tab.post({"command": "help"})
        assert status == 429
        assert "wait a minute" in answer["message"]
        async with browser.get(f"{server.url}/chat/events") as events:
            assert events.status == 429  # opening event streams counts too


async def test_forget_asks_first_then_leaves_no_key_of_the_user(
    server: ChatServer, tab: Tab, redis_client: aioredis.Redis
) -> None:
    await tab.command("start")
    await play(tab, SELF_CARE_CHECK[:3])
    user_id = cookie_id(tab.session)
    assert await redis_client.keys(f"*{user_id}*")
    await tab.command("forget")
    question = tab.last()
    assert {c["data"] for c in question["choices"]} == {"x|forget|yes|0", "x|forget|no|0"}
    kept = await tab.press("no")
    assert kept["messages"][0]["replaces"] == question["id"]
    assert "Nothing was erased" in tab.text(kept["messages"][0])
    await tab.command("forget")
    status, erased = await tab.post({"press": "x|forget|yes|0", "message": tab.last()["id"]})
    assert status == 200
    assert erased["cleared"] is True
    assert "erased everything" in tab.text(erased["messages"][0])
    assert await redis_client.keys(f"*{user_id}*") == []
    assert await server.app.store.keys_of(UserRef(PREFIX, user_id)) == []


async def test_a_reminder_from_the_courier_shows_on_the_open_page(
    server: ChatServer, tab: Tab
) -> None:
    await tab.command("start")
    assert ENTRY.courier is not None
    courier = ENTRY.courier(server.app)  # what `kneecheck worker` builds
    reminder = Reply("prompt", (Section(title="Time to stretch", paragraphs=("Calf stretch",)),))
    user = UserRef(PREFIX, cookie_id(tab.session))
    assert await courier.send(user, reminder) == "sent"
    await tab.wait_for(lambda: tab.text(tab.last()).startswith("Time to stretch"))


async def test_a_warning_sign_typed_gets_urgent_advice_first(tab: Tab) -> None:
    await tab.command("start")
    await tab.press("agree")
    answer = await tab.say("my calf is suddenly swollen, red and hot")
    first = next(m for m in answer["messages"] if m["kind"] != "answered")
    assert first["kind"] == "urgent"
    assert first["tier"] in ("urgent", "emergency")
    assert "No self-care tips" in tab.text(first)  # the advice, and nothing to try at home
    assert not any(m["kind"] == "result" for m in answer["messages"])


async def test_redis_away_is_a_friendly_503(browser: aiohttp.ClientSession) -> None:
    async with ChatServer.running(f"redis://127.0.0.1:{free_port()}/0") as server:
        tab = Tab(server, browser)
        await tab.open()
        status, answer = await tab.post({"command": "start"})
        assert status == 503
        assert "not working right now" in answer["message"]


async def test_any_accept_language_is_served(tab: Tab) -> None:
    for header in ("en-GB,en;q=0.8", "*", "", "x" * 50, "en_GB<script>"):
        status, answer = await tab.post({"command": "help"}, headers={"Accept-Language": header})
        assert status == 200
        assert "I ask a few short questions" in tab.text(answer["messages"][0])


async def test_a_check_in_then_the_diary_chart_as_an_image_and_the_other_views(tab: Tab) -> None:
    await tab.command("checkin")
    assert tab.last()["step"] == "ck_flags"
    await tab.press("none")
    await tab.press("done")
    await tab.press("worse")
    await tab.press("some")
    await tab.press("s6")
    answer = await tab.command("diary")
    (chart,) = answer["messages"]
    assert chart["kind"] == "picture"
    assert chart["title"] == "Your knee spasm diary"
    assert chart["src"].startswith("data:image/png;base64,iVBORw0KGgo")  # a PNG
    assert tab.text(chart["fallback"])  # the chart in words, for screen readers
    await tab.wait_for(lambda: tab.messages[-1].get("kind") == "picture")
    summary = await tab.command("summary")
    assert summary["messages"]
    mydata = await tab.command("mydata")
    assert "diary" in tab.text(mydata["messages"][-1]).lower()
    reminders = await tab.command("reminders")
    assert reminders["messages"]


async def test_the_history_is_the_whole_conversation(redis_server: RedisServer) -> None:
    async with (
        ChatServer.running(redis_server.url, web_chat_rate_per_minute=0) as server,
        Tab.browser() as browser,
    ):
        tab = Tab(server, browser)
        await tab.open()
        await tab.listen()
        await tab.command("start")
        for _ in range(110):  # more messages than one read returns
            await tab.command("help")
        async with browser.get(f"{server.url}/chat/history") as response:
            history = (await response.json())["messages"]
        assert [m["id"] for m in history] == [m["id"] for m in tab.messages]
        assert len(history) > 100
        await tab.close()
