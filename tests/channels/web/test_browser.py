"""The web chat in a real browser: Debian's Chromium driven by Playwright, the real page on
the real server with a real Redis. Whole conversations as a person has them (buttons, the
keyboard, typing, a warning sign, /back, the follow-up offer, /forget, a reload, two tabs,
two browsers), with no console error, axe-core's accessibility check and screenshots of the
assessment on a phone and a desktop (kept in ``tests/artefacts/web/``).

Without Chromium these tests are skipped, saying why, unless ``KNEECHECK_REQUIRE_BROWSER=1``
(CI sets it: there they must run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.channels.web.identity import COOKIE, verify
from tests.channels.web.driver import SECRET, ChatServer

ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts" / "web"
WAIT_MS = 10_000


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    why = None
    if found is None:
        why = "Chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.async_api  # noqa: F401  # only to know it is there
        except ImportError:
            why = "Playwright is not installed (pip install -e '.[dev]')"
    if why is not None:
        if os.environ.get("KNEECHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required, but {why}")
        pytest.skip(why)
    assert found is not None
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    path = _chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=path,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        await launched.close()


class Page:
    """One tab, as a person uses it; collects what the console says went wrong."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.set_default_timeout(WAIT_MS)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    @classmethod
    async def open(cls, context: Any, url: str) -> Page:
        opened = cls(await context.new_page(), url)
        await opened.page.goto(f"{url}/chat")
        return opened

    async def asked(self, step: str) -> None:
        """Wait until the question ``step`` is on the page, its buttons live."""
        selector = f'article.question[data-q^="{step}@"] button:not([disabled])'
        await self.page.locator(selector).first.wait_for()

    async def press(self, step: str, value: str) -> None:
        button = self.page.locator(f'button[data-press*="|{step}|{value}|"]:not([disabled])')
        await button.last.click()

    async def say(self, text: str) -> None:
        await self.page.get_by_label("Your answer or message").fill(text)
        await self.page.keyboard.press("Enter")

    async def command(self, name: str) -> None:
        commands = self.page.locator("details.commands")
        if not await commands.evaluate("details => details.open"):
            await commands.locator("summary").click()
        await self.page.locator(f'button[data-command="{name}"]').click()

    async def messages(self) -> list[str]:
        ids: list[str] = await self.page.eval_on_selector_all(
            "#log article[data-id]", "nodes => nodes.map(n => n.dataset.id)"
        )
        return ids

    async def accessibility_problems(self) -> list[str]:
        from axe_playwright_python.async_playwright import Axe

        results = await Axe().run(self.page)
        return [
            f"{v['id']}: {v['help']}"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]


async def test_a_whole_check_on_the_page(
    browser: Any, server: ChatServer, redis_client: aioredis.Redis
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    tab = await Page.open(context, server.url)
    page = tab.page
    await tab.asked("consent")
    assert response_headers_ok(await page.request.get(f"{server.url}/chat"))
    # By keyboard: Enter on the answer, and focus moves to the next question's first answer.
    await page.get_by_role("button", name="Yes, I am 18+ and understand").focus()
    await page.keyboard.press("Enter")
    await tab.asked("red_flags")
    focused = await page.evaluate(
        "document.activeElement.closest('article')?.dataset.q ?? document.activeElement.id"
    )
    assert focused.startswith("red_flags@")
    await tab.say("no chest pain, none of these")  # typed, as anyone may
    await tab.asked("location")
    await tab.say("front of my thigh")
    await tab.asked("triggers")
    await tab.say("after running")
    await tab.asked("frequency")
    await tab.press("frequency", "rarely")
    await tab.asked("water")
    await tab.command("back")  # /back asks the frequency again
    await tab.asked("frequency")
    await tab.press("frequency", "rarely")
    for step, value in (
        ("water", "ok"),
        ("diet", "balanced"),
        ("activity", "heavy"),
        ("sitting", "under_4h"),
        ("age", "a18_39"),
    ):
        await tab.asked(step)
        await tab.press(step, value)
    await tab.asked("conditions")
    await tab.press("conditions", "none")
    ticked = page.locator('article.question[data-q^="conditions@"] button[aria-pressed="true"]')
    await ticked.wait_for()
    await tab.press("conditions", "done")
    await tab.asked("risks")
    await tab.say("none of those")
    result = page.locator("article.result").last
    await result.wait_for()
    assert "Self-care is a reasonable start" in await result.inner_text()

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=ARTEFACTS / "assessment-1280x800.png", full_page=False)
    assert await tab.accessibility_problems() == []
    await page.set_viewport_size({"width": 360, "height": 740})
    await result.scroll_into_view_if_needed()
    await page.screenshot(path=ARTEFACTS / "assessment-360x740.png", full_page=False)
    scrolls = await page.evaluate("document.documentElement.scrollWidth > innerWidth")
    assert not scrolls  # nothing wider than a phone
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=ARTEFACTS / "assessment-360x740-dark.png", full_page=False)
    assert await tab.accessibility_problems() == []
    print(f"\nscreenshots of the assessment: {ARTEFACTS}")

    # The follow-up offer: the last button under the assessment starts it.
    questions = await page.locator("article.question").count()
    await result.locator("button[data-press^='f|']").click()
    await page.locator("article.question").nth(questions).wait_for()

    # /forget asks first; yes erases everything and the page starts clean.
    user_id = verify(SECRET.encode(), await cookie(context))
    assert user_id is not None
    assert await redis_client.keys(f"*{user_id}*")
    await tab.command("forget")
    await page.locator("button[data-press='x|forget|yes|0']").click()
    await page.get_by_text("I have erased everything I stored about you").wait_for()
    assert await page.locator("#log article.question").count() == 0
    assert await redis_client.keys(f"*{user_id}*") == []
    assert tab.errors == []
    await context.close()


