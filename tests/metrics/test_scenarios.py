"""Alerts and experiment analysis on simulated traffic (tiny world, real API handler, moto stack):

* ``incident`` (10 days, the served ranker's logit sign-flipped from day 7: it ranks worst first):
  no alert on the steady days; on every day the stored week-over-week CTR equals the pooled lake
  figures of its two windows computed here by hand, the drop after the incident points the way the
  truth file's expected CTR says, and an alert exists exactly when the rule holds (> 5 % drop,
  p < 0.001, enough volume, outside the cool-down). On the tiny world this incident costs only
  ~10 % of P(pick), so at test volume it is usually *not* significant — the alert-on-the-right-day
  and several-seed steady checks on 28 simulated days use the stronger ``bad-nlu`` incident at
  500 sessions a day through the bulk path (test_alerts_28d.py), and on hand-built days in
  test_trends.py;
* ``ab`` (treatment = the funnel blend on half the users, control = the trained ranker): the
  measured CTR lift's 95 % interval covers the lift the truth file expects for the same turns
  (Σ P(any click) per arm / shown turns per arm), and the split passes the SRM check.

Tolerance: the lift interval is the job's own 95 % interval (a miss is a 1-in-20 event for a
correct method; the seed is fixed)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import Captured, run_and_capture, run_days

pytestmark = [pytest.mark.xdist_group("simulate"), pytest.mark.timeout(1800)]

INCIDENT_START = date(2027, 5, 3)
INCIDENT_DAY = 7


@pytest.fixture(scope="module")
def incident(local_stack: Any, metrics_world: Path, metrics_ranker: Path, small_sentiment: Path,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Captured, list[dict[str, Any]]]:
    from nabiyam.simulate import Scenario

    cap = run_and_capture(local_stack, metrics_world, tmp_path_factory.mktemp("metrics-incident"), INCIDENT_START, 10,
                          16, scenario=Scenario("incident", incident_day=INCIDENT_DAY, incident="bad-ranker"), seed=9,
                          ranker_dir=metrics_ranker)
    return cap, run_days(cap.days(), small_sentiment, metrics_world, treatment_share="0")


def test_incident_week_over_week_matches_the_lake_and_the_rule(incident: tuple[Captured, list[dict[str, Any]]]
                                                               ) -> None:
    from nabiyam.metrics.model import read_day
    from nabiyam.metrics.trends import ALPHA, MIN_VOLUME, THRESHOLD_PCT, windows

    cap, results = incident
    first_broken = INCIDENT_START + timedelta(days=INCIDENT_DAY)
    raised = [(date.fromisoformat(r["day"]), a) for r in results for a in r["alerts"]]
    assert all(d >= first_broken for d, _ in raised), raised
    clicked = {(f.conversation_id, f.shop_id) for f in cap.feedback if f.feedback_type == "clicked"}
    by_day: dict[date, tuple[int, int]] = {}
    for r in cap.conversations:
        if r.shown:
            hits, n = by_day.get(date.fromisoformat(r.day), (0, 0))
            hit = any((r.conversation_id, s["shop_id"]) in clicked for s in r.shown)
            by_day[date.fromisoformat(r.day)] = (hits + hit, n + 1)
    expected = {}
    for t in cap.truth:
        if t.shown and t.p_any_click is not None:
            e, n = expected.get(date.fromisoformat(t.day), (0.0, 0))
            expected[date.fromisoformat(t.day)] = (e + t.p_any_click, n + 1)
    last = INCIDENT_START + timedelta(days=9)
    for day in (INCIDENT_START + timedelta(days=k) for k in range(7, 10)):
        wow = read_day(day).week_over_week
        ctr = next(k for k in wow.kpis if k.kpi == "ctr")
        (cs, ce), (ps, pe) = windows(day)
        cur = [v for d, v in by_day.items() if cs <= d <= ce]
        prev = [v for d, v in by_day.items() if ps <= d <= pe]
        assert (ctr.current_n, ctr.previous_n) == (sum(n for _, n in cur), sum(n for _, n in prev))
        assert ctr.current == round(sum(h for h, _ in cur) / ctr.current_n, 6)
        assert ctr.previous == (round(sum(h for h, _ in prev) / ctr.previous_n, 6) if prev else None)
        rule = (ctr.previous_n >= MIN_VOLUME and ctr.current_n >= MIN_VOLUME and ctr.change_pct is not None
                and ctr.change_pct < -THRESHOLD_PCT and ctr.p_value < ALPHA)
        alerted = any(d == day and a.startswith("wow#ctr#") for d, a in raised)
        earlier = any(d < day and a.startswith("wow#ctr#") for d, a in raised)
        assert alerted == (rule and not earlier), (day, ctr)
    # the truth: the broken days' expected CTR is below the steady days'
    steady = [expected[d] for d in expected if d < first_broken]
    broken = [expected[d] for d in expected if d >= first_broken]
    assert sum(e for e, _ in broken) / sum(n for _, n in broken) < sum(e for e, _ in steady) / sum(n for _, n in steady)
    assert read_day(last).week_over_week.current_end == last


@pytest.fixture(scope="module")
def ab(local_stack: Any, metrics_world: Path, metrics_ranker: Path, small_sentiment: Path,
       tmp_path_factory: pytest.TempPathFactory) -> tuple[Captured, list[dict[str, Any]]]:
    from nabiyam.simulate import Scenario

    cap = run_and_capture(local_stack, metrics_world, tmp_path_factory.mktemp("metrics-ab"), date(2027, 7, 5), 2, 60,
                          scenario=Scenario("ab", treatment_share=0.5), seed=4, ranker_dir=metrics_ranker)
    return cap, run_days(cap.days(), small_sentiment, metrics_world, treatment_share="0.5")


def test_ab_measured_lift_covers_the_truths_expected_lift(ab: tuple[Captured, list[dict[str, Any]]]) -> None:
    from nabiyam.metrics.model import read_day

    cap, _ = ab
    day = cap.days()[1]
    exp = read_day(day).experiment
    assert exp is not None
    window = exp.today
    ctr = next(c for c in window.comparisons if c.metric == "ctr" and c.variant == "treatment")
    logged = {r.conversation_id: r for r in cap.conversations if r.day == day}
    expected: dict[str, list[float]] = {"control": [], "treatment": []}
    for t in cap.truth:
        row = logged.get(t.conversation_id or "")
        if row is not None and row.shown and t.p_any_click is not None:
            expected[row.variant].append(t.p_any_click)
    truth_lift = (sum(expected["treatment"]) / len(expected["treatment"])
                  - sum(expected["control"]) / len(expected["control"]))
    shown = {v.variant: v.shown_turns for v in window.variants}
    assert all(0.8 * shown[k] <= len(v) <= shown[k] for k, v in expected.items()), (shown, expected.keys())
    lo, hi = ctr.lift_ci
    assert lo <= truth_lift <= hi, (lo, truth_lift, hi)
    assert window.srm is not None and not window.srm.mismatch
