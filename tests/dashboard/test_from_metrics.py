"""The week's report from stored daily metrics (the daily-metrics contract, nabiyam.metrics.model):
figures are stored in the local DailyMetrics table (moto) by hand, read back through
``read_day``, and must reach the page exactly (sums of counts, pooled rates, weighted means)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboard_site.from_metrics import load_week_report
from dashboard_site.render import render_week
from nabiyam.metrics.model import (Alert, DailyMetrics, Distribution, Evaluation, ExperimentAnalysis,
                                   ExperimentWindow, Feedback, KpiComparison, Rate, Recommendations, RetrainSignal,
                                   Sentiment, SrmCheck, Topics, TermCount, VariantComparison, VariantStats,
                                   WeekOverWeek, model_scope, variant_scope)
from nabiyam.settings import Settings
from nabiyam.storage.daily_metrics import DailyMetric, DailyMetricsRepository

pytestmark = pytest.mark.xdist_group("dashboard")
MONDAY = date(2026, 11, 2)  # 2026-W45


def _rate(num: int, den: int) -> Rate:
    return Rate(numerator=num, denominator=den, value=num / den if den else None)


def _dist(count: int, mean: float | None, hist: dict[str, int] | None = None, p: tuple[float, float, float] | None = None) -> Distribution:
    p50, p95, p99 = p or (None, None, None)
    return Distribution(count=count, mean=mean, p50=p50, p95=p95, p99=p99, histogram=hist or {})


def _day(day: date, scope: str, i: int, alerts: list[Alert] | None = None) -> DailyMetrics:
    conv = 100 + 10 * i
    return DailyMetrics(
        day=day, scope=scope, conversations=conv, sessions=conv // 2, daily_active_users=40 + i,
        turns_per_session=_dist(conv // 2, 2.0), intents={"FOOD_RECOMMENDATION": conv - 20, "GREETING": 20},
        sentiment=Sentiment(counts={"positive": 50, "neutral": 30 + i, "negative": 20}, positive=_rate(50, 100 + i),
                            negative=_rate(20, 100 + i), neutral=_rate(30 + i, 100 + i)),
        topics=Topics(intents=[], categories=[TermCount(term="치킨", count=30), TermCount(term="분식", count=3)],
                      foods=[TermCount(term="떡볶이", count=12)], nouns=[TermCount(term="저녁", count=9)]),
        response_chars=_dist(conv, 120.0), response_sentences=_dist(conv, 3.0), nlu_confidence=_dist(conv, 0.8),
        rules_share=_rate(5, conv), ctr=_rate(20 + i, 80), conversion=_rate(5, 80), favourite_rate=_rate(2, 80),
        feedback=Feedback(likes=30, dislikes=10, like_ratio=_rate(30, 40), dislike_reasons={"too_far": 6, "closed": 4}),
        satisfaction=_dist(20, 4.0 + 0.1 * i, {"5": 8, "4": 8, "3": 4}),
        retrain=RetrainSignal(rated=40, dislikes=10, dislike_ratio=0.25, dislike_wilson_lower=0.14),
        recommendations=Recommendations(shown_conversations=80, shown_items=300, distinct_shops=50,
                                        fallbacks=_rate(3, 80), nothing_fits=_rate(2, 80)),
        latency_ms={"nlu": _dist(conv, 20.0, p=(15.0, 40.0, 60.0)), "total": _dist(conv, 90.0, p=(80.0, 200.0, 300.0 + i))},
        errors=_rate(1, conv), evaluation=Evaluation(rubric_version=1, score=_dist(conv, 7.0, {"7": conv - 10, "3": 10}),
                                                          mean=7.0),
        alerts=alerts or [], input_digest="x")


def _store(repo: DailyMetricsRepository, d: date, scope: str, value: Any) -> None:
    repo.put(DailyMetric(day=d.isoformat(), scope=scope, metrics=value.model_dump(mode="json")))


def test_week_report_pools_the_stored_days(clean_stack: Any, tmp_path: Path) -> None:
    settings = Settings()
    repo = DailyMetricsRepository(settings)
    sunday = MONDAY + timedelta(days=6)
    ctr_cmp = KpiComparison(kpi="ctr", kind="rate", current=0.25, previous=0.31, change_pct=-19.4, current_n=560,
                            previous_n=540, p_value=0.004, test="two_proportion_z", significant=True, status="degraded")
    alert = Alert(alert_id=f"wow#ctr#{MONDAY + timedelta(days=3)}", kpi="ctr", day=MONDAY + timedelta(days=3),
                  evidence=ctr_cmp, current_window=(MONDAY - timedelta(days=3), MONDAY + timedelta(days=3)),
                  previous_window=(MONDAY - timedelta(days=10), MONDAY - timedelta(days=4)),
                  message="클릭률이 지난주보다 19.4% 낮아요", cooldown_days=7)
    for i in range(7):
        d = MONDAY + timedelta(days=i)
        _store(repo, d, "global", _day(d, "global", i, [alert] if i == 3 else None))
        _store(repo, d, variant_scope("treatment"), _day(d, variant_scope("treatment"), i))
        _store(repo, d, model_scope("ranker", "v7"), _day(d, model_scope("ranker", "v7"), i))
    prev_monday = MONDAY - timedelta(days=7)
    _store(repo, prev_monday, "global", _day(prev_monday, "global", 0))  # one day of last week (DAU delta)
    _store(repo, sunday, "week_over_week", WeekOverWeek(
        day=sunday, current_start=MONDAY, current_end=sunday, previous_start=prev_monday,
        previous_end=MONDAY - timedelta(days=1), days_with_data_current=7, days_with_data_previous=7,
        kpis=[ctr_cmp, KpiComparison(kpi="satisfaction", kind="mean", current=4.3, previous=4.2, change_pct=2.4,
                                     current_n=140, previous_n=130, p_value=0.4, test="bootstrap_mean", status="ok")],
        threshold_pct=5.0, alpha=0.05, min_volume=100))
    window = ExperimentWindow(
        start=MONDAY, end=sunday,
        variants=[VariantStats(variant="control", units=300, turns=700, shown_turns=560, configured_share=0.5,
                               observed_share=0.52, ctr=_rate(150, 560), conversion=_rate(30, 560),
                               satisfaction=_dist(70, 4.1)),
                  VariantStats(variant="treatment", units=280, turns=650, shown_turns=520, configured_share=0.5,
                               observed_share=0.48, ctr=_rate(160, 520), conversion=_rate(31, 520),
                               satisfaction=_dist(66, 4.2))],
        comparisons=[VariantComparison(variant="treatment", control="control", metric="ctr", control_value=0.268,
                                       variant_value=0.308, lift=0.040, lift_ci=(-0.012, 0.092), relative_lift=0.15,
                                       p_value=0.13)],
        srm=SrmCheck(expected_shares={"control": 0.5, "treatment": 0.5}, observed_units={"control": 300, "treatment": 280},
                     chi2=0.69, p_value=0.41, mismatch=False))
    _store(repo, sunday, "experiment", ExperimentAnalysis(day=sunday, control="control", experiment="ranker-ab",
                                                         today=window, last_7_days=window))

    report = load_week_report("2026-W45", settings)
    kpi = {k.key: k for k in report.kpis}
    assert kpi["ctr"].value == 0.25 and kpi["ctr"].previous == 0.31 and kpi["ctr"].verdict == "악화"
    assert kpi["satisfaction"].verdict == "유의한 변화 없음"  # +2.4 % but p = 0.4: within the noise
    assert kpi["daily_users"].value == pytest.approx(sum(40 + i for i in range(7)) / 7)
    assert kpi["daily_users"].previous == 40
    assert [a.title for a in report.alerts] == ["클릭률이 지난주보다 19.4% 낮아요"]
    assert "p=0.004" in report.alerts[0].detail
    assert sum(a.conversations for a in report.activity) == sum(100 + 10 * i for i in range(7))
    cats = {c.label: c.count for c in report.topics.categories}
    assert cats == {"치킨": 210, "분식": 21}
    assert {c.label: c.count for c in report.feedback.reasons} == {"너무 멀어요": 42, "문을 닫았어요": 28}
    assert {c.label: c.count for c in report.feedback.satisfaction} == {"1": 0, "2": 0, "3": 28, "4": 56, "5": 56}
    # pooled CTR of the model version: sum of clicks over sum of shown turns
    ranker = next(r for r in report.ai.models if r.model == "ranker")
    assert ranker.version == "v7" and ranker.ctr == pytest.approx(sum(20 + i for i in range(7)) / 560)
    total = next(s for s in report.system.stages if s.stage == "요청 전체")
    convs = [100 + 10 * i for i in range(7)]
    assert total.p99 == pytest.approx(sum((300 + i) * n for i, n in enumerate(convs)) / sum(convs))
    exp = report.ai.experiments[0]
    assert (exp.diff, exp.ci_low, exp.ci_high, exp.n_control, exp.srm_ok) == (0.040, -0.012, 0.092, 300, True)
    assert exp.conclusion == "차이가 잡음 범위 안이에요"
    assert [d.errors for d in report.system.days] == [1] * 7

    out = tmp_path / "site"
    render_week(report, out)
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert "클릭률이 지난주보다 19.4% 낮아요" in overview and "-6.0%p" in overview and "악화" in overview
    topics = (out / "topics.html").read_text(encoding="utf-8")
    assert "치킨" in topics and "분식" in topics  # 21 over the week: not a small group


def test_a_partial_week_pools_its_kpis_without_claiming_significance(clean_stack: Any) -> None:
    settings = Settings()
    repo = DailyMetricsRepository(settings)
    for i in range(3):  # Monday–Wednesday only: no week-over-week stored for Sunday
        d = MONDAY + timedelta(days=i)
        _store(repo, d, "global", _day(d, "global", i))
    _store(repo, MONDAY - timedelta(days=7), "global", _day(MONDAY - timedelta(days=7), "global", 0))
    kpi = {k.key: k for k in load_week_report("2026-W45", settings).kpis}
    assert kpi["conversations"].value == 100 + 110 + 120 and kpi["conversations"].previous == 100
    assert kpi["ctr"].value == pytest.approx((20 + 21 + 22) / 240) and kpi["ctr"].previous == pytest.approx(20 / 80)
    assert kpi["satisfaction"].value == pytest.approx((4.0 + 4.1 + 4.2) / 3)  # equal counts: plain mean
    assert kpi["error_rate"].higher_is_better is False and kpi["error_rate"].status is None
    assert kpi["ctr"].verdict == "개선"  # +5 % relative, no test: called only because it is ≥ 5 %
