"""A REDIS_URL nothing answers is a setting mistake: one line, exit 2, no secret shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", ["chat", "worker"])
def test_an_unreachable_redis_is_one_line_and_exit_2(command: str) -> None:
    url = f"redis://:s3cret-pw@127.0.0.1:{free_port()}/0"
    env = {**os.environ, "REDIS_URL": url}
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "LOG_LEVEL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", command],
        input="1\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    said = (done.stdout + done.stderr).strip().splitlines()
    assert said == [
        f"kneecheck: cannot reach Redis at {url.replace('s3cret-pw', '****')}: "
        "check REDIS_URL and that Redis is running"
    ]
    assert "s3cret-pw" not in done.stdout + done.stderr
