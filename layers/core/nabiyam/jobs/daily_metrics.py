"""Daily quality metrics (EventBridge 00:30 KST): one Korean day from the learning-data lake.

``run(run)`` covers ``run.day`` (``nabiyam jobs daily-metrics --date 2026-11-02``) or, on the
schedule, the day before the run's KST date (the export job wrote it at 00:10). Steps:

1. stream the day's ``conversations`` partition into :class:`~nabiyam.metrics.daily.TurnFacts`
   (each shown shop re-checked against every hard filter from the catalogue when one is
   available — :mod:`nabiyam.safety.hard_filters` — else against the flags the turn logged);
2. read the ``feedback`` partitions of the day and of the next day (when exported), keeping the
   events of the day's turns (engagement belongs to the turn's day);
3. sentiment of each distinct user message (the registry's ``sentiment`` model, onnxruntime) and
   Korean nouns (kiwipiepy);
4. :func:`~nabiyam.metrics.daily.aggregate` for the whole day, per experiment variant and per
   model version; the week over week (:mod:`nabiyam.metrics.trends`) from the stored global rows
   of the 13 days before plus today, alerts after the cool-down, and the experiment analysis;
5. store: the DailyMetrics items of the day are replaced (:func:`replace_day`) and the same
   content is written to ``metrics/dt=<day>/daily_metrics.jsonl`` in the learning-data bucket.

Event parameters (``--param KEY=VALUE``): ``lake`` (a local lake directory instead of the
bucket), ``catalogue`` (a world directory or snapshot), ``treatment_share`` (the configured
split, default ``Settings.treatment_share``), ``sentiment_dir`` (a model directory).

Example::

    nabiyam jobs daily-metrics --date 2026-11-02
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from nabiyam.infra.scheduled import ScheduledRun
from nabiyam.metrics import daily
from nabiyam.metrics.daily import Extras, FeedbackIndex, TurnFacts, aggregate, turn_facts
from nabiyam.metrics.experiment import analyse_window, configured_shares
from nabiyam.metrics.model import (
    EXPERIMENT_SCOPE,
    GLOBAL_SCOPE,
    WOW_SCOPE,
    Alert,
    DailyMetrics,
    ExperimentAnalysis,
    model_scope,
    variant_scope,
)
from nabiyam.metrics.trends import COOLDOWN_DAYS, new_alerts, week_over_week
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.daily_metrics import DailyMetric, DailyMetricsRepository, replace_day

logger = get_logger("jobs.daily_metrics")

METRICS_PREFIX = "metrics"
METRICS_OBJECT = "daily_metrics"


def day_to_compute(run: ScheduledRun) -> date:
    """``run.day`` when given, else the KST day before the scheduled slot."""
    return run.day or run.kst_date - timedelta(days=1)


def _sentiment(settings: Settings, model_dir: str | None, messages: list[str]) -> tuple[dict[str, str] | None, str | None]:
    from nabiyam.sentiment.model import SentimentModelError, load_sentiment

    try:
        model = load_sentiment(settings, Path(model_dir) if model_dir else None)
    except SentimentModelError as exc:
        logger.warning("no sentiment model; the sentiment ratio is not computed", extra={"error": str(exc)})
        return None, None
    unique = sorted(set(messages))
    return {m: s.label for m, s in zip(unique, model.predict(unique), strict=True)}, model.version


@lru_cache(maxsize=1)
def _kiwi() -> Any:
    """One analyser per process (its model takes seconds to load; a warm Lambda reuses it)."""
    from nabiyam.metrics.topics import KiwiNouns

    return KiwiNouns()


def _nouns(messages: list[str]) -> tuple[dict[str, list[str]] | None, str]:
    try:
        from nabiyam.metrics.topics import nouns_by_message

        return nouns_by_message(messages, _kiwi())
    except ImportError as exc:  # kiwipiepy lives in the reporting layer; say so instead of inventing nouns
        logger.warning("kiwipiepy unavailable; no noun topics", extra={"error": str(exc)})
        return None, "none (kiwipiepy not installed)"


def _checker(settings: Settings, catalogue: str | None) -> tuple[daily.HardFilterCheck, int | None, str]:
    from nabiyam.runtime import load_runtime

    rt = load_runtime(settings, catalogue=Path(catalogue) if catalogue else None, nlu_dir=None, ranker_dir=None)
    if rt.catalogue is None:
        return daily.logged_flags_check, None, "logged flags (no catalogue: " + rt.reason("catalogue") + ")"
    return daily.catalogue_check(rt.catalogue), len(rt.catalogue.shops), "catalogue"


def compute_day(day: date, settings: Settings, params: dict[str, Any]) -> tuple[list[DailyMetrics], list[TurnFacts],
                                                                               FeedbackIndex, dict[str, Any]]:
    """The day's metrics for every scope, plus the facts and feedback they came from."""
    from nabiyam.lake import iter_day

    source = params.get("lake")
    check, catalogue_size, check_kind = _checker(settings, params.get("catalogue"))
    facts = [turn_facts(row, check) for row in iter_day("conversations", day, settings, source=source)]
    ids = {f.conversation_id for f in facts}
    events = [e for d in (day, day + timedelta(days=1))
              for e in iter_day("feedback", d, settings, source=source) if e.conversation_id in ids]
    fb = FeedbackIndex.build(events)
    messages = [f.message for f in facts]
    sentiment, version = _sentiment(settings, params.get("sentiment_dir"), messages) if facts else (None, None)
    nouns, tokenizer = _nouns(messages) if facts else ({}, "none (no messages)")
    extras = Extras(sentiment=sentiment, sentiment_version=version, nouns=nouns, tokenizer=tokenizer,
                    catalogue_size=catalogue_size)
    out = [aggregate(day, GLOBAL_SCOPE, facts, fb, extras)]
    for variant in sorted({f.variant for f in facts}):
        out.append(aggregate(day, variant_scope(variant), [f for f in facts if f.variant == variant], fb, extras))
    for name, version_ in sorted({m for f in facts for m in f.models}):
        out.append(aggregate(day, model_scope(name, version_), [f for f in facts if (name, version_) in f.models],
                             fb, extras))
    info = {"hard_filter_check": check_kind, "feedback_events": len(fb.event_ids), "sentiment_model": version,
            "tokenizer": tokenizer}
    return out, facts, fb, info


