"""What the AI-performance page reads besides the daily metrics: the model registry's audit
trail (promotions, rollbacks, rejections) and the newest champion/challenger report per model.

Both are owned by the learning loop (``nabiyam.registry``, ``nabiyam.evaluation.report``);
this module only turns them into view-model rows.

Example::

    events = registry_events(settings, until=date(2026, 11, 8))
    comparisons = latest_comparisons(settings)
"""

from __future__ import annotations

from datetime import date, datetime

from dashboard_site.model import ComparisonRow, IntervalRow, RegistryEvent
from nabiyam.domain.hours import KST
from nabiyam.settings import Settings

#: registry actions the page shows, and how it names them
ACTIONS = {"promoted": "promote", "rolled_back": "rollback", "rejected": "reject"}
MAX_EVENTS = 20


def registry_events(settings: Settings, *, until: date, limit: int = MAX_EVENTS) -> list[RegistryEvent]:
    """Promotions, rollbacks and rejections up to the end of ``until`` (KST), newest first."""
    from nabiyam.registry.store import Registry

    registry = Registry(settings)
    rows: list[RegistryEvent] = []
    for model in registry.list_models():
        for event in registry.history(model):
            if event.action not in ACTIONS:
                continue
            at = datetime.fromisoformat(event.at)
            if at.astimezone(KST).date() > until:
                continue
            rows.append(RegistryEvent(at=at, model=model, action=ACTIONS[event.action],  # type: ignore[arg-type]
                                      version=event.model_version, previous_version=event.replaced,
                                      reason=event.reason))
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]


def latest_comparisons(settings: Settings) -> list[ComparisonRow]:
    """The newest comparison report of each registered model (none stored → empty)."""
    from nabiyam.evaluation.report import ComparisonReport
    from nabiyam.registry.store import Registry
    from nabiyam.storage.blobs import BlobNotFound, BlobStore

    blobs = BlobStore(settings.artifacts_bucket, settings)
    out = []
    for model in Registry(settings).list_models():
        try:
            report = ComparisonReport.model_validate(blobs.get_json(ComparisonReport.latest_key(model)))
        except BlobNotFound:
            continue
        h = report.held_out
        out.append(ComparisonRow(
            model=model, created_at=report.created_at, production_version=report.production_version,
            candidate_version=report.candidate_version, decision=report.decision,
            primary_metric=report.primary_metric,
            held_out=f"{h.start} – {h.end}, {h.turns:,}턴",
            metrics=[IntervalRow(metric=m.name, production=m.production.estimate, candidate=m.candidate.estimate,
                                 diff=m.difference.estimate, diff_low=m.difference.low, diff_high=m.difference.high,
                                 verdict=m.verdict) for m in report.metrics],
            failed_gates=[f"{g.name} ({g.detail})" for g in report.gates if not g.passed],
            reasons=report.reasons))
    return out
