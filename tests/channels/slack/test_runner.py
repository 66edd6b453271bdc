"""Running Slack: HTTP mode until SIGTERM (finishing the turns in hand), Socket Mode wiring,
and the command line refusing to start without what each mode needs."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import yaml
from pydantic import SecretStr, ValidationError
from slack_sdk.socket_mode.aiohttp import SocketModeClient

from bot.channels.slack.app import COMMAND, build_slack_app
from bot.channels.slack.runner import PATH, run_http, socket_handler
from bot.cli import main
from bot.settings import Settings
from bot.wiring import build_app
from tests.channels.slack.driver import SECRET, settings_for
from tests.fakes.slack import DEFAULT_SCOPES, FakeSlack, SlackSigner, slash_command_body
from tests.redis_server import RedisServer

SLACK_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TELEGRAM_BOT_TOKEN")


async def test_http_mode_finishes_the_turn_in_hand_on_sigterm(
    fake: FakeSlack, redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    app = build_app(settings_for(fake, redis_server.url))
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(run_http(app, host="127.0.0.1", port=0, started=port.set_result))
    try:
        url = f"http://127.0.0.1:{await asyncio.wait_for(port, 10)}{PATH}"
        body = slash_command_body(
            user_id="U0KNEE", channel_id="DU0KNEE", response_url=fake.new_response_url()
        )
        status, _ = await SlackSigner(SECRET).send(url, body)
        assert status == 200
        os.kill(os.getpid(), signal.SIGTERM)  # while the turn may still be running
        await asyncio.wait_for(server, 10)
    finally:
        server.cancel()
        await app.store.close()
    assert len(fake.messages("DU0KNEE")) == 1  # the turn in hand was finished, then it stopped


async def test_socket_mode_uses_the_app_token_and_aiohttp(
    fake: FakeSlack, redis_server: RedisServer
) -> None:
    settings = Settings(
        redis_url=redis_server.url,
        slack_bot_token=SecretStr(fake.token),
        slack_app_token=SecretStr("xapp-test"),
        slack_api_url=fake.base_url,
    )
    app = build_app(settings)
    bolt, handler = socket_handler(app)
    try:
        assert isinstance(handler.client, SocketModeClient)
        assert handler.app_token == "xapp-test"
        assert bolt.client.base_url == fake.base_url
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await app.store.close()


async def test_http_mode_refuses_to_run_without_a_signing_secret(
    fake: FakeSlack, redis_server: RedisServer
) -> None:
    with pytest.raises(ValidationError, match="without SLACK_SIGNING_SECRET"):
        Settings(redis_url=redis_server.url, slack_bot_token=SecretStr(fake.token))
    # Defence in depth: even settings that skipped validation never serve unverified.
    settings = Settings(redis_url=redis_server.url).model_copy(
        update={"slack_bot_token": SecretStr(fake.token)}
    )
    app = build_app(settings)
    try:
        with pytest.raises(RuntimeError, match="SLACK_SIGNING_SECRET"):
            build_slack_app(app)
        with pytest.raises(RuntimeError, match="SLACK_APP_TOKEN"):
            socket_handler(app)
    finally:
        await app.store.close()


def test_the_manifest_matches_what_the_app_serves_and_calls() -> None:
    manifest = yaml.safe_load((Path(__file__).parents[3] / "slack" / "manifest.yaml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(DEFAULT_SCOPES.split(","))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    settings = manifest["settings"]
    urls = [command["url"], settings["interactivity"]["request_url"]]
    urls.append(settings["event_subscriptions"]["request_url"])
    assert all(url.endswith(PATH) for url in urls)
    assert settings["event_subscriptions"]["bot_events"] == ["message.im"]
    assert settings["socket_mode_enabled"] is False
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False


def test_the_api_url_always_ends_with_a_slash() -> None:
    assert Settings(slack_api_url="http://127.0.0.1:1/api").slack_api_url.endswith("/api/")


@pytest.mark.parametrize(
    ("argv", "env", "says"),
    [
        (["slack"], {}, "SLACK_BOT_TOKEN"),
        (["slack"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (["slack", "--socket"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        (["run"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "kneecheck: SLACK_BOT_TOKEN is set without"),
    ],
)
def test_the_command_line_says_what_slack_is_missing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    says: str,
) -> None:
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    assert says in capsys.readouterr().err