def _stored_globals(repo: DailyMetricsRepository, start: date, end: date) -> dict[date, DailyMetrics]:
    out = {}
    for item in repo.series(start, end, GLOBAL_SCOPE):
        m = DailyMetrics.model_validate(item.metrics)
        out[m.day] = m
    return out


def run(run: ScheduledRun) -> dict[str, Any]:
    settings = get_settings()
    return run_day(day_to_compute(run), settings, run.params)


def run_day(day: date, settings: Settings, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compute, compare and store one day (idempotent: a re-run replaces the day's items)."""
    params = params or {}
    started = time.perf_counter()
    repo = DailyMetricsRepository(settings)
    history = _stored_globals(repo, day - timedelta(days=13), day - timedelta(days=1))
    items, summary = build_items(day, settings, params, history)
    stored = replace_day(repo, day, items)
    key = _write_lake(settings, day, items, params.get("lake"))
    return {**summary, "stored": stored, "lake_key": key, "seconds": round(time.perf_counter() - started, 2)}


def build_items(day: date, settings: Settings, params: dict[str, Any], history: dict[date, DailyMetrics]
                ) -> tuple[list[DailyMetric], dict[str, Any]]:
    """Every item of the day: the metric scopes, the week over week (``history``: the stored global
    metrics of the 13 days before), today's alerts after the cool-down, the experiment analysis."""
    scopes, facts, fb, info = compute_day(day, settings, params)
    series = dict(history)
    today = scopes[0]
    if today.conversations:
        series[day] = today
    wow = week_over_week(day, series)
    recent: list[Alert] = [a for d, m in series.items() if d < day and (day - d).days < COOLDOWN_DAYS for a in m.alerts]
    alerts = new_alerts(wow, recent)
    scopes[0] = today.model_copy(update={"alerts": alerts})
    shares = configured_shares(float(params.get("treatment_share", settings.treatment_share)))
    experiment = ExperimentAnalysis(day=day, control="control", experiment=settings.experiment_name,
                                    today=analyse_window(day, day, facts, fb, shares))
    items = [DailyMetric(day=day.isoformat(), scope=m.scope, metrics=m.model_dump(mode="json")) for m in scopes]
    items.append(DailyMetric(day=day.isoformat(), scope=WOW_SCOPE, metrics=wow.model_dump(mode="json")))
    items.append(DailyMetric(day=day.isoformat(), scope=EXPERIMENT_SCOPE, metrics=experiment.model_dump(mode="json")))
    summary = {"day": day.isoformat(), "conversations": today.conversations, "scopes": [i.scope for i in items],
               "alerts": [a.alert_id for a in alerts],
               "hard_filter_violations": today.recommendations.hard_filter_violations, **info}
    return items, summary


def _write_lake(settings: Settings, day: date, items: list[DailyMetric], source: str | None) -> str:
    """The same rows as JSON Lines in ``metrics/dt=<day>/daily_metrics.jsonl`` (one fixed name: a re-run replaces it)."""
    body = "".join(json.dumps({"day": i.day, "scope": i.scope, "metrics": i.metrics}, ensure_ascii=False,
                              sort_keys=True) + "\n" for i in items).encode("utf-8")
    key = f"{METRICS_PREFIX}/dt={day.isoformat()}/{METRICS_OBJECT}.jsonl"
    if source:  # a local lake directory: write beside it
        path = Path(source) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return str(path)
    from nabiyam.storage.blobs import BlobStore

    BlobStore(settings.learning_data_bucket, settings).put_bytes(key, body, "application/x-ndjson")
    return key
