"""Prometheus metrics: what operators need to see, and nothing about any user.

Labels are channel names, flow step ids, triage tiers and outcome ids: all
come from our code or flow data. No label ever holds a user id or an answer.
Step funnels (``kneecheck_steps_reached_total``) give drop-off by step.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.engine import Event, Start, Turn
from bot.engine.replies import Finished, Stopped

REGISTRY = CollectorRegistry(auto_describe=True)
"""Our own registry, so tests and several apps in one process never collide."""

TURNS = Counter("kneecheck_turns", "Conversation turns", ["channel", "step"], registry=REGISTRY)
STARTED = Counter("kneecheck_conversations_started", "Checks begun", ["channel"], registry=REGISTRY)
COMPLETED = Counter(
    "kneecheck_conversations_completed",
    "Checks that reached an outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)
STOPPED = Counter(
    "kneecheck_conversations_stopped", "Checks stopped by the user", ["channel"], registry=REGISTRY
)
STEPS = Counter(
    "kneecheck_steps_reached",
    "Questions entered, by step (the drop-off funnel)",
    ["step"],
    registry=REGISTRY,
)
TIERS = Counter("kneecheck_triage", "Assessments by triage tier", ["tier"], registry=REGISTRY)
ERRORS = Counter("kneecheck_errors", "Errors by place", ["where"], registry=REGISTRY)
REMINDERS_SCHEDULED = Counter(
    "kneecheck_reminders_scheduled", "Reminders set up by users", ["kind"], registry=REGISTRY
)
REMINDERS_SENT = Counter(
    "kneecheck_reminders_sent", "Reminder messages delivered", ["kind"], registry=REGISTRY
)
REMINDERS_FAILED = Counter(
    "kneecheck_reminders_failed",
    "Reminder deliveries that failed (retried by the queue) or were given up",
    ["reason"],
    registry=REGISTRY,
)
REMINDERS_DROPPED = Counter(
    "kneecheck_reminders_dropped",
    "Reminder jobs that found nothing to send (stopped, moved, too late, erased)",
    ["reason"],
    registry=REGISTRY,
)
WORKER_HEARTBEAT = Gauge(
    "kneecheck_worker_heartbeat_seconds",
    "Unix time of the worker's last heartbeat (alert when it stops moving)",
    registry=REGISTRY,
)
TURN_SECONDS = Histogram(
    "kneecheck_turn_seconds",
    "Time to handle one turn (load, engine, save)",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
SLACK_ACK_SECONDS = Histogram(
    "kneecheck_slack_ack_seconds",
    "Time from a Slack request to its acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3),
    registry=REGISTRY,
)


_turns: dict[tuple[str, str], Counter] = {}
_seconds: dict[str, Histogram] = {}
_steps: dict[str, Counter] = {}


def observe_turn(channel: str, event: Event, turn: Turn, seconds: float) -> None:
    """Count one handled turn (called by the shell after the save, on every turn: kept cheap)."""
    step = turn.session.step if turn.session is not None and turn.session.step else "-"
    counter = _turns.get((channel, step))
    if counter is None:
        counter = _turns[(channel, step)] = TURNS.labels(channel, step)
    counter.inc()
    histogram = _seconds.get(channel)
    if histogram is None:
        histogram = _seconds[channel] = TURN_SECONDS.labels(channel)
    histogram.observe(seconds)
    if not turn.changed:
        return
    if isinstance(event, Start) and any(r.kind == "question" for r in turn.replies):
        STARTED.labels(channel).inc()
    for reply in turn.replies:
        if (
            reply.kind == "question"
            and reply.step
            and turn.session
            and reply.version == turn.session.version
        ):
            shown = _steps.get(reply.step)
            if shown is None:
                shown = _steps[reply.step] = STEPS.labels(reply.step)
            shown.inc()
    for effect in turn.effects:
        if isinstance(effect, Finished):
            COMPLETED.labels(channel, effect.outcome).inc()
            if effect.tier:
                TIERS.labels(effect.tier).inc()
        elif isinstance(effect, Stopped):
            STOPPED.labels(channel).inc()
