"""The retrain trigger (EventBridge Scheduler, 02:00 KST; `nabiyam jobs retrain-trigger --date D`).

Decides whether to start the training pipeline on the data window since the last trained
window, and explains why either way. It starts when there is new learning data in the lake
AND any of:

- the dislike ratio of the window's like/dislike feedback has a Wilson 95 % lower bound above
  ``DISLIKE_THRESHOLD`` (the seed's 0.3) with at least ``MIN_RATED`` rated answers — the lower
  bound, so a handful of early dislikes does not trigger a retrain;
- the daily metrics raised a degradation alert on a day of the window;
- at least ``MIN_NEW_INTERACTIONS`` new clicks/orders/favourites arrived.

It never starts twice for the same data window: the window is claimed with a conditional
write in the idempotency table before anything starts, so a retried or re-run schedule finds
the claim and reports ``already_started``. Every decision (started or not, with its numbers) is
logged and stored as JSON under ``retrain/decisions/`` in the artifacts bucket.

Where it starts the pipeline: an AWS Batch job (``Settings.retrain_job_queue`` /
``retrain_job_definition``, template.yaml ``RetrainJobDefinition``) when configured — the
deployed function; otherwise a local ``nabiyam train pipeline`` subprocess (dev), or nothing
with ``launch=none`` (tests inspect the decision).

Example::

    nabiyam jobs retrain-trigger --date 2026-03-30            # data up to 2026-03-29
    nabiyam jobs retrain-trigger --date 2026-03-30 --param launch=none
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from nabiyam.infra.scheduled import ScheduledRun
from nabiyam.metrics.model import GLOBAL_SCOPE, DailyMetrics, parse_scope
from nabiyam.metrics.stats import wilson
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings

logger = get_logger("retrain_trigger")

DISLIKE_THRESHOLD = 0.30
MIN_RATED = 30
MIN_NEW_INTERACTIONS = 200
MAX_WINDOW_DAYS = 28
MIN_WINDOW_DAYS = 7  # the pipeline holds out the end of the window; shorter windows are too thin
WILSON_Z = 1.96
DECISIONS_PREFIX = "retrain/decisions"
MODEL = "ranker"


def wilson_lower(successes: int, n: int, z: float = WILSON_Z) -> float:
    """Wilson score interval's lower bound of a proportion (0 when n = 0); the daily metrics'
    :func:`nabiyam.metrics.stats.wilson`, so the trigger and the job's stored
    ``retrain.dislike_wilson_lower`` are one formula.

    >>> round(wilson_lower(40, 100), 4)
    0.3094
    """
    return wilson(successes, n, z)[0] if n > 0 else 0.0


class Signals(BaseModel):
    conversation_days: int
    recommendation_turns: int
    rated: int
    dislikes: int
    dislike_ratio: float | None
    dislike_wilson_lower: float
    new_interactions: int
    alert_days: list[str] = Field(default_factory=list)
    alerts: list[str] = Field(default_factory=list, description="'<alert_id>: <message>' of the window's alerts")
    metrics_days: int = Field(0, description="days of the window whose rated/dislike counts came from the daily "
                              "metrics (the others were counted from the lake's feedback)")


class RetrainDecision(BaseModel):
    model_name: str = MODEL
    decided_at: str
    run_day: str
    window: str | None = Field(description="FROM..TO of the data the pipeline would train on")
    status: Literal["started", "skipped", "already_started"]
    triggers: list[str] = Field(default_factory=list, description="which conditions fired")
    explanation: str
    signals: Signals | None = None
    launch: dict[str, Any] = Field(default_factory=dict)


def _window(settings: Settings, last_day: date) -> tuple[date, date] | None:
    """From the day after production's data window (or MAX_WINDOW_DAYS back) to ``last_day``."""
    from nabiyam.registry import Registry

    start = last_day - timedelta(days=MAX_WINDOW_DAYS - 1)
    try:
        prod = Registry(settings).production(MODEL)
    except Exception as exc:  # noqa: BLE001 - no registry: train on the recent past
        logger.warning("registry unreadable; using the default window", extra={"error": str(exc)})
        prod = None
    if prod is not None and prod.data_window is not None:
        start = max(start, prod.data_window.end + timedelta(days=1))
    return (start, last_day) if start <= last_day else None


