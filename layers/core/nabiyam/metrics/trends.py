"""Week over week (the seeds' "지난주 대비 %"): the 7 days ending on a day against the 7 before,
for every KPI, and the degradation alerts with their evidence.

A KPI's two windows are pooled from the stored global :class:`~nabiyam.metrics.model.DailyMetrics`
(numerators and denominators summed for rates; the 1–5 / 1–10 histograms summed for means — exact,
not an average of daily averages). An alerting KPI (:data:`ALERT_KPIS`) raises an
:class:`~nabiyam.metrics.model.Alert` only when all hold:

* both windows have data (else ``no_data``) and at least :data:`MIN_VOLUME` units each
  (shown turns for CTR/conversion, ratings for satisfaction; else ``too_little_data``) —
  stated in the comparison, never alerted;
* it dropped by more than :data:`THRESHOLD_PCT` percent;
* the drop is significant at :data:`ALPHA` (two-proportion z-test for rates, a seeded
  bootstrap of the mean difference for satisfaction);
* no alert for the same KPI was raised in the :data:`COOLDOWN_DAYS` days before (an incident
  stays inside one of the two windows for 14 days: one incident, one alert).

Example::

    wow = week_over_week(day, series)                       # series: global DailyMetrics by day
    alerts = new_alerts(wow, recent_alerts)                  # recent: alerts of the 14 days before
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from nabiyam.metrics.model import Alert, DailyMetrics, KpiComparison, KpiName, WeekOverWeek
from nabiyam.metrics.stats import bootstrap_mean_diff, two_proportion_z

WINDOW_DAYS = 7
THRESHOLD_PCT = 5.0
#: Significance level of one check. Three KPIs are checked every day over overlapping windows
#: (~90 correlated tests a month): at 0.05 or even 0.01 steady traffic alarms most months (seen in
#: tests/metrics/test_trends.py), so Bonferroni over a month: 0.05 / 90 ≈ 0.0006 → 0.001. The price:
#: a drop is alerted once it fills most of the current window (≤ 7 days after it starts).
ALPHA = 0.001
MIN_VOLUME = 200
MIN_RATINGS = 100
COOLDOWN_DAYS = 14
ALERT_KPIS: tuple[KpiName, ...] = ("ctr", "conversion", "satisfaction")
#: KPIs where higher is better (+1) or worse (−1); 0: no good direction (volume).
DIRECTION: dict[str, int] = {"conversations": 0, "ctr": 1, "conversion": 1, "like_ratio": 1, "satisfaction": 1,
                             "evaluation": 1, "positive_sentiment": 1, "error_rate": -1, "latency_p95_total": -1}
LABELS_KO: dict[str, str] = {"ctr": "CTR", "conversion": "전환율(주문)", "satisfaction": "만족도"}


def windows(day: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(current, previous) windows: the 7 days ending ``day`` and the 7 before."""
    cur = (day - timedelta(days=WINDOW_DAYS - 1), day)
    prev = (cur[0] - timedelta(days=WINDOW_DAYS), cur[0] - timedelta(days=1))
    return cur, prev


def _rate_parts(m: DailyMetrics, kpi: str) -> tuple[int, int]:
    r = {"ctr": m.ctr, "conversion": m.conversion, "like_ratio": m.feedback.like_ratio, "error_rate": m.errors,
         "positive_sentiment": m.sentiment.positive if m.sentiment else None}[kpi]
    return (r.numerator, r.denominator) if r is not None else (0, 0)


def _hist(m: DailyMetrics, kpi: str) -> Counter:
    dist = m.satisfaction if kpi == "satisfaction" else m.evaluation.score
    return Counter({int(k): v for k, v in dist.histogram.items()})


def _pct(cur: float | None, prev: float | None) -> float | None:
    if cur is None or prev is None or prev == 0:
        return None
    return round((cur - prev) / prev * 100, 4)


def _status(kpi: str, cur_n: int, prev_n: int, floor: int, change: float | None, significant: bool) -> str:
    if cur_n == 0 or prev_n == 0:
        return "no_data"
    if cur_n < floor or prev_n < floor:
        return "too_little_data"
    direction = DIRECTION[kpi]
    if change is None or abs(change) <= THRESHOLD_PCT or not significant:
        return "ok"
    if direction == 0:
        return "changed"
    return "improved" if change * direction > 0 else "degraded"


def compare_rate(kpi: KpiName, cur: Sequence[DailyMetrics], prev: Sequence[DailyMetrics],
                 floor: int = MIN_VOLUME) -> KpiComparison:
    x2, n2 = map(sum, zip(*[_rate_parts(m, kpi) for m in cur], strict=True)) if cur else (0, 0)
    x1, n1 = map(sum, zip(*[_rate_parts(m, kpi) for m in prev], strict=True)) if prev else (0, 0)
    c, p = (x2 / n2 if n2 else None), (x1 / n1 if n1 else None)
    _, pval = two_proportion_z(x1, n1, x2, n2)
    change = _pct(c, p)
    significant = pval is not None and pval < ALPHA
    return KpiComparison(kpi=kpi, kind="rate", current=None if c is None else round(c, 6),
                         previous=None if p is None else round(p, 6), change_pct=change, current_n=n2, previous_n=n1,
                         p_value=None if pval is None else round(pval, 6), test="two_proportion_z",
                         significant=significant, status=_status(kpi, n2, n1, floor, change, significant))


