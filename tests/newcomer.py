"""`kneecheck` as a process, the way a newcomer starts it: no Redis, no chat token, no log
level, no terminal size in the environment. Shared by the tests that run the real command."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNSET = (
    "REDIS_URL",
    "TELEGRAM_BOT_TOKEN",
    "SLACK_BOT_TOKEN",
    "WEB_CHAT_SECRET",
    "LOG_LEVEL",
    "COLUMNS",
    "LINES",
)


def environment(**values: str) -> dict[str, str]:
    """This process's environment without anything a newcomer would not have set."""
    return {k: v for k, v in os.environ.items() if k not in UNSET} | values


async def start(command: str, **values: str) -> asyncio.subprocess.Process:
    """`python -m bot.cli <command>` from the checkout, its three streams piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        command,
        cwd=ROOT,
        env=environment(**values),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


class Screen:
    """What a piped process printed so far, read on until a marker shows."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        self.stdout = process.stdout
        self.seen = b""

    async def until(self, marker: bytes, *, after: int = 0, within: float = 30) -> bytes:
        """Read on until ``marker`` shows (past the first ``after`` bytes)."""
        async with asyncio.timeout(within):
            while marker not in self.seen[after:]:
                chunk = await self.stdout.read(65536)
                assert chunk, f"the process ended before printing {marker!r}"
                self.seen += chunk
        return self.seen