def _daily_globals(settings: Settings, start: date, end: date) -> dict[date, DailyMetrics]:
    """The daily-metrics job's global scope of each computed day of start..end, typed."""
    from nabiyam.storage.daily_metrics import DailyMetricsRepository

    out: dict[date, DailyMetrics] = {}
    try:
        items = DailyMetricsRepository(settings).series(start, end, GLOBAL_SCOPE)
    except Exception as exc:  # noqa: BLE001 - metrics missing is not a reason to fail the trigger
        logger.warning("daily metrics unreadable; counting from the lake", extra={"error": str(exc)})
        return out
    for item in items:
        value = parse_scope(GLOBAL_SCOPE, item.metrics)
        if isinstance(value, DailyMetrics):
            out[value.day] = value
    return out


def signals(settings: Settings, start: date, end: date, source: Any = None) -> Signals:
    """The window's numbers. Alerts and the dislike counts come from the daily-metrics job's stored
    global :class:`~nabiyam.metrics.model.DailyMetrics` (``alerts``, ``retrain``: the same
    counts its Wilson bound is computed from); a day the job has not computed is counted from the
    lake's feedback. New data and interactions come from the lake."""
    from nabiyam.evaluation.logged import FOOD_INTENTS
    from nabiyam.lake import partitions, read_range

    days = [d for d in partitions("conversations", settings, source=source) if start <= d <= end]
    conv = read_range("conversations", start, end, settings, source=source) if days else []
    fb = read_range("feedback", start, end, settings, source=source) if days else []
    daily = _daily_globals(settings, start, end)
    rated = dislikes = 0
    alert_days: list[str] = []
    alerts: list[str] = []
    for metric in daily.values():
        rated += metric.retrain.rated
        dislikes += metric.retrain.dislikes
        if metric.alerts:
            alert_days.append(metric.day.isoformat())
            alerts += [f"{a.alert_id}: {a.message}" for a in metric.alerts]
    for f in fb:  # days without daily metrics: count from the lake
        if date.fromisoformat(f.day) not in daily and f.feedback in ("like", "dislike"):
            rated += 1
            dislikes += f.feedback == "dislike"
    return Signals(conversation_days=len(days),
                   recommendation_turns=sum(1 for c in conv if c.intent in FOOD_INTENTS and c.shown),
                   rated=rated, dislikes=dislikes, dislike_ratio=round(dislikes / rated, 4) if rated else None,
                   dislike_wilson_lower=round(wilson_lower(dislikes, rated), 4),
                   new_interactions=sum(1 for f in fb if f.feedback_type in ("clicked", "ordered", "favorited")),
                   alert_days=sorted(alert_days), alerts=alerts, metrics_days=len(daily))


def decide(s: Signals, *, threshold: float = DISLIKE_THRESHOLD, min_rated: int = MIN_RATED,
           min_interactions: int = MIN_NEW_INTERACTIONS) -> tuple[list[str], str]:
    """Which triggers fire, and a plain explanation."""
    fired: list[str] = []
    parts = [f"{s.conversation_days} new day(s) of logs, {s.recommendation_turns} recommendation turns"]
    if s.rated >= min_rated and s.dislike_wilson_lower > threshold:
        fired.append("dislike_ratio")
    parts.append(f"dislike ratio {s.dislike_ratio if s.dislike_ratio is not None else '-'} over {s.rated} rated "
                 f"answers, Wilson lower bound {s.dislike_wilson_lower:.3f} "
                 f"({'>' if s.dislike_wilson_lower > threshold else '≤'} {threshold}; minimum {min_rated} rated)")
    if s.alert_days:
        fired.append("degradation_alert")
    parts.append(f"degradation alerts on {', '.join(s.alert_days) or 'no day'}"
                 + (f" ({'; '.join(s.alerts)})" if s.alerts else ""))
    if s.new_interactions >= min_interactions:
        fired.append("new_interactions")
    parts.append(f"{s.new_interactions} new interactions (threshold {min_interactions})")
    return fired, "; ".join(parts)