async def test_a_warning_sign_typed_on_the_page_gets_urgent_advice(
    browser: Any, server: ChatServer
) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740})
    tab = await Page.open(context, server.url)
    await tab.asked("consent")
    await tab.press("consent", "agree")
    await tab.asked("red_flags")
    await tab.say("my calf is suddenly swollen, red and hot")
    urgent = tab.page.locator("article.urgent").first
    await urgent.wait_for()
    assert "No self-care tips" in await urgent.inner_text()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await urgent.scroll_into_view_if_needed()
    await tab.page.screenshot(path=ARTEFACTS / "urgent-360x740.png")
    assert await tab.page.locator("article.result").count() == 0
    assert await tab.accessibility_problems() == []
    assert tab.errors == []
    await context.close()


async def test_tabs_share_a_conversation_a_reload_resumes_it_browsers_do_not(
    browser: Any, server: ChatServer
) -> None:
    context = await browser.new_context()
    first = await Page.open(context, server.url)
    await first.asked("consent")
    await first.press("consent", "agree")
    await first.asked("red_flags")
    second = await Page.open(context, server.url)  # another tab of the same browser
    await second.asked("red_flags")
    await second.say("no chest pain, none of these")
    await first.asked("location")  # answered in the other tab, shown in this one
    shown = await first.messages()
    await first.page.reload()
    await first.asked("location")
    assert await first.messages() == shown

    other = await browser.new_context()  # another browser: its own, new conversation
    stranger = await Page.open(other, server.url)
    await stranger.asked("consent")
    assert await stranger.page.locator("article.question").count() == 1
    assert not set(await stranger.messages()) & set(shown)
    assert await cookie(other) != await cookie(context)
    assert first.errors == second.errors == stranger.errors == []
    await other.close()
    await context.close()


async def test_without_event_source_the_page_works_from_its_posts(
    browser: Any, server: ChatServer
) -> None:
    """The fallback: a browser without ``EventSource`` loads the history, then shows what
    each post answers."""
    context = await browser.new_context()
    await context.add_init_script("delete window.EventSource;")
    tab = await Page.open(context, server.url)
    assert await tab.page.evaluate("typeof EventSource") == "undefined"
    await tab.asked("consent")
    await tab.press("consent", "agree")
    await tab.asked("red_flags")
    await tab.page.reload()
    await tab.asked("red_flags")  # the history brought it back
    assert tab.errors == []
    await context.close()


async def cookie(context: Any) -> str:
    for found in await context.cookies():
        if found["name"] == COOKIE:
            assert found["httpOnly"] is True
            assert found["sameSite"] == "Strict"
            return str(found["value"])
    raise AssertionError("no chat cookie in the browser")


def response_headers_ok(response: Any) -> bool:
    headers = response.headers
    return bool(
        "default-src 'none'" in headers["content-security-policy"]
        and headers["x-content-type-options"] == "nosniff"
    )
