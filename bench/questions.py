"""How many questions each kind of person answers, before and after the triage questions.

Issue 12 asked for clot risks, pregnancy, medicines and circulation to be asked with "at most
2 more questions for a person with no risk factors". This walks the real flow for every
place the spasm can be, with no risk factor (and with one, for comparison), and prints the
count with and without the triage steps. ``tests/engine/test_question_count.py`` holds the
same walk to the limit.

    python -m bench.questions
"""

from __future__ import annotations

import sys

from bot.catalog.loader import load_catalog
from bot.engine.machine import DEFAULT_FLOW
from tests.engine.chat import EngineChat

TRIAGE_STEPS = ("risks", "one_leg", "walking")
"""The questions issue 12 added (the conditions step only grew options)."""
PEOPLE: dict[str, dict[str, object]] = {
    "above the knee, no risk": {"location": "above"},
    "around the knee, no risk": {"location": "around"},
    "twitching, no risk": {"location": "twitching"},
    "not sure where, no risk": {"location": "not_sure"},
    "behind: hamstring, no risk": {"location": "behind", "behind_muscle": "hamstring"},
    "behind: calf, no risk": {"location": "behind", "behind_muscle": "calf"},
    "behind: calf, long flight, both legs": {
        "location": "behind",
        "behind_muscle": "calf",
        "risks": ["journey"],
        "one_leg": "both",
    },
}


def asked(answers: dict[str, object]) -> list[str]:
    """The questions one person is asked through to the end of the check."""
    chat = EngineChat(load_catalog())
    chat.walk_with(answers)  # type: ignore[arg-type]
    return [q.step for q in chat.questions if q.step is not None]


def main() -> int:
    print(f"flow {DEFAULT_FLOW!r}: questions asked, and how many the triage steps added")
    print(f"{'person':40} {'asked':>5} {'before':>6} {'added':>5}")
    worst = 0
    for name, answers in PEOPLE.items():
        steps = asked(answers)
        added = sum(s in TRIAGE_STEPS for s in steps)
        if "no risk" in name:
            worst = max(worst, added)
        print(f"{name:40} {len(steps):5} {len(steps) - added:6} {added:5}")
    print(f"most added for a person with no risk factor: {worst} (aim: at most 2)")
    print("reproduce: python -m bench.questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
