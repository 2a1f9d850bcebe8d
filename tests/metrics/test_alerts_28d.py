"""Week-over-week alerts over 28 simulated days: ``incident`` alerts on the right day, ``steady`` never.

Each run: the tiny world, :data:`PER_DAY` sessions a day for :data:`DAYS` days through the bulk
path (the API's own pipeline and feedback service in process — tests/simulate/test_bulk.py
proves it writes the same lake rows as the Lambda handler), the service serving a quick-trained
NLU model and the funnel-blend recommender; then the real daily-metrics job
(:func:`nabiyam.jobs.daily_metrics.run` through ``run_scheduled_job``, the moto stack's
DailyMetrics table) for every day in order, so the week over week and the alerts are computed on
all 28 days exactly as in production. Every run has its own dates, 8 weeks apart, so no run's
14-day history holds another run's days.

The incident is ``bad-nlu`` from day :data:`INCIDENT_DAY` (0-based; days 0–13 steady, so the
first full two-week comparison is all steady): a bad NLU deploy that still loads — the served
NLU with its slot head collapsed to the tag ``O``, so the intent is kept but the category, food
and budget words of the message are lost (see ``Simulation._bad_nlu``). It reaches the service
the way a deploy does: the containers cold-start with the new artifact directory. Children who
asked for 치킨 get shops that ignore it; on the tiny world the truth's expected CTR drops by
about :data:`MIN_TRUTH_DROP_PCT` % or more from the incident day.

"The right day", defined from the truth, not from the observed traffic: the truth file gives
every shown turn's P(any click), P(order), P(satisfaction = v) and P(feedback). The **expected
first alert day** of a KPI is the first day whose two windows, filled with the *expected* counts
(Σ P over the shown turns of each window; for satisfaction the expected rating histogram
Σ P(feedback)·P(v), v ∈ 1, 2, 4, 5), satisfy the job's own rule with its own test and seed —
more than :data:`~nabiyam.metrics.trends.THRESHOLD_PCT` % drop, p <
:data:`~nabiyam.metrics.trends.ALPHA` (two-proportion z-test; the seeded bootstrap for
satisfaction), ≥ ``MIN_VOLUME`` shown turns / ``MIN_RATINGS`` ratings per window. Those expected
counts already hold who happened to come each day; the observed counts differ from them only by
the reactions' sampling noise, so the observed alert day may come a little earlier or later.
Tolerance: :data:`TOLERANCE_DAYS` days either way, because the expected z of the drop grows by
``z_full / 7`` per incident day in the current window (``z_full``: a window of incident days
against a steady one, from the truth), so one σ of noise is worth ``7 / z_full`` days; the test
checks ``TOLERANCE_DAYS ≥ 2 · 7 / z_full`` for every KPI it holds to a day.

Which KPIs are held to a day: those with ``z_full ≥`` :data:`REQUIRED_Z` (α's z plus 95 % power),
computed from the truth of the run; at least one must be (else the run proves nothing and fails).
At 500 sessions a day all three are (z_full 5.3–5.6).

Asserted per run:

* ``steady``: no alert of any KPI on any of the 28 days;
* ``incident``: the containers served the ``-slotless`` NLU from the incident day (a consistent
  publish: checksum = file; same intent and confidence as the served model, no category, food or
  budget left); no alert before the incident day; each KPI held to a day alerts exactly once,
  within the tolerance of its expected first alert day; every alerting KPI at most once; the
  truth's expected CTR drops by ≥ :data:`MIN_TRUTH_DROP_PCT` % from the incident day (the days
  before against the days from it);
* both: 0 hard-filter violations on every day (the broken NLU must not open a hole in the safety
  check), and honest volume — every full compared window (day 13 on) holds ≥ ``MIN_VOLUME`` shown
  turns and ≥ ``MIN_RATINGS`` ratings.

Seeds and volume: two steady and two incident runs. Steady runs need only honest windows (the
false-alarm rate of the rule is α whatever the volume); incident runs need the volume at which a
full incident window is caught with ≥ 95 % power (:data:`REQUIRED_Z`): ~500 sessions a day on the
tiny world (at 300 the expected z of the full window is ~3.5, so the alert would be a coin flip).
The rule's constants are imported from trends.py, never lowered here.

Cost (measured, ``-p no:xdist``, one core): ~3.5 min for the four runs (~65 s per incident run,
~25 s per steady run, ~15 s to train the NLU and sentiment models when no other test did);
the runs are split over two xdist groups (one steady and one incident run each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_days

pytestmark = pytest.mark.timeout(1800)

DAYS = 28
INCIDENT_DAY = 14
#: Sessions a day. Steady: the false-alarm rate of the rule does not depend on the volume (α is
#: fixed), so steady runs only need honest windows (≥ MIN_VOLUME); incident runs need enough
#: volume for the drop to be caught with ≥ 95 % power by a full window (see REQUIRED_Z).
PER_DAY = {"steady": 100, "incident": 500}
SEEDS = {"steady": (21, 22), "incident": (31, 32)}
FIRST_START = date(2032, 1, 5)      # dates no other test of the shared stack uses; 8 weeks per run
#: Each xdist worker takes one steady and one incident run (its own moto stack; the NLU model is
#: trained once for all workers under a file lock).
GROUPS = 2
MIN_TRUTH_DROP_PCT = 8.0
#: A KPI must alert when its expected drop, on a window of incident days only, is z ≥ z(α) + z(95 %):
#: the rule then holds on the observed figures with ≥ 95 % probability.
REQUIRED_Z = 3.290527 + 1.644854
#: Observed alert day vs expected: one σ of the sampling noise is worth 7 / z_full incident days of
#: the window (the expected z grows by z_full / 7 per incident day); 2 σ ≤ 2 · 7 / REQUIRED_Z = 2.8.
TOLERANCE_DAYS = 3


@dataclass
class Run:
    scenario: str
    seed: int
    start: date
    truth: list[Any]
    results: list[dict[str, Any]]           # the daily-metrics job's result, day by day
    manifest: dict[str, Any]
    out: Path                               # the simulation's directory (truth, run.json, the broken artifact)

    def day(self, k: int) -> date:
        return self.start + timedelta(days=k)

    def alerts(self, kpi: str | None = None) -> list[tuple[int, str]]:
        """(day index, alert id) of every alert raised (of ``kpi`` when given)."""
        return [(k, a) for k, r in enumerate(self.results) for a in r["alerts"]
                if kpi is None or a.startswith(f"wow#{kpi}#")]


def _simulate(scenario: str, seed: int, start: date, world: Path, nlu: Path, sentiment: Path, out: Path) -> Run:
    from nabiyam.settings import get_settings
    from nabiyam.simulate import Scenario, SimConfig, read_truth, simulate

    sc = Scenario("incident", incident_day=INCIDENT_DAY, incident="bad-nlu") if scenario == "incident" \
        else Scenario("steady")
    lake = out / "lake"
    result = simulate(SimConfig(world=world, days=DAYS, start=start, out=out / "sim", per_day=PER_DAY[scenario],
                                scenario=sc, seed=seed, bulk=True, lake=lake, ranker_dir=None, nlu_dir=nlu),
                      get_settings())
    days = [(start + timedelta(days=k)).isoformat() for k in range(DAYS)]
    results = run_days(days, sentiment, world, lake=str(lake), treatment_share="0")
    truth = [row for k in range(DAYS) for row in read_truth(out / "sim", start + timedelta(days=k))]
    return Run(scenario, seed, start, truth, results, result.manifest, out / "sim")


def _params(scenario: str) -> list[Any]:
    order = [(sc, seed) for sc, seeds in SEEDS.items() for seed in seeds]
    return [pytest.param(order.index((scenario, seed)), id=f"{scenario}-seed{seed}",
                         marks=pytest.mark.xdist_group(f"alerts28-{k % GROUPS}"))
            for k, seed in enumerate(SEEDS[scenario])]


def _run(index: int, world: Path, nlu: Path, sentiment: Path, tmp: pytest.TempPathFactory) -> Run:
    scenario, seed = [(sc, seed) for sc, seeds in SEEDS.items() for seed in seeds][index]
    return _simulate(scenario, seed, FIRST_START + timedelta(weeks=8 * index), world, nlu, sentiment,
                     tmp.mktemp(f"alerts28-{scenario}-{seed}"))


@pytest.fixture(scope="module", params=_params("steady"))
def steady_run(request: pytest.FixtureRequest, local_stack: Any, metrics_world: Path, metrics_nlu: Path,
               small_sentiment: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(request.param, metrics_world, metrics_nlu, small_sentiment, tmp_path_factory)


@pytest.fixture(scope="module", params=_params("incident"))
def incident_run(request: pytest.FixtureRequest, local_stack: Any, metrics_world: Path, metrics_nlu: Path,
                 small_sentiment: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(request.param, metrics_world, metrics_nlu, small_sentiment, tmp_path_factory)


# ---- what the truth expects ------------------------------------------------------------------
RATED = (1, 2, 4, 5)   # a satisfaction of 3 sends no like/dislike, so no rating (simulate/reactions.py)


def _expected_counts(run: Run, kpi: str, first: date, last: date) -> tuple[Any, int]:
    """The truth's expected figures of a window: for a rate (Σ P, shown turns); for satisfaction the
    expected rating histogram (Σ P(feedback) · P(satisfaction = v) over the shown turns)."""
    rows = [t for t in run.truth if t.shown and first <= date.fromisoformat(t.day) <= last]
    if kpi == "satisfaction":
        hist = {v: sum((t.p_feedback or 0.0) * t.p_satisfaction[v - 1] for t in rows if t.p_satisfaction)
                for v in RATED}
        return hist, round(sum(hist.values()))
    prob = {"ctr": "p_any_click", "conversion": "p_order"}[kpi]
    return sum(float(getattr(t, prob) or 0.0) for t in rows), len(rows)


@dataclass
class Expected:
    kpi: str
    first_day: int | None    # the first day (index) the job's rule holds on the expected figures
    z_full: float            # expected z of the drop: a window of incident days against a steady one
    before: float            # expected value on the days before the incident / from it
    after: float


def _mean_var(kpi: str, figure: Any, n: int) -> tuple[float, float]:
    """Mean and variance of one unit (a shown turn's 0/1, or a rating 1–5) from expected figures."""
    if kpi == "satisfaction":
        total = sum(figure.values())
        m = sum(v * x for v, x in figure.items()) / total
        return m, sum(x * (v - m) ** 2 for v, x in figure.items()) / total
    return figure / n, figure / n * (1 - figure / n)


def _expected(run: Run, kpi: str) -> Expected:
    """Apply the job's rule (trends.py: threshold, α, volume floors, the same test and seed) to
    the truth's expected figures of each day's two windows; and the expected z of the drop for a
    window of incident days only against one of steady days (pooled rates, a window's mean volume)."""
    from nabiyam.metrics.stats import bootstrap_mean_diff, two_proportion_z
    from nabiyam.metrics.trends import ALPHA, MIN_RATINGS, MIN_VOLUME, THRESHOLD_PCT, windows

    first = None
    for k in range(DAYS):
        (cs, ce), (ps, pe) = windows(run.day(k))
        (c, n2), (p, n1) = _expected_counts(run, kpi, cs, ce), _expected_counts(run, kpi, ps, pe)
        if not n1:
            continue
        if kpi == "satisfaction":
            h2, h1 = ({v: round(x) for v, x in h.items()} for h in (c, p))
            _, pval, _ = bootstrap_mean_diff(h1, h2, seed=run.day(k).toordinal())
            floor, change = MIN_RATINGS, (_mean_var(kpi, c, n2)[0] / _mean_var(kpi, p, n1)[0] - 1) * 100
        else:
            _, pval = two_proportion_z(round(p), n1, round(c), n2)
            floor, change = MIN_VOLUME, (c / n2 / (p / n1) - 1) * 100
        if n1 >= floor and n2 >= floor and change < -THRESHOLD_PCT and pval is not None and pval < ALPHA:
            first = k
            break
    inc = run.day(INCIDENT_DAY)
    (b, nb), (a, na) = (_expected_counts(run, kpi, run.start, inc - timedelta(days=1)),
                        _expected_counts(run, kpi, inc, run.day(DAYS - 1)))
    (mb, vb), (ma, va) = _mean_var(kpi, b, nb), _mean_var(kpi, a, na)
    wb, wa = nb / INCIDENT_DAY * 7, na / (DAYS - INCIDENT_DAY) * 7     # a window's units
    return Expected(kpi, first, (mb - ma) / math.sqrt(vb / wb + va / wa), mb, ma)


# ---- the tests ---------------------------------------------------------------------------------
def _volume_is_honest_and_safety_holds(run: Run) -> None:
    """Every full window compared (day 13 on) has ≥ MIN_VOLUME shown turns and ≥ MIN_RATINGS
    ratings (the rule's own constants, never lowered here); no hard-filter violation on any day."""
    from nabiyam.metrics.model import read_day
    from nabiyam.metrics.trends import MIN_RATINGS, MIN_VOLUME

    assert [r["hard_filter_violations"] for r in run.results] == [0] * DAYS, (run.scenario, run.seed)
    for k in range(2 * 7 - 1, DAYS):   # both windows full
        kpis = {c.kpi: c for c in read_day(run.day(k)).week_over_week.kpis}
        for kpi, floor in (("ctr", MIN_VOLUME), ("conversion", MIN_VOLUME), ("satisfaction", MIN_RATINGS)):
            c = kpis[kpi]
            assert c.current_n >= floor and c.previous_n >= floor, (run.seed, k, c)


def test_steady_raises_no_alert_in_28_days(steady_run: Run) -> None:
    run = steady_run
    assert all(d["broken"] is None for d in run.manifest["day_summaries"])
    _volume_is_honest_and_safety_holds(run)
    assert run.alerts() == [], (run.seed, run.alerts())


REQUESTS = ("치킨 먹고 싶어", "만원으로 떡볶이 먹을 수 있는 곳 있어?", "친구랑 같이 분식집 어디 갈까?")


def test_the_bad_nlu_artifact_loads_keeps_the_intent_and_loses_the_slots(incident_run: Run,
                                                                         metrics_nlu: Path) -> None:
    """What the containers loaded from the incident day: a consistent publish (the manifest's
    checksum is the file's), the same intent and confidence as the served model (so the model,
    not the rules, answers), and no category, food or budget left in the filters."""
    import hashlib
    import json

    from nabiyam.nlu import NluService

    bad_dir = incident_run.out / "incident-bad-nlu"
    manifest = json.loads((bad_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["model.onnx"]["sha256"] == hashlib.sha256((bad_dir / "model.onnx").read_bytes()).hexdigest()
    good, bad = NluService.load(metrics_nlu), NluService.load(bad_dir)
    assert bad.model_version == manifest["version"] and bad.model_version.endswith("-slotless")
    for text in REQUESTS:
        g, b = good.parse(text), bad.parse(text)
        assert g.source == b.source == "model" and (g.intent, g.confidence) == (b.intent, b.confidence), (g, b)
        assert g.filters.category or g.filters.food_types, g                  # the served model finds the dish
        assert b.filters.category is None and not b.filters.food_types and b.filters.budget_max is None, b


def test_incident_alerts_once_on_the_right_day(incident_run: Run) -> None:
    from nabiyam.metrics.trends import ALERT_KPIS

    run = incident_run
    broken = [d["broken"] for d in run.manifest["day_summaries"]]
    assert broken == [None] * INCIDENT_DAY + ["bad-nlu"] * (DAYS - INCIDENT_DAY)
    assert run.manifest["runtimes"]["bad-nlu"]["versions"]["nlu"].endswith("-slotless")
    _volume_is_honest_and_safety_holds(run)
    assert all(k >= INCIDENT_DAY for k, _ in run.alerts()), (run.seed, run.alerts())
    expected = {kpi: _expected(run, kpi) for kpi in ALERT_KPIS}
    print(f"\n{run.scenario} seed {run.seed}: alerts {run.alerts()}; expected {list(expected.values())}")
    # the truth: the expected CTR drops from the incident day
    ctr = expected["ctr"]
    assert (ctr.before - ctr.after) / ctr.before * 100 >= MIN_TRUTH_DROP_PCT, (run.seed, ctr)
    required = [e for e in expected.values() if e.z_full >= REQUIRED_Z]
    assert required, (run.seed, expected)      # the run is strong enough to test anything
    for e in required:
        assert e.first_day is not None and e.first_day >= INCIDENT_DAY, (run.seed, e)
        assert TOLERANCE_DAYS >= 2 * 7 / e.z_full, (run.seed, e)
        observed = run.alerts(e.kpi)
        assert len(observed) == 1, (run.seed, e, observed)
        assert abs(observed[0][0] - e.first_day) <= TOLERANCE_DAYS, (run.seed, e, observed)
    for kpi in ALERT_KPIS:   # the others too: one incident, at most one alert, never before it
        assert len(run.alerts(kpi)) <= 1, (run.seed, kpi, run.alerts(kpi))


def test_bad_nlu_needs_a_served_nlu(metrics_world: Path, tmp_path: Path) -> None:
    """Nothing to break when the service runs rules only: a readable error naming the flag."""
    from nabiyam.simulate import Scenario, SimConfig, SimulationError, simulate

    config = SimConfig(world=metrics_world, days=2, start=date(2032, 1, 1), out=tmp_path / "sim", per_day=2,
                       scenario=Scenario("incident", incident_day=1, incident="bad-nlu"), bulk=True,
                       lake=tmp_path / "lake", ranker_dir=None, nlu_dir=None)
    with pytest.raises(SimulationError, match=r"needs a served nlu, but the nlu is off \(--nlu none\)"):
        simulate(config)
