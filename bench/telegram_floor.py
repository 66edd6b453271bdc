"""What PTB's request stack alone costs per turn, and what the mandated libraries weigh.

Issue 3 asks for under 205 µs of CPU and 50 MB of RSS per process. This prints the part of
both that no kneecheck code can remove:

- **transport CPU**: one whole conversation of ours is recorded at PTB's request seam (the
  update bodies in, every ``do_api_request`` call out, exactly as ``bench.telegram`` sends
  them), then replayed ``--rounds`` times by ``--in-flight`` concurrent users: ``json.loads``
  of each update and the same Bot API calls through the same ``ExtBot`` (AIORateLimiter on,
  ceiling lifted) to the same :class:`bench.telegram.StubRequest`. No engine, no Redis;
- **import RSS**: a fresh interpreter's VmRSS after importing python-telegram-bot's
  ``telegram.ext``, ``redis.asyncio`` and ``pydantic`` (then ``pydantic_settings``: the
  libraries the issues and the team's rules name), and after importing ours.

Reproduce with:  .venv/bin/python -m bench.telegram_floor
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from pydantic import SecretStr

from bench.telegram import SECRET, TOKEN, TURNS_PER_USER, Driver, Latencies, StubRequest

Call = tuple[str, dict[str, Any]]


async def record() -> tuple[list[tuple[bytes, list[Call]]], Any]:
    """One conversation through ours (embedded Redis): each update with the calls it made."""
    from bot.channels.telegram.runner import process_webhook, telegram_app
    from bot.settings import Settings
    from bot.wiring import build_app

    settings = Settings(
        redis_url=None,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_webhook_secret=SecretStr(SECRET),
        log_salt=SecretStr("bench"),
        telegram_max_rate=1e9,
    )
    app = build_app(settings)
    stub = StubRequest()
    stub.recorded = []
    application = telegram_app(app, polling=False, request=stub)
    turns: list[tuple[bytes, list[Call]]] = []

    async def handle(body: bytes) -> None:
        assert stub.recorded is not None
        before = len(stub.recorded)
        await process_webhook(application, body, SECRET, SECRET)
        turns.append((body, stub.recorded[before:]))

    await application.initialize()
    await Driver(handle, stub, app.catalog.content("en")).converse(1, Latencies(TURNS_PER_USER))
    return turns, application


async def replay(rounds: int, in_flight: int) -> dict[str, float]:
    turns, application = await record()
    bot = application.bot
    calls = sum(len(c) for _, c in turns)

    async def user() -> None:
        for body, made in turns:
            json.loads(body)
            for api, params in made:
                await bot.do_api_request(api, api_kwargs=params)

    async def one_round() -> None:
        await asyncio.gather(*(user() for _ in range(in_flight)))

    await one_round()  # warm-up
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        await one_round()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await application.shutdown()
    n = rounds * in_flight * len(turns)
    return {
        "turns": n,
        "bot_api_calls_per_turn": calls / len(turns),
        "transport_cpu_us_per_turn": cpu / n * 1e6,
        "transport_turns_per_second": n / wall,
    }


def import_rss_mb(statement: str) -> float:
    probe = (
        f"{statement}\nimport re\n"
        "print(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[-1]) / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=100)
    args = parser.parse_args(argv)
    figures: dict[str, float] = asyncio.run(replay(args.rounds, args.in_flight))
    figures["rss_mb_python_alone"] = import_rss_mb("pass")
    figures["rss_mb_telegram.ext+redis.asyncio+pydantic"] = import_rss_mb(
        "import telegram.ext, redis.asyncio, pydantic"
    )
    figures["rss_mb_the_above+pydantic_settings"] = import_rss_mb(
        "import telegram.ext, redis.asyncio, pydantic, pydantic_settings"
    )
    figures["rss_mb_after_importing_ours"] = import_rss_mb(
        "import bot.wiring, bot.channels.telegram.runner"
    )
    print(f"command: .venv/bin/python -m bench.telegram_floor {' '.join(sys.argv[1:])}".rstrip())
    for key, value in figures.items():
        print(f"{key:<44} {value:>12,.1f}")


if __name__ == "__main__":
    main()
