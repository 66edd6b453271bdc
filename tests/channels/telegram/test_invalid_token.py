"""A token Telegram rejects is named in one line, never printed (PTB's own message quotes it)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[3]
WRONG = "987654:THIS-TOKEN-IS-SECRET-AND-WRONG"


async def test_a_rejected_token_is_not_printed() -> None:
    async with FakeTelegram() as telegram:  # it knows another token: ours gets 401
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_"))}
        env.pop("REDIS_URL", None)
        env.update(TELEGRAM_BOT_TOKEN=WRONG, TELEGRAM_API_BASE_URL=telegram.base_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "telegram",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    printed = (out + err).decode()
    assert process.returncode == 2
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in printed
    assert WRONG not in printed
    assert "THIS-TOKEN-IS-SECRET" not in printed
    assert "Traceback" not in printed