def compare_mean(kpi: KpiName, cur: Sequence[DailyMetrics], prev: Sequence[DailyMetrics], seed: int,
                 floor: int = MIN_RATINGS) -> KpiComparison:
    h2 = sum((_hist(m, kpi) for m in cur), Counter())
    h1 = sum((_hist(m, kpi) for m in prev), Counter())
    n2, n1 = sum(h2.values()), sum(h1.values())
    c = sum(k * v for k, v in h2.items()) / n2 if n2 else None
    p = sum(k * v for k, v in h1.items()) / n1 if n1 else None
    _, pval, _ = bootstrap_mean_diff(h1, h2, seed=seed)
    change = _pct(c, p)
    significant = pval is not None and pval < ALPHA
    return KpiComparison(kpi=kpi, kind="mean", current=None if c is None else round(c, 6),
                         previous=None if p is None else round(p, 6), change_pct=change, current_n=n2, previous_n=n1,
                         p_value=None if pval is None else round(pval, 6), test="bootstrap_mean",
                         significant=significant, status=_status(kpi, n2, n1, floor, change, significant))


def _plain(kpi: KpiName, kind: str, c: float | None, p: float | None, n2: int, n1: int) -> KpiComparison:
    change = _pct(c, p)
    status = "no_data" if c is None or p is None else "ok" if change is None or abs(change) <= THRESHOLD_PCT else (
        "changed" if DIRECTION[kpi] == 0 else "improved" if change * DIRECTION[kpi] > 0 else "degraded")
    return KpiComparison(kpi=kpi, kind=kind, current=c, previous=p, change_pct=change, current_n=n2, previous_n=n1,
                         status=status)


def week_over_week(day: date, series: Mapping[date, DailyMetrics]) -> WeekOverWeek:
    """Compare the two windows ending ``day`` from the global metrics in ``series`` (missing days: no data)."""
    (cs, ce), (ps, pe) = windows(day)
    cur = [m for d, m in sorted(series.items()) if cs <= d <= ce]
    prev = [m for d, m in sorted(series.items()) if ps <= d <= pe]
    seed = day.toordinal()
    n2, n1 = sum(m.conversations for m in cur), sum(m.conversations for m in prev)
    p95 = [m.latency_ms["total"].p95 for m in cur if "total" in m.latency_ms and m.latency_ms["total"].p95 is not None]
    p95_prev = [m.latency_ms["total"].p95 for m in prev
                if "total" in m.latency_ms and m.latency_ms["total"].p95 is not None]
    kpis = [
        _plain("conversations", "count", float(n2) if cur else None, float(n1) if prev else None, n2, n1),
        compare_rate("ctr", cur, prev), compare_rate("conversion", cur, prev),
        compare_mean("satisfaction", cur, prev, seed), compare_rate("like_ratio", cur, prev, floor=MIN_RATINGS),
        compare_mean("evaluation", cur, prev, seed + 1), compare_rate("positive_sentiment", cur, prev),
        compare_rate("error_rate", cur, prev),
        _plain("latency_p95_total", "quantile", round(sum(p95) / len(p95), 3) if p95 else None,
               round(sum(p95_prev) / len(p95_prev), 3) if p95_prev else None, len(p95), len(p95_prev)),
    ]
    return WeekOverWeek(day=day, current_start=cs, current_end=ce, previous_start=ps, previous_end=pe,
                        days_with_data_current=len(cur), days_with_data_previous=len(prev), kpis=kpis,
                        threshold_pct=THRESHOLD_PCT, alpha=ALPHA, min_volume=MIN_VOLUME)


def new_alerts(wow: WeekOverWeek, recent: Sequence[Alert]) -> list[Alert]:
    """Alerts to raise on ``wow.day``: degraded alerting KPIs not alerted in the cool-down before."""
    out = []
    for k in wow.kpis:
        if k.kpi not in ALERT_KPIS or k.status != "degraded":
            continue
        if any(a.kpi == k.kpi and 0 < (wow.day - a.day).days < COOLDOWN_DAYS for a in recent):
            continue
        label = LABELS_KO.get(k.kpi, k.kpi)
        out.append(Alert(alert_id=f"wow#{k.kpi}#{wow.day.isoformat()}", kpi=k.kpi, day=wow.day, evidence=k,
                         current_window=(wow.current_start, wow.current_end),
                         previous_window=(wow.previous_start, wow.previous_end),
                         message=(f"{label}이(가) 지난주보다 {abs(k.change_pct or 0):.1f}% 낮아요 "
                                  f"({k.previous:.3f} → {k.current:.3f}, p={k.p_value:.3g})"),
                         cooldown_days=COOLDOWN_DAYS))
    return out
