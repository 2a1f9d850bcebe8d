"""The AI page's registry rows come from the real registry (moto DynamoDB/S3): promotions,
rollbacks and a rejection with their reasons, and the newest champion/challenger report."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from dashboard_site.render import render_week
from dashboard_site.sources import latest_comparisons, registry_events
from nabiyam.domain.hours import KST
from nabiyam.evaluation.record import record_decision
from nabiyam.evaluation.report import ComparisonReport, Gate, HeldOut, Interval, MetricComparison
from nabiyam.registry import Registry
from nabiyam.settings import Settings

from .sample import sample_report

pytestmark = pytest.mark.xdist_group("dashboard")


def _artifact(tmp: Path, name: str, payload: bytes) -> Path:
    d = tmp / name
    d.mkdir()
    (d / "model.onnx").write_bytes(payload)
    return d


def test_promotions_rollbacks_and_rejections_reach_the_ai_page(clean_stack: Any, tmp_path: Path) -> None:
    settings = Settings()
    reg = Registry(settings)
    v1 = reg.publish("ranker", _artifact(tmp_path, "a", b"one"))
    reg.promote("ranker", v1, actor="test", reason="first model")
    v2 = reg.publish("ranker", _artifact(tmp_path, "b", b"two"))
    report = ComparisonReport(
        report_id="r1", created_at=datetime.now(timezone.utc), model_name="ranker", production_version=v1,
        candidate_version=v2, held_out=HeldOut(start="2026-11-01", end="2026-11-07", turns=1200, sessions=400,
                                               with_choice=300),
        primary_metric="ndcg@5",
        metrics=[MetricComparison(name="ndcg@5", production=Interval(estimate=0.48, low=0.46, high=0.50),
                                  candidate=Interval(estimate=0.50, low=0.48, high=0.52),
                                  difference=Interval(estimate=0.02, low=0.008, high=0.031), verdict="candidate")],
        gates=[Gate(name="hard_filters", passed=True, detail="0 violations")], decision="promote",
        reasons=["ndcg@5 +0.020 [0.008, 0.031]"], bias_handling="logged shown sets only")
    record_decision(report, settings)
    reg.rollback("ranker", actor="test", reason="p95 latency doubled")
    v3 = reg.publish("ranker", _artifact(tmp_path, "c", b"three"))
    reg.reject("ranker", v3, actor="test", reason="worse AUC")

    events = registry_events(settings, until=datetime.now(KST).date())  # the page's days are KST days
    assert [(e.action, e.version) for e in events] == [("reject", v3), ("rollback", v1), ("promote", v2), ("promote", v1)]
    assert events[1].previous_version == v2 and events[1].reason == "p95 latency doubled"
    assert registry_events(settings, until=date(2000, 1, 1)) == []  # nothing before the week asked for

    comparisons = latest_comparisons(settings)
    assert len(comparisons) == 1 and comparisons[0].candidate_version == v2
    assert comparisons[0].metrics[0].diff_low == pytest.approx(0.008)

    week = sample_report()
    week = week.model_copy(update={"ai": week.ai.model_copy(update={"registry": events, "comparisons": comparisons})})
    out = tmp_path / "site"
    render_week(week, out)
    html = (out / "ai.html").read_text(encoding="utf-8")
    for needle in ("롤백", "승격 거절", "p95 latency doubled", v3, "ndcg@5 (주 지표)", "+0.0080", "도전 모델이 더 좋음"):
        assert needle in html, needle
