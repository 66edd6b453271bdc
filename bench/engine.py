"""Benchmark: the pure engine alone, a whole check at a time (no I/O, no channel).

One user's 20 turns (start, consent, ... conditions, risks, walking) through ``advance`` on
the real catalog, ``--checks`` times; prints CPU per turn. The engine is the part of a turn that
every channel shares, and the only part with no library under it.

Reproduce with:  .venv/bin/python -m bench.engine --checks 2000
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.telegram import DONE, PRESSES
from bot.catalog.catalog import Catalog
from bot.catalog.loader import load_catalog
from bot.engine import Choose, Event, Session, Start, Submit, Toggle, Turn, advance

NOW = 1_767_225_600


def one_check(catalog: Catalog) -> Turn:
    turn = advance(catalog, None, Start("en"), now=NOW)
    session: Session | None = turn.session
    flow = catalog.flow("kneecheck")
    for step, option in PRESSES:
        assert session is not None
        event: Event
        if option == DONE:
            event = Submit(step, session.shown)
        elif (found := flow.step(step)) is not None and found.kind == "multi":
            event = Toggle(step, option, session.shown)
        else:
            event = Choose(step, option, session.shown)
        turn = advance(catalog, session, event, now=NOW)
        session = turn.session
    return turn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args(argv)
    catalog = load_catalog()
    last = one_check(catalog)  # warm-up, and proof that the presses reach the assessment
    if not any(r.kind == "result" for r in last.replies):
        raise SystemExit("the presses did not reach the assessment")
    turns = args.checks * (1 + len(PRESSES))
    started = time.process_time()
    for _ in range(args.checks):
        one_check(catalog)
    cpu = time.process_time() - started
    print(f"command: .venv/bin/python -m bench.engine {' '.join(sys.argv[1:])}".rstrip())
    print(f"turns                {turns:>10,}")
    print(f"cpu_us_per_turn      {cpu / turns * 1e6:>10.1f}")
    print(f"turns_per_second     {turns / cpu:>10,.0f}")


if __name__ == "__main__":
    main()
