"""Cross-checks of flows and content that the schemas alone cannot express.

The pydantic schemas validate one file at a time. What breaks a conversation in
production is between files and between parts of one file: a transition to a
step that was renamed, a question with no English text, a German file missing a
key, a path that loops forever, a button whose callback data Telegram refuses.
:func:`check_catalog` finds all of these up front, so ``kneecheck flows check``
fails in CI instead of a user hitting a ``KeyError`` mid-conversation.

Every :class:`Problem` names the file and a dotted path inside it, because the
reader is a flow or content author, not a programmer reading a traceback.
Flow paths address list items by id (``steps[location].next[0].to``); content
paths are dotted keys (``steps.location.options.above.label``), the same keys
the translation check compares.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalog.catalog import Catalog
from bot.catalog.conditions import Condition
from bot.catalog.content import TIER_ORDER, Content, Sourced
from bot.catalog.flow import Flow, Step
from bot.engine import assessment
from bot.engine.matching import words
from bot.engine.replies import Reply, Section

CALLBACK_LIMIT = 64
"""Telegram refuses inline buttons whose callback data exceeds 64 bytes."""
WIDEST_VERSION = 10**9
"""The widest question version a button may carry (ten digits); sessions restart before it."""
MESSAGE_LIMIT = 4096
"""Telegram's limit on one text message, in characters (counted as UTF-16 code units)."""
CALLBACK_ACTIONS = {"choose": "c", "toggle": "t", "submit": "s", "command": "m"}
"""One character per button action, to leave the 64 bytes to the ids."""

Answers = dict[str, str | tuple[str, ...]]
Add = Callable[[str, str], None]


