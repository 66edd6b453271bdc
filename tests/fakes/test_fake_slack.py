"""Proves the fake Slack and the signer against the real slack_sdk client and slack-bolt app.

Why: tests of our Slack channel are only as good as the fake they run against. These tests pin
that the real ``AsyncWebClient`` talks to it unchanged, that its errors surface the way Slack's
do (``SlackApiError``, status 429, ``invalid_blocks``), and that a real ``AsyncApp`` served over
HTTP accepts what :class:`SlackSigner` signs and refuses forged or stale requests.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond, AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack import (
    FakeSlack,
    LocalServer,
    SlackSigner,
    block_actions_body,
    message_event_body,
    post,
    signature,
    slash_command_body,
    url_verification_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0KNEE"
DM = "DU0KNEE"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str = "next", value: str = "1") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Next"},
                "action_id": action_id,
                "value": value,
            }
        ],
    }


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.base_url)


# -- the Web API through the real client ---------------------------------------


async def test_auth_test_names_the_bot(slack: FakeSlack, client: AsyncWebClient) -> None:
    result = await client.auth_test()
    assert result["ok"] is True
    assert (result["team_id"], result["user_id"], result["bot_id"]) == ("T1", "UBOT", "BBOT")
    assert result["url"] == "https://kneecheck-test.slack.com/"
    assert "chat:write" in result.headers["x-oauth-scopes"]
    assert slack.calls == [("auth.test", {})]


async def test_wrong_token_is_invalid_auth(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-someone-else", base_url=slack.base_url)
    with pytest.raises(SlackApiError) as info:
        await client.auth_test()
    assert info.value.response["error"] == "invalid_auth"


async def test_post_message_with_blocks_then_update(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel=DM, text="Step 1", blocks=[section("*Step 1*"), button()]
    )
    assert posted["channel"] == DM
    assert posted["message"]["blocks"][0]["text"]["text"] == "*Step 1*"
    second = await client.chat_postMessage(channel=DM, text="again", thread_ts=posted["ts"])
    assert second["ts"] > posted["ts"]
    assert len(posted["ts"]) == len("1700000000.000100")

    updated = await client.chat_update(
        channel=DM, ts=posted["ts"], text="Step 2", blocks=[section("*Step 2*")]
    )
    assert updated["ts"] == posted["ts"]

    first, reply = slack.messages(DM)
    assert (first.text, first.updates) == ("Step 2", 1)
    assert first.blocks == [section("*Step 2*")]
    assert first.history == [("Step 1", [section("*Step 1*"), button()])]
    assert reply.thread_ts == posted["ts"]
    assert slack.calls_to("chat.update")[0]["ts"] == posted["ts"]


async def test_update_keeps_blocks_it_is_not_given(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=DM, text="a", blocks=[section("kept")])
    await client.chat_update(channel=DM, ts=posted["ts"], text="b")
    assert slack.message(DM, posted["ts"]).blocks == [section("kept")]
    with pytest.raises(SlackApiError) as info:
        await client.chat_update(channel=DM, ts="1.000000", text="b")
    assert info.value.response["error"] == "message_not_found"


async def test_blocks_as_a_json_string_and_to_a_user_id(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel=USER, text="hi", blocks=json.dumps([section("hi")])
    )
    assert posted["channel"] == DM
    assert slack.messages(DM)[0].blocks == [section("hi")]


async def test_post_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    result = await client.chat_postEphemeral(
        channel="C1", user=USER, text="only you", blocks=[section("only you")]
    )
    assert result["message_ts"]
    (msg,) = slack.ephemeral("C1", USER)
    assert (msg.text, msg.user, msg.ts) == ("only you", USER, result["message_ts"])
    assert slack.messages("C1") == []
    assert slack.ephemeral("C1", "U0OTHER") == []


async def test_conversations_open_and_users_info(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users=USER)
    assert opened["channel"]["id"] == "D" + USER

    default = await client.users_info(user=USER, include_locale=True)
    assert default["user"]["tz"] == "Europe/London"
    assert default["user"]["locale"] == "en-US"

    slack.set_user(USER, tz="Asia/Kolkata", locale="fr-FR")
    info = await client.users_info(user=USER, include_locale=True)
    assert (info["user"]["tz"], info["user"]["tz_offset"]) == ("Asia/Kolkata", 19800)
    assert info["user"]["locale"] == "fr-FR"
    without_locale = await client.users_info(user=USER)
    assert "locale" not in without_locale["user"]


async def test_rate_limit_surfaces_as_429(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=DM, text="hi")
    assert info.value.response.status_code == 429
    assert info.value.response["error"] == "ratelimited"
    assert info.value.response.headers["retry-after"] == "7"
    assert slack.messages(DM) == []
    await client.chat_postMessage(channel=DM, text="hi")  # only the next call failed
    assert len(slack.messages(DM)) == 1


async def test_rate_limit_is_retried_by_the_retry_handler(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail_next("chat.postMessage", retry_after=0)
    result = await client.chat_postMessage(channel=DM, text="hi")
    assert result["ok"] is True
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.messages(DM)) == 1


async def test_slack_style_error_injection(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found", status=200, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel=DM, text="hi")
        assert info.value.response.status_code == 200
        assert info.value.response["error"] == "channel_not_found"
    await client.chat_postMessage(channel=DM, text="hi")


@pytest.mark.parametrize(
    ("blocks", "text", "error"),
    [
        pytest.param([section("x")] * 51, "t", "invalid_blocks", id="51-blocks"),
        pytest.param([section("x" * 3001)], "t", "invalid_blocks", id="section-3001"),
        pytest.param([section("")], "t", "invalid_blocks", id="empty-section-text"),
        pytest.param([button(action_id="a" * 256)], "t", "invalid_blocks", id="action-id-256"),
        pytest.param([button(value="v" * 2001)], "t", "invalid_blocks", id="value-2001"),
        pytest.param(None, "x" * 40_001, "msg_too_long", id="text-40001"),
    ],
)
async def test_message_limits(
    slack: FakeSlack,
    client: AsyncWebClient,
    blocks: list[dict[str, Any]] | None,
    text: str,
    error: str,
) -> None:
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=DM, text=text, blocks=blocks)
    assert info.value.response["error"] == error
    assert slack.messages(DM) == []


async def test_message_without_text_or_blocks_is_no_text(client: AsyncWebClient) -> None:
    # slack_sdk itself warns before sending it; under filterwarnings=error that alone would fail
    with (
        pytest.warns(UserWarning, match="`text` argument is missing"),
        pytest.raises(SlackApiError, match="no_text"),
    ):
        await client.chat_postMessage(channel=DM, text="")


async def test_limits_at_the_edge_are_accepted(client: AsyncWebClient) -> None:
    blocks = [section("x" * 3000), button(action_id="a" * 255, value="v" * 2000)]
    blocks += [section("x")] * 48
    await client.chat_postMessage(channel=DM, text="x" * 40_000, blocks=blocks)


async def test_limits_apply_to_update_and_ephemeral(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=DM, text="a")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_update(channel=DM, ts=posted["ts"], text="a", blocks=[section("x")] * 51)
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_postEphemeral(channel=DM, user=USER, text="a", blocks=[section("")])
    assert slack.messages(DM)[0].updates == 0


async def test_files_upload_v2_calls_are_recorded(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.files_upload_v2(channel=DM, content="hello", filename="notes.txt")
    methods = [method for method, _ in slack.calls]
    assert methods[:3] == ["files.getUploadURLExternal", "<upload>", "files.completeUploadExternal"]


async def test_uploaded_bytes_are_shared_in_the_channel_as_sent(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    data = bytes(range(256)) * 4  # not text: kept byte for byte
    done = await client.files_upload_v2(
        channel=DM, file=data, filename="chart.png", title="Chart", initial_comment="here"
    )
    [shared] = slack.files(DM)
    assert (shared.filename, shared.title, shared.data) == ("chart.png", "Chart", data)
    assert done["file"]["id"] == shared.id
    [message] = slack.messages(DM)
    assert (message.text, message.files) == ("here", [shared])
    assert slack.files("C1") == []
    # Not shared anywhere without a channel; and nothing is shared from an unfinished upload.
    await client.files_upload_v2(file=b"x", filename="private.txt")
    assert len(slack.files(DM)) == 1
    issued = await client.files_getUploadURLExternal(filename="late.png", length=3)
    with pytest.raises(SlackApiError, match="file_not_found"):
        await client.files_completeUploadExternal(files=[{"id": issued["file_id"]}], channel_id=DM)
    status, _ = await post(f"{slack.url}/upload/F999", b"abc", {})
    assert status == 404


async def test_a_gone_user_cannot_be_reached(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.set_gone(USER, error="user_not_found", method="conversations.open")
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.conversations_open(users=USER)
    await client.chat_postMessage(channel=DM, text="still allowed")
    slack.set_gone(USER, error="account_inactive")
    with pytest.raises(SlackApiError, match="account_inactive"):
        await client.chat_postMessage(channel=DM, text="no longer")
    with pytest.raises(SlackApiError, match="account_inactive"):
        await client.chat_postMessage(channel=USER, text="nor by user id")
    assert [m.text for m in slack.messages(DM)] == ["still allowed"]
    other = await client.conversations_open(users="U0OTHER")
    assert other["channel"]["id"] == "DU0OTHER"


# -- waiting and response URLs -------------------------------------------------


async def test_wait_for_wakes_on_requests(slack: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await client.auth_test()
        await client.chat_postMessage(channel=DM, text="done")

    task = asyncio.create_task(later())
    await slack.wait_for(lambda: len(slack.messages(DM)) == 1, what="one message")
    await task
    assert slack.messages(DM)[0].text == "done"


async def test_wait_for_timeout_explains(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=DM, text="not it")
    with pytest.raises(AssertionError, match=r"(?s)a reply in C9.*chat\.postMessage"):
        await slack.wait_for(lambda: bool(slack.messages("C9")), 0.05, what="a reply in C9")


async def test_response_urls_record_and_act(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=DM, text="q1", blocks=[section("q1"), button()])
    url = slack.new_response_url(channel=DM, user=USER, message_ts=posted["ts"])
    webhook = AsyncWebhookClient(url)

    replaced = await webhook.send(text="q2", blocks=[section("q2")], replace_original=True)
    assert (replaced.status_code, json.loads(replaced.body)) == (200, {"ok": True})
    assert slack.message(DM, posted["ts"]).blocks == [section("q2")]

    await webhook.send(text="just you")
    assert [m.text for m in slack.ephemeral(DM, USER)] == ["just you"]
    await webhook.send(text="everyone", response_type="in_channel")
    assert [m.text for m in slack.messages(DM)] == ["q2", "everyone"]

    rejected = await webhook.send(text="x", blocks=[section("x")] * 51)
    assert rejected.status_code == 400
    assert json.loads(rejected.body)["error"] == "invalid_blocks"

    slack.fail_next("response_url", retry_after=3)
    limited = await webhook.send(text="x")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")

    await webhook.send(delete_original=True)
    assert [m.text for m in slack.messages(DM)] == ["everyone"]
    assert [r.error for r in slack.responses] == [
        None,
        None,
        None,
        "invalid_blocks",
        "ratelimited",
        None,
    ]
    assert slack.responses[0].replace_original is True
    assert slack.responses[1].response_type == "ephemeral"


# -- the signer against a real slack-bolt AsyncApp over HTTP -----------------------


def test_signature_matches_slacks_documented_example() -> None:
    """The worked example from Slack's "Verifying requests from Slack" page."""
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121"
        b".803a0bc887a14d10d2c447fce8b6703c"
    )
    assert signature(SECRET, 1531420618, body) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )
    headers = SlackSigner(SECRET).sign(body, 1531420618)
    assert headers["X-Slack-Request-Timestamp"] == "1531420618"


