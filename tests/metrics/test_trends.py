"""Week over week and alerts on hand-built days (pure, fast, many seeds): a real drop raises one
alert (with its evidence) on the day the current window first shows it significantly, the
cool-down keeps one incident one alert, steady traffic raises none, and too little data is
stated, never alerted."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from nabiyam.metrics.model import Alert
from nabiyam.metrics.trends import COOLDOWN_DAYS, MIN_VOLUME, new_alerts, week_over_week, windows

from .synth import synth_metrics

START = date(2026, 10, 1)


def run_days(days: int, per_day: int, seed: int, drop_from: int | None = None, drop: float = 0.7
             ) -> tuple[dict[date, object], list[Alert]]:
    rng = random.Random(seed)
    series, alerts = {}, []
    for k in range(days):
        day = START + timedelta(days=k)
        factor = drop if drop_from is not None and k >= drop_from else 1.0
        series[day] = synth_metrics(day, per_day, 0.4 * factor, 0.2 * factor, rng)
        wow = week_over_week(day, series)
        alerts += new_alerts(wow, [a for a in alerts if (day - a.day).days < COOLDOWN_DAYS])
    return series, alerts


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_steady_traffic_raises_no_alert(seed: int) -> None:
    _, alerts = run_days(28, 100, seed)
    assert alerts == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_incident_raises_one_alert_per_kpi_with_evidence(seed: int) -> None:
    series, alerts = run_days(28, 100, seed, drop_from=14)
    ctr = [a for a in alerts if a.kpi == "ctr"]
    assert len(ctr) == 1, [a.alert_id for a in alerts]
    a = ctr[0]
    # the drop starts on day 14; a 7-day window is full of it on day 20 (α = 0.001 needs most of it)
    assert START + timedelta(days=14) <= a.day <= START + timedelta(days=20)
    ev = a.evidence
    assert ev.status == "degraded" and ev.p_value < 0.001 and ev.change_pct < -5
    (cs, ce), (ps, pe) = windows(a.day)
    cur_x = sum(m.ctr.numerator for d, m in series.items() if cs <= d <= ce)
    cur_n = sum(m.ctr.denominator for d, m in series.items() if cs <= d <= ce)
    prev_x = sum(m.ctr.numerator for d, m in series.items() if ps <= d <= pe)
    prev_n = sum(m.ctr.denominator for d, m in series.items() if ps <= d <= pe)
    assert (ev.current_n, ev.previous_n) == (cur_n, prev_n)
    assert ev.current == round(cur_x / cur_n, 6) and ev.previous == round(prev_x / prev_n, 6)
    assert a.current_window == (cs, ce) and a.previous_window == (ps, pe)
    assert "CTR" in a.message and a.alert_id == f"wow#ctr#{a.day.isoformat()}"


def test_too_little_data_is_stated_not_alerted() -> None:
    series, alerts = run_days(28, 10, 7, drop_from=14, drop=0.3)
    wow = week_over_week(START + timedelta(days=20), series)
    ctr = next(k for k in wow.kpis if k.kpi == "ctr")
    assert ctr.current_n < MIN_VOLUME and ctr.status == "too_little_data"
    assert alerts == []


def test_no_data_is_stated() -> None:
    series, _ = run_days(7, 60, 1)
    wow = week_over_week(START + timedelta(days=6), series)
    assert wow.days_with_data_previous == 0
    assert {k.kpi: k.status for k in wow.kpis}["ctr"] == "no_data"
    assert new_alerts(wow, []) == []


def test_satisfaction_drop_uses_the_bootstrap() -> None:
    rng = random.Random(3)
    series = {}
    for k in range(14):
        day = START + timedelta(days=k)
        series[day] = synth_metrics(day, 80, 0.4, 0.2, rng, mean_sat=4.3 if k < 7 else 3.3)
    wow = week_over_week(START + timedelta(days=13), series)
    sat = next(k for k in wow.kpis if k.kpi == "satisfaction")
    assert sat.test == "bootstrap_mean" and sat.status == "degraded" and sat.p_value <= 0.001
    again = week_over_week(START + timedelta(days=13), series)
    assert again == wow, "seeded: a re-run stores the same evidence"