@dataclass(frozen=True)
class Problem:
    """One thing to fix: which file, where in it, and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


def callback_data(action: str, step: str, option: str, version: int) -> str:
    """The callback data of one button, as the Telegram channel encodes it.

    Defined here so the checker and the channel agree on the format, and the
    check measures exactly what Telegram will receive.
    """
    return f"{action}|{step}|{option}|{version}"


def check_catalog(catalog: Catalog) -> list[Problem]:
    """Every problem in the loaded flows and content, in a stable order, without duplicates."""
    problems: list[Problem] = []

    def sink(kind: str, name: str) -> Add:
        file = catalog.sources.get(f"{kind}:{name}", f"<{kind} {name}>")
        return lambda path, message: problems.append(Problem(file, path, message))

    flows = list(catalog.flows.values())
    for flow in flows:
        add = sink("flow", flow.id)
        _check_graph(flow, add)
        _check_options(flow, add)
        _check_assessment_rules(flow, add)
        for condition_path, condition in _conditions(flow):
            _check_condition(flow, condition_path, condition, add)
    for locale, content in catalog.contents.items():
        add = sink("content", locale)
        for flow in flows:
            before = len(problems)
            _check_flow_texts(flow, content, add)
            if len(problems) == before:  # the assessment can only be built from complete texts
                _check_assessment_sections(flow, content, add)
        _check_dangling_content(flows, content, add)
        _check_duplicate_texts(content, add)
        _check_message_lengths(flows, content, add)
    reference = catalog.contents.get(catalog.default_locale)
    if reference is not None:
        _check_format_strings(reference, sink("content", reference.locale))
        for locale, content in catalog.contents.items():
            if locale != reference.locale:
                _check_translation(reference, content, sink("content", locale))
    return list(dict.fromkeys(problems))


# --- the transition graph -------------------------------------------------------------


def _check_graph(flow: Flow, add: Add) -> None:
    """Dangling targets, conditional dead ends, unreachable nodes, loops and traps."""
    outcomes = {o.id for o in flow.outcomes}
    for step in flow.steps:
        for i, transition in enumerate(step.next):
            if flow.step(transition.to) is None and transition.to not in outcomes:
                add(f"steps[{step.id}].next[{i}].to", f"{transition.to!r} names no step or outcome")
        last = len(step.next) - 1
        if step.next[last].when is not None:
            add(
                f"steps[{step.id}].next[{last}].when",
                f"the last transition of step {step.id!r} has a condition, so some answers lead "
                "nowhere and the conversation never ends: add a last transition without `when`",
            )
    start = flow.step(flow.start)
    if start is None:
        kind = "an outcome" if flow.start in outcomes else "no step"
        add("start", f"{flow.start!r} names {kind}: the flow must start at a step")
        return
    reached = _reachable(flow)
    for step in flow.steps:
        if step.id not in reached:
            add(
                f"steps[{step.id}]", f"step {step.id!r} cannot be reached from start {flow.start!r}"
            )
    for outcome in flow.outcomes:
        if outcome.id not in reached:
            add(
                f"outcomes[{outcome.id}]",
                f"outcome {outcome.id!r} cannot be reached from start {flow.start!r}",
            )
    _check_loops(flow, start, add)
    finishing = _can_finish(flow)
    for step in flow.steps:
        if step.id in reached and step.id not in finishing:
            add(
                f"steps[{step.id}]",
                f"no outcome can be reached from step {step.id!r}: "
                "every path from it goes round in a loop",
            )


def _reachable(flow: Flow) -> set[str]:
    """Steps and outcomes reachable from ``start``, following every transition."""
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        step = flow.step(todo.pop())
        for transition in step.next if step else ():
            if transition.to not in seen:
                seen.add(transition.to)
                todo.append(transition.to)
    return seen


def _can_finish(flow: Flow) -> set[str]:
    """Steps from which some path reaches an outcome.

    A dangling target counts as an end: it is reported once as dangling and not
    again as a trap.
    """
    done = {t.to for s in flow.steps for t in s.next if flow.step(t.to) is None}
    changed = True
    while changed:
        changed = False
        for step in flow.steps:
            if step.id not in done and any(t.to in done for t in step.next):
                done.add(step.id)
                changed = True
    return done


def _check_loops(flow: Flow, start: Step, add: Add) -> None:
    """Report every transition that goes back to a step already on the current path."""
    on_path: list[str] = []
    finished: set[str] = set()

    def visit(step: Step) -> None:
        on_path.append(step.id)
        for i, transition in enumerate(step.next):
            target = flow.step(transition.to)
            if target is None or target.id in finished:
                continue
            if target.id in on_path:
                loop = [*on_path[on_path.index(target.id) :], target.id]
                add(
                    f"steps[{step.id}].next[{i}].to",
                    f"goes back to {target.id!r}, a loop ({' -> '.join(loop)}): "
                    "the conversation could go round forever",
                )
            else:
                visit(target)
        on_path.pop()
        finished.add(step.id)

    visit(start)


# --- options, conditions and assessment rules ------------------------------------------


def _check_options(flow: Flow, add: Add) -> None:
    """Duplicate option ids, misplaced red flags, and callback data that Telegram refuses."""
    red_flag_step = flow.assessment.red_flag_step if flow.assessment else None
    for step in flow.steps:
        seen: set[str] = set()
        for i, option in enumerate(step.options):
            if option.id in seen:
                add(f"steps[{step.id}].options[{i}].id", f"option {option.id!r} appears twice")
            seen.add(option.id)
            if option.red_flag and step.id != red_flag_step:
                add(
                    f"steps[{step.id}].options[{option.id}].red_flag",
                    "has no effect: only options of the assessment's red_flag_step "
                    f"({red_flag_step or 'none'}) are red flags",
                )
        _check_callbacks(step, add)


def _check_callbacks(step: Step, add: Add) -> None:
    action = CALLBACK_ACTIONS["toggle" if step.kind == "multi" else "choose"]
    buttons = [(action, o.id, f"steps[{step.id}].options[{o.id}].id") for o in step.options]
    if step.kind == "multi":
        buttons.append((CALLBACK_ACTIONS["submit"], "done", f"steps[{step.id}]"))
    buttons.append((CALLBACK_ACTIONS["command"], "back", f"steps[{step.id}]"))
    for act, value, path in buttons:
        data = callback_data(act, step.id, value, WIDEST_VERSION)
        size = len(data.encode("utf-8"))
        if size > CALLBACK_LIMIT:
            add(
                path,
                f"button callback data {data!r} is {size} bytes, over Telegram's "
                f"{CALLBACK_LIMIT}-byte limit: shorten the step or option id",
            )


def _conditions(flow: Flow) -> Iterator[tuple[str, Condition]]:
    """Every condition in the flow, with its path."""
    for step in flow.steps:
        for i, transition in enumerate(step.next):
            if transition.when is not None:
                yield f"steps[{step.id}].next[{i}].when", transition.when
    rules = flow.assessment
    if rules is None:
        return
    for cause in rules.causes:
        for signal in cause.signals:
            yield f"assessment.causes[{cause.id}].signals[{signal.id}].when", signal.when
    for kind, picks in (("stretches", rules.stretches), ("tips", rules.tips)):
        for pick in picks:
            if pick.when is not None:
                yield f"assessment.{kind}[{pick.id}].when", pick.when
    for i, tier in enumerate(rules.tiers):
        yield f"assessment.tiers[{i}].when", tier.when


def _check_condition(flow: Flow, path: str, condition: Condition, add: Add) -> None:
    for step_id, option_id in condition.refs():
        step = flow.step(step_id)
        if step is None:
            add(path, f"refers to step {step_id!r}, which does not exist")
        elif option_id is not None and step.option(option_id) is None:
            known = ", ".join(o.id for o in step.options)
            add(
                path,
                f"refers to option {option_id!r} of step {step_id!r}, "
                f"which has no such option (it has: {known})",
            )


def _check_assessment_rules(flow: Flow, add: Add) -> None:
    """The red-flag step and the outcome that shows the assessment must fit together."""
    rules = flow.assessment
    has_outcome = any(o.kind == "assessment" for o in flow.outcomes)
    if rules is None:
        for outcome in flow.outcomes:
            if outcome.kind == "assessment":
                add(f"outcomes[{outcome.id}]", "kind assessment needs an `assessment:` section")
        return
    if not has_outcome:
        add("assessment", "no outcome has kind assessment, so red flags have nowhere to go")
    step = flow.step(rules.red_flag_step)
    if step is None:
        add("assessment.red_flag_step", f"{rules.red_flag_step!r} names no step")
    elif step.kind != "multi":
        add("assessment.red_flag_step", f"step {step.id!r} must be a multi-choice step")
    elif not any(o.red_flag for o in step.options):
        add("assessment.red_flag_step", f"step {step.id!r} has no option marked red_flag")


# --- flows against one locale's content --------------------------------------------------


def _check_flow_texts(flow: Flow, content: Content, add: Add) -> None:
    """Every text the flow will show must exist in this locale."""
    for step in flow.steps:
        text = content.steps.get(step.id)
        if text is None:
            add(f"steps.{step.id}", f"no text (question, options) for step {step.id!r}")
            continue
        for option in step.options:
            if option.id not in text.options:
                add(
                    f"steps.{step.id}.options.{option.id}",
                    f"no label for option {option.id!r} of step {step.id!r}",
                )
    for outcome in flow.outcomes:
        if outcome.kind == "end" and outcome.id not in content.outcomes:
            add(f"outcomes.{outcome.id}", f"no text for the end outcome {outcome.id!r}")
    rules = flow.assessment
    if rules is None:
        return
    wanted: list[tuple[str, Container[str], str, str]] = [
        ("causes", content.causes, c.id, "cause") for c in rules.causes
    ]
    wanted += [
        ("reasons", content.reasons, s.id, "signal") for c in rules.causes for s in c.signals
    ]
    wanted += [("stretches", content.stretches, p.id, "stretch") for p in rules.stretches]
    wanted += [("tips", content.tips, p.id, "tip") for p in rules.tips]
    wanted += [("tiers", content.tiers, t, "tier") for t in TIER_ORDER]
    for section, items, item_id, what in wanted:
        if item_id not in items:
            add(f"{section}.{item_id}", f"no text for the {what} {item_id!r} of flow {flow.id!r}")
    _check_red_flag_texts(flow, rules.red_flag_step, content, add)


def _check_red_flag_texts(flow: Flow, step_id: str, content: Content, add: Add) -> None:
    step = flow.step(step_id)
    flagged = {o.id for o in step.options if o.red_flag} if step else set()
    for option_id in sorted(flagged - content.red_flags.keys()):
        add(
            f"red_flags.{option_id}",
            f"option {option_id!r} of step {step_id!r} is a red flag but has no advice here",
        )
    for flag in content.red_flags:
        if flag not in flagged:
            add(
                f"red_flags.{flag}",
                f"no red-flag option {flag!r} in step {step_id!r} of flow {flow.id!r}: "
                "typing one of its phrases would not lead to urgent advice",
            )


def _check_dangling_content(flows: list[Flow], content: Content, add: Add) -> None:
    """Text that no flow shows is usually a typo or a renamed id."""
    options = {s.id: {o.id for o in s.options} for f in flows for s in f.steps}
    for step_id, text in content.steps.items():
        if step_id not in options:
            add(f"steps.{step_id}", f"text for step {step_id!r}, but no flow has that step")
            continue
        for option_id in text.options:
            if option_id not in options[step_id]:
                add(
                    f"steps.{step_id}.options.{option_id}",
                    f"text for option {option_id!r}, but step {step_id!r} has no such option",
                )
    ends = {o.id for f in flows for o in f.outcomes if o.kind == "end"}
    for outcome_id in content.outcomes:
        if outcome_id not in ends:
            add(f"outcomes.{outcome_id}", f"no flow has an end outcome {outcome_id!r}")
    rules = [f.assessment for f in flows if f.assessment is not None]
    if not rules:
        return
    used = {
        "reasons": {s.id for r in rules for c in r.causes for s in c.signals},
        "stretches": {p.id for r in rules for p in r.stretches},
        "tips": {p.id for r in rules for p in r.tips},
    }
    present: dict[str, Mapping[str, object]] = {
        "reasons": content.reasons,
        "stretches": content.stretches,
        "tips": content.tips,
    }
    for section, ids in used.items():
        for item_id in present[section]:
            if item_id not in ids:
                add(f"{section}.{item_id}", f"no flow's assessment uses {section} {item_id!r}")


def _check_duplicate_texts(content: Content, add: Add) -> None:
    """Two buttons with one label, or one typed phrase picking two options, confuse users."""
    for step_id, text in content.steps.items():
        labels: dict[str, str] = {}
        phrases: dict[str, tuple[str, bool]] = {}
        for option_id, option in text.options.items():
            path = f"steps.{step_id}.options.{option_id}"
            label = " ".join(option.label.casefold().split())
            if label in labels:
                add(f"{path}.label", f"same label as option {labels[label]!r} of the same step")
            labels.setdefault(label, option_id)
            typed = [(option.label, True), *((s, False) for s in option.synonyms)]
            for phrase, is_label in typed:
                key = " ".join(words(phrase))
                other, other_is_label = phrases.get(key, (option_id, False))
                if other != option_id and not (is_label and other_is_label):
                    add(
                        f"{path}.{'label' if is_label else 'synonyms'}",
                        f"{phrase!r} also picks option {other!r} of the same step, "
                        "so a typed answer would be ambiguous",
                    )
                if key:
                    phrases.setdefault(key, (option_id, is_label))


# --- translations ----------------------------------------------------------------------


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted key paths of nested mappings; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _keys(content: Content) -> dict[str, Any]:
    # Only what the file sets: an optional key (help, answer, synonyms) in the
    # reference is a key the translation must also have.
    return _flatten(content.model_dump(exclude_unset=True, exclude_none=True))


def _placeholders(text: str) -> set[str] | None:
    """Field names in a ``str.format`` template, or None when it is malformed."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def _check_format_strings(content: Content, add: Add) -> None:
    for key, text in content.ui.items():
        if _placeholders(text) is None:
            add(f"ui.{key}", "is not a valid template: write a literal brace as {{ or }}")