def make_app(slack: FakeSlack, seen: list[AsyncBoltRequest]) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=slack.token, base_url=slack.base_url),
    )

    @app.command("/kneecheck")
    async def kneecheck(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack(f"checking {command['text']}")
        await respond(text="step 1", blocks=[section("step 1"), button()])

    @app.action("next")
    async def next_step(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="step 2", blocks=[section("step 2")], replace_original=True)

    @app.message()
    async def message(request: AsyncBoltRequest, message: dict[str, Any], say: AsyncSay) -> None:
        seen.append(request)
        await say(f"you said {message['text']}")

    return app


@pytest.fixture
async def bolt(slack: FakeSlack) -> AsyncIterator[tuple[str, list[AsyncBoltRequest]]]:
    seen: list[AsyncBoltRequest] = []
    async with LocalServer(make_app(slack, seen).web_app(path="/slack/events")) as server:
        yield f"{server.url}/slack/events", seen


async def test_signed_command_is_accepted_and_answered(
    slack: FakeSlack, bolt: tuple[str, list[AsyncBoltRequest]]
) -> None:
    url, _ = bolt
    response_url = slack.new_response_url(channel=DM, user=USER)
    body = slash_command_body(text="pain", user_id=USER, channel_id=DM, response_url=response_url)
    status, text = await SlackSigner(SECRET).send(url, body)
    assert (status, text) == (200, "checking pain")
    await slack.wait_for(lambda: len(slack.responses) == 1, what="respond() from the command")
    assert slack.responses[0].text == "step 1"
    # bolt authorizes lazily, on the first request, with the request's team_id as a default param
    assert slack.calls_to("auth.test") == [{"team_id": "T1"}]


async def test_mis_signed_and_stale_commands_are_refused(
    slack: FakeSlack, bolt: tuple[str, list[AsyncBoltRequest]]
) -> None:
    url, _ = bolt
    body = slash_command_body(user_id=USER, channel_id=DM, response_url=slack.new_response_url())
    wrong = SlackSigner("not-the-secret").sign(body)
    assert (await post(url, body, wrong))[0] == 401
    stale = SlackSigner(SECRET).sign(body, int(time.time()) - 5 * 60 - 10)
    assert (await post(url, body, stale))[0] == 401
    tampered = SlackSigner(SECRET).sign(body)
    assert (await post(url, body + b"&text=x", tampered))[0] == 401
    assert (await post(url, body, {}))[0] == 401
    assert slack.responses == []
    assert slack.calls == []  # refused before authorization: no auth.test either


async def test_button_click_replaces_the_message(
    slack: FakeSlack, client: AsyncWebClient, bolt: tuple[str, list[AsyncBoltRequest]]
) -> None:
    url, _ = bolt
    posted = await client.chat_postMessage(channel=DM, text="step 1", blocks=[button()])
    body = block_actions_body(
        user_id=USER,
        channel_id=DM,
        team_id="T1",
        message_ts=posted["ts"],
        actions=[{"action_id": "next", "value": "1"}],
        response_url=slack.new_response_url(channel=DM, user=USER, message_ts=posted["ts"]),
        message_blocks=[button()],
    )
    assert (await SlackSigner(SECRET).send(url, body))[0] == 200
    await slack.wait_for(lambda: slack.message(DM, posted["ts"]).updates == 1)
    assert slack.message(DM, posted["ts"]).text == "step 2"


async def test_message_event_and_retry_headers_reach_the_listener(
    slack: FakeSlack, bolt: tuple[str, list[AsyncBoltRequest]]
) -> None:
    url, seen = bolt
    body = message_event_body(user_id=USER, channel_id=DM, text="ouch", event_id="Ev1")
    signer = SlackSigner(SECRET)
    assert (await signer.send(url, body))[0] == 200
    assert (await signer.send(url, body, retry_num=1, retry_reason="http_timeout"))[0] == 200
    await slack.wait_for(lambda: len(slack.messages(DM)) == 2, what="both deliveries answered")
    assert [m.text for m in slack.messages(DM)] == ["you said ouch"] * 2  # bolt does not dedupe
    assert "x-slack-retry-num" not in seen[0].headers
    assert seen[1].headers["x-slack-retry-num"] == ["1"]
    assert seen[1].headers["x-slack-retry-reason"] == ["http_timeout"]


async def test_own_messages_are_ignored(
    slack: FakeSlack, bolt: tuple[str, list[AsyncBoltRequest]]
) -> None:
    url, seen = bolt
    body = message_event_body(
        user_id="UBOT", channel_id=DM, text="you said ouch", event_id="Ev2", bot_id="BBOT"
    )
    assert (await SlackSigner(SECRET).send(url, body))[0] == 200
    await slack.wait_for(lambda: bool(slack.calls_to("auth.test")))
    assert seen == []


async def test_url_verification_echoes_the_challenge(
    bolt: tuple[str, list[AsyncBoltRequest]],
) -> None:
    url, _ = bolt
    status, text = await SlackSigner(SECRET).send(url, url_verification_body("c-123"))
    assert status == 200
    assert json.loads(text) == {"challenge": "c-123"}


async def test_bolt_drops_form_bodies_that_contain_the_word_payload(
    slack: FakeSlack, bolt: tuple[str, list[AsyncBoltRequest]]
) -> None:
    """A slack-bolt 1.30 quirk the app must work around, pinned so an upgrade that fixes it shows.

    ``slack_bolt.request.internals.parse_body`` treats any form body containing the substring
    "payload" as an interactivity payload; with no ``payload=`` field it parses to ``{}``, so a
    real ``/kneecheck my payload`` never reaches the command listener (404 "unhandled request").
    """
    url, _ = bolt
    body = slash_command_body(
        text="my payload hurts", user_id=USER, channel_id=DM, response_url=slack.new_response_url()
    )
    status, _ = await SlackSigner(SECRET).send(url, body)
    assert status == 404
