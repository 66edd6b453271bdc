"""Configuration problems are said one per line, and secrets are never printed."""

from __future__ import annotations

import pytest

from bot.cli import main

SECRET = "xoxb-very-secret-token-value"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "REDIS_URL",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_WEBHOOK_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def test_each_problem_gets_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", "http://not-redis")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "http://insecure.example/hook")
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    assert main(["config"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert any("REDIS_URL must start with redis://" in line for line in lines)
    assert any("TELEGRAM_WEBHOOK_URL must be an https:// URL" in line for line in lines)
    assert SECRET not in "\n".join(lines)


def test_inconsistent_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://example.org/telegram/webhook")
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is set without SLACK_SIGNING_SECRET" in err
    assert "TELEGRAM_WEBHOOK_URL is set without TELEGRAM_WEBHOOK_SECRET" in err
    assert SECRET not in err


def test_config_prints_the_effective_configuration_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@redis.example:6379/0")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "SLACK_BOT_TOKEN=**** (set)" in out
    assert "REDIS_URL=redis://:****@redis.example:6379/0" in out
    assert "TELEGRAM_BOT_TOKEN=(unset)" in out
    assert SECRET not in out
    assert "hunter2" not in out
    assert "signing-secret-value" not in out


def test_serve_refuses_the_embedded_store_and_no_channel_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several web processes cannot share an in-process Redis; and with no token there is
    nobody to serve. Both refuse at once, in one line, and name no secret."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("kneecheck serve: set REDIS_URL")
    assert SECRET not in err[0]

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "kneecheck serve: set TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN or WEB_CHAT_SECRET: with no "
        "channel it serves nobody"
    ]


def test_log_level_in_any_case_and_a_wrong_one_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert main(["config"]) == 0
    assert "LOG_LEVEL=DEBUG" in capsys.readouterr().out
    monkeypatch.setenv("LOG_LEVEL", "loud")
    assert main(["config"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "LOG_LEVEL" in err[0]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("kneecheck ")