def _check_translation(reference: Content, content: Content, add: Add) -> None:
    """Same keys as the default locale, and the same ``{placeholders}`` in every ui string."""
    ref, own = _keys(reference), _keys(content)
    for key in ref:
        if key not in own:
            add(key, f"missing translation: the key is in {reference.locale!r} but not here")
    for key in own:
        if key not in ref:
            add(key, f"extra key: not in the reference locale {reference.locale!r}")
    _check_format_strings(content, add)
    for key, text in content.ui.items():
        mine, theirs = _placeholders(text), _placeholders(reference.ui.get(key, ""))
        if key in reference.ui and mine is not None and theirs is not None and mine != theirs:
            add(
                f"ui.{key}",
                f"placeholders {_fields(mine)} differ from {_fields(theirs)} "
                f"in {reference.locale!r}",
            )


def _fields(names: set[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names)) or "(none)"


# --- message sizes ---------------------------------------------------------------------


def _rendered(section: Section) -> str:
    return Reply(kind="info", sections=(section,)).text()


def _size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _too_long(path: str, what: str, text: str, add: Add) -> None:
    size = _size(text)
    if size > MESSAGE_LIMIT:
        add(path, f"{what} is {size} characters, over Telegram's {MESSAGE_LIMIT} per message")


def _sourced(item: Sourced) -> Section:
    return Section(title=item.title, paragraphs=(item.text,))


