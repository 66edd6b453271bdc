"""``kneecheck flows eval``: how well typed text is understood, measured on a labelled corpus.

Safety is measured, not hoped for. Every message of ``tests/understanding/corpus/`` is read
by the lexicon and sent through the real engine at the question it was typed at, and the
evaluation prints recall per warning sign, false escalations, answers per question, a
confusion table and every miss. ``make test`` fails below :data:`THRESHOLDS`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.catalog.catalog import Catalog
from bot.catalog.yamlio import load_yaml
from bot.engine import Session, Text, advance
from bot.engine.machine import CONFIRM
from bot.understanding import read

CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "understanding" / "corpus"
EMERGENCY = ("clot_breathless", "cold_pale_leg", "cauda_equina", "compartment")
THRESHOLDS = {"recall": 0.99, "emergency_recall": 1.0, "false_escalation": 0.01, "answers": 0.95}
DEFAULT_STEP = "location"
"""Where a message with no step label is typed: the first question in people's own words."""
NOW = 1_780_000_000
ADULT = 18


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    signs: tuple[str, ...]
    suspect: bool = False
    step: str | None = None
    answers: dict[str, str | tuple[str, ...]] = Field(default_factory=dict)
    age: int | None = None
    file: str = ""


def load_corpus(folder: Path = CORPUS_DIR) -> list[Item]:
    items: list[Item] = []
    for path in sorted(folder.glob("*.yaml")):
        for raw in load_yaml(path) or []:
            items.append(Item.model_validate({**raw, "file": path.name}))
    return items


class Report:
    """Counts kept while evaluating, and the lines printed from them."""

    def __init__(self) -> None:
        self.labelled: Counter[str] = Counter()
        self.caught: Counter[str] = Counter()
        self.asked: Counter[str] = Counter()
        self.confusion: Counter[tuple[str, str]] = Counter()
        self.misses: list[str] = []
        self.ordinary = 0
        self.escalated: list[str] = []
        self.needless_asks: list[str] = []
        self.recorded_despite_sign: list[str] = []
        self.answers_total: Counter[str] = Counter()
        self.answers_right: Counter[str] = Counter()
        self.answer_misses: list[str] = []

    def recall(self, signs: Iterable[str] | None = None) -> float:
        chosen = list(signs) if signs is not None else list(self.labelled)
        total = sum(self.labelled[s] for s in chosen)
        return sum(self.caught[s] for s in chosen) / total if total else 1.0

    def false_escalation(self) -> float:
        return len(self.escalated) / self.ordinary if self.ordinary else 0.0

    def answer_accuracy(self) -> float:
        total = sum(self.answers_total.values())
        return sum(self.answers_right.values()) / total if total else 1.0

    def failures(self) -> list[str]:
        out = []
        if self.recall() < THRESHOLDS["recall"]:
            out.append(f"warning-sign recall {self.recall():.1%} < {THRESHOLDS['recall']:.0%}")
        if self.recall(EMERGENCY) < THRESHOLDS["emergency_recall"]:
            out.append(f"emergency recall {self.recall(EMERGENCY):.1%} < 100%")
        if self.false_escalation() > THRESHOLDS["false_escalation"]:
            out.append(f"false escalation {self.false_escalation():.1%} > 1%")
        if self.recorded_despite_sign:
            out.append(f"{len(self.recorded_despite_sign)} warning signs recorded as answers")
        if self.answer_accuracy() < THRESHOLDS["answers"]:
            out.append(f"answers {self.answer_accuracy():.1%} < {THRESHOLDS['answers']:.0%}")
        return out