def _claim(settings: Settings, window: str) -> bool:
    """Claim the window once (conditional put); False when it was claimed before."""
    from botocore.exceptions import ClientError

    from nabiyam import aws

    try:
        aws.client("dynamodb", settings).put_item(
            TableName=settings.idempotency_table,
            Item={"id": {"S": f"retrain#{MODEL}#{window}"}, "claimed_at": {"S": datetime.now(UTC).isoformat()}},
            ConditionExpression="attribute_not_exists(id)")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def launch(settings: Settings, window: str, how: str, reason: str) -> dict[str, Any]:
    """Start the pipeline: an AWS Batch job, a local subprocess, or nothing."""
    command = ["train", "pipeline", "--window", window, "--reason", reason, "--actor", f"retrain-trigger:{window}"]
    if how == "none":
        return {"how": "none", "command": ["nabiyam", *command]}
    if how == "batch" or (how == "auto" and settings.retrain_job_queue and settings.retrain_job_definition):
        from nabiyam import aws

        job = aws.client("batch", settings).submit_job(
            jobName=f"nabiyam-retrain-{window.replace('..', '-to-')}", jobQueue=settings.retrain_job_queue,
            jobDefinition=settings.retrain_job_definition, parameters={"window": window},
            containerOverrides={"command": ["nabiyam", *command]})
        return {"how": "batch", "job_id": job.get("jobId"), "queue": settings.retrain_job_queue}
    log_dir = Path(settings.state_dir) / "retrain"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{window}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "nabiyam.cli.main", *command], stdout=log,  # noqa: S603
                                stderr=subprocess.STDOUT, start_new_session=True)
    return {"how": "local", "pid": proc.pid, "log": str(log_path), "command": ["nabiyam", *command]}


def run(run: ScheduledRun) -> dict[str, Any]:
    settings = get_settings()
    params = run.params or {}
    # a manual --date names the last day of data; a scheduled run at 02:00 covers up to yesterday
    last_day = run.day or (run.kst_date - timedelta(days=1))
    how = str(params.get("launch", "auto"))
    if how not in ("auto", "none", "local", "batch"):
        raise ValueError(f"launch must be auto, none, local or batch, got {how!r}")
    now = datetime.now(UTC).isoformat()
    bounds = _window(settings, last_day)
    if bounds is None:
        decision = RetrainDecision(decided_at=now, run_day=last_day.isoformat(), window=None, status="skipped",
                                   explanation=f"no data after production's window (up to {last_day})")
    else:
        start, end = bounds
        window = f"{start.isoformat()}..{end.isoformat()}"
        s = signals(settings, start, end, source=params.get("lake"))
        fired, why = decide(s, min_interactions=int(params.get("min_interactions", MIN_NEW_INTERACTIONS)))
        if s.conversation_days == 0:
            status, explanation = "skipped", f"no new learning data in {window}; {why}"
        elif (end - start).days + 1 < MIN_WINDOW_DAYS:
            status, explanation = "skipped", f"{window} is shorter than {MIN_WINDOW_DAYS} days; {why}"
            fired = []
        elif not fired:
            status, explanation = "skipped", f"no trigger fired: {why}"
        elif not _claim(settings, window):
            status, explanation = "already_started", f"the pipeline was already started for {window}; {why}"
        else:
            status, explanation = "started", f"triggered by {', '.join(fired)}: {why}"
        decision = RetrainDecision(decided_at=now, run_day=last_day.isoformat(), window=window, status=status,
                                   triggers=fired, explanation=explanation, signals=s)
        if status == "started":
            decision.launch = launch(settings, window, how, explanation)
    from nabiyam.storage.blobs import BlobStore

    key = f"{DECISIONS_PREFIX}/dt={last_day.isoformat()}/{datetime.now(UTC).strftime('%H%M%S%f')}.json"
    BlobStore(settings.artifacts_bucket, settings).put_json(key, decision.model_dump(mode="json"))
    logger.info("retrain decision", extra={"decision": decision.model_dump(mode="json"), "key": key})
    return {**decision.model_dump(mode="json"), "decision_key": key}