def _check_message_lengths(flows: list[Flow], content: Content, add: Add) -> None:
    """Each text a user receives as one message must fit in one Telegram message."""
    progress = content.ui.get("progress", "")
    # A broken template is reported by the translation and assessment checks.
    with contextlib.suppress(KeyError, IndexError, ValueError):
        progress = progress.format(n=99, total=99)
    for step in (s for f in flows for s in f.steps):
        text = content.steps.get(step.id)
        if text is None:
            continue
        paragraphs = [text.question, *([text.help] if text.help else [])]
        if step.kind == "multi":
            paragraphs.append(content.ui.get("multi_hint", ""))
        section = Section(title=progress, paragraphs=tuple(paragraphs))
        _too_long(f"steps.{step.id}.question", "the question message", _rendered(section), add)
    for key, ui_text in content.ui.items():
        _too_long(f"ui.{key}", "the message", ui_text, add)
    for flag, red_flag in content.red_flags.items():
        _too_long(f"red_flags.{flag}.advice", "the advice", red_flag.advice, add)
    sourced = {
        "outcomes": content.outcomes,
        "causes": content.causes,
        "relief": content.relief,
        "treatment": content.treatment,
        "tips": content.tips,
        "complications": content.complications,
        "seek_help": content.seek_help,
        "facts": content.facts,
    }
    for name, items in sourced.items():
        for key, item in items.items():
            _too_long(f"{name}.{key}", "the text", _rendered(_sourced(item)), add)
    _too_long("disclaimer", "the text", _rendered(_sourced(content.disclaimer)), add)
    for tier, tier_text in content.tiers.items():
        section = Section(title=tier_text.title, paragraphs=(tier_text.text,))
        _too_long(f"tiers.{tier}", "the text", _rendered(section), add)
    for key, stretch in content.stretches.items():
        section = Section(title=stretch.title, steps=stretch.steps)
        _too_long(f"stretches.{key}", "the stretch", _rendered(section), add)