def evaluate(catalog: Catalog, items: list[Item]) -> Report:
    report = Report()
    lexicon = catalog.lexicon(None)
    steps = {s.id: f.id for f in catalog.flows.values() for s in f.steps}
    for item in items:
        reading = read(item.text, lexicon)
        got = set(reading.signs)
        hinted = set(reading.hints)
        for sign in item.signs:
            report.labelled[sign] += 1
            if sign in got or sign in hinted:
                report.caught[sign] += 1
                report.asked[sign] += sign not in got
            else:
                report.misses.append(f"{sign}: {item.text!r} (read: {sorted(got | hinted)})")
            for other in got or {"-"}:
                report.confusion[(sign, other)] += 1
        if not item.signs:
            report.ordinary += 1
            if got:
                report.escalated.append(f"{item.text!r} -> {sorted(got)}")
            elif hinted:
                report.needless_asks.append(f"{item.text!r} -> {sorted(hinted)}")
        step = item.step or next((s for s in steps if s in item.answers), DEFAULT_STEP)
        turn = advance(
            catalog,
            Session(flow=steps[step], step=step, shown=1, version=1),
            Text(item.text),
            now=NOW,
        )
        heard = any(r.kind == "urgent" or r.step == CONFIRM for r in turn.replies)
        if item.signs and not heard:  # the sign went unheard: an answer or "did not catch"
            report.recorded_despite_sign.append(f"{item.text!r} at {step}")
        if item.signs:
            continue
        _score_answers(report, item, turn.session)
    return report


def _score_answers(report: Report, item: Item, session: Session | None) -> None:
    if item.age is not None and item.age < ADULT:
        # Whatever else an under-18 says, the right answer is the kind end for young people.
        right = session is not None and session.outcome == "minor"
        report.answers_total["under_18"] += 1
        report.answers_right["under_18"] += right
        if not right:
            report.answer_misses.append(f"under_18: {item.text!r} did not end the check")
        return
    recorded = session.answers if session is not None else {}
    for step, wanted in item.answers.items():
        right = _same(recorded.get(step), wanted)
        report.answers_total[step] += 1
        report.answers_right[step] += right
        if not right:
            report.answer_misses.append(
                f"{step}: {item.text!r} wanted {wanted}, got {recorded.get(step)}"
            )


def _same(got: str | tuple[str, ...] | None, wanted: str | tuple[str, ...]) -> bool:
    if isinstance(wanted, str) or got is None or isinstance(got, str):
        return got == wanted
    return set(got) == set(wanted)


def print_report(report: Report, verbose: bool = True) -> None:
    print("warning signs (recall counts a yes/no question as caught; asked = how many)")
    print(f"  {'sign':20} {'n':>4} {'caught':>7} {'asked':>6} {'recall':>7}")
    for sign in sorted(report.labelled):
        n, caught = report.labelled[sign], report.caught[sign]
        print(f"  {sign:20} {n:4} {caught:7} {report.asked[sign]:6} {caught / n:7.1%}")
    print(f"  overall recall {report.recall():.2%}, emergency {report.recall(EMERGENCY):.2%}")
    print(
        f"ordinary or negated messages: {report.ordinary}, escalated {len(report.escalated)} "
        f"({report.false_escalation():.2%}), asked yes/no {len(report.needless_asks)}"
    )
    print(
        "warning signs the engine answered with neither advice nor a yes/no question: "
        f"{len(report.recorded_despite_sign)}"
    )
    print("answers per question")
    for step in sorted(report.answers_total):
        total, right = report.answers_total[step], report.answers_right[step]
        print(f"  {step:14} {right:4}/{total:<4} {right / total:7.1%}")
    print(f"  overall {report.answer_accuracy():.2%}")
    print("confusion (labelled -> read as stated signs; '-' is none)")
    for (label, read_as), n in sorted(report.confusion.items()):
        if label != read_as:
            print(f"  {label:20} -> {read_as:20} {n}")
    if verbose:
        for title, lines in (
            ("missed warning signs", report.misses),
            ("false escalations", report.escalated),
            ("needless yes/no questions", report.needless_asks),
            ("recorded despite a warning sign", report.recorded_despite_sign),
            ("answers wrong", report.answer_misses),
        ):
            print(f"{title}: {len(lines)}")
            for line in lines:
                print(f"  {line}")


def run_eval(catalog: Catalog, folder: Path | None = None, verbose: bool = True) -> int:
    items = load_corpus(folder or CORPUS_DIR)
    report = evaluate(catalog, items)
    print(f"corpus: {len(items)} messages from {folder or CORPUS_DIR}")
    print_report(report, verbose)
    failures = report.failures()
    for failure in failures:
        print(f"flows eval: FAIL {failure}")
    if not failures:
        print("flows eval: OK")
    return 1 if failures else 0
