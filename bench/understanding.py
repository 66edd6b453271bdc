"""What reading typed text costs: CPU per message over the corpus, the capped maximum, start-up.

Run: ``make bench-understanding`` (``.venv/bin/python -m bench.understanding``). Prints p50 and
p99 CPU per message over every corpus message, a message at the length cap, and the time and
memory it takes to load and compile the lexicon. Aims (issue 11): p99 <= 1 ms, capped <= 5 ms.
"""

from __future__ import annotations

import resource
import sys
import time

from bot.catalog.evaluation import load_corpus
from bot.understanding import MAX_CHARS, read

REPEATS = 20


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    before = _rss_mb()
    started = time.perf_counter()
    from bot.catalog.loader import load_catalog

    catalog = load_catalog()
    loaded = time.perf_counter() - started
    lex = catalog.lexicon("en")
    texts = [item.text for item in load_corpus()]
    costs: list[float] = []
    for text in texts:
        t0 = time.process_time_ns()
        for _ in range(REPEATS):
            read(text, lex)
        costs.append((time.process_time_ns() - t0) / REPEATS / 1000)
    costs.sort()
    capped = ("my calf is sore and a bit puffy after a long run, " * 40)[:MAX_CHARS]
    t0 = time.process_time_ns()
    for _ in range(REPEATS):
        read(capped, lex)
    capped_us = (time.process_time_ns() - t0) / REPEATS / 1000
    print(f"command: {' '.join([sys.executable, '-m', 'bench.understanding'])}")
    print(f"messages: {len(texts)} from the corpus, each read {REPEATS} times")
    print(
        f"CPU per message: p50 {costs[len(costs) // 2]:.0f} µs, p99 "
        f"{costs[int(len(costs) * 0.99)]:.0f} µs, max {costs[-1]:.0f} µs"
    )
    print(f"a message at the cap ({MAX_CHARS} characters): {capped_us:.0f} µs")
    print(
        f"catalog load with lexicon compile: {loaded * 1000:.0f} ms, "
        f"peak RSS {before:.1f} -> {_rss_mb():.1f} MB"
    )


if __name__ == "__main__":
    main()