def _answer_sets(flow: Flow) -> list[Answers]:
    """A few answer sets that between them produce the largest assessment sections.

    No answers lists every cause and every tip in one section; every red flag
    puts all urgent advice in one section; and for each option position, every
    single-choice step answered with that option and every multi-choice step
    with all of its ordinary options fires as many signals as can fire at once.
    """
    sets: list[Answers] = [{}]
    rules = flow.assessment
    if rules is not None:
        red = flow.step(rules.red_flag_step)
        if red is not None:
            sets.append({red.id: tuple(o.id for o in red.options if o.red_flag)})
    for position in range(max(len(s.options) for s in flow.steps)):
        answers: Answers = {}
        for step in flow.steps:
            if step.kind == "single":
                answers[step.id] = step.options[min(position, len(step.options) - 1)].id
            else:
                ordinary = tuple(o.id for o in step.options if not (o.exclusive or o.red_flag))
                if ordinary:
                    answers[step.id] = ordinary
        sets.append(answers)
    return sets


def _check_assessment_sections(flow: Flow, content: Content, add: Add) -> None:
    """Build the assessment for representative answers and measure each section.

    A renderer may split a reply between sections only, so each section must fit
    in one message. Building it also proves the engine finds every key it needs.
    """
    if flow.assessment is None:
        return
    for answers in _answer_sets(flow):
        try:
            reply = (
                assessment.urgent(flow, content, answers)
                if assessment.red_flags(flow, answers)
                else assessment.result(flow, content, answers)
            )
        except (KeyError, IndexError, ValueError) as exc:
            add(
                "(assessment)",
                f"cannot build the assessment of flow {flow.id!r}: missing {exc} "
                "(a content key, or a ui placeholder the bot does not fill)",
            )
            return
        for section in reply.sections:
            text = _rendered(section)
            name = section.title or text[:40]
            _too_long("(assessment)", f"the assessment section {name!r}", text, add)
