"""Experiment analysis: per arm CTR, conversion and satisfaction with 95 % intervals, each
treatment arm against control (absolute lift with its interval, two-proportion z-test or a
Welch z for satisfaction, the minimum detectable effect at this volume), and a sample-ratio
mismatch check of users per arm against the configured split.

The unit is the turn for CTR/conversion (a shown turn clicked / ordered) and the rating for
satisfaction; the SRM check counts distinct users, the unit of assignment
(:func:`nabiyam.chat.variant.assign_variant` hashes the user).

Example::

    window = analyse_window(start, end, facts, feedback, {"control": 0.5, "treatment": 0.5})
    [c for c in window.comparisons if c.metric == "ctr"][0].lift_ci
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

from nabiyam.metrics.daily import FeedbackIndex, TurnFacts, distribution, exact_bucket, rate
from nabiyam.metrics.model import ExperimentWindow, SrmCheck, VariantComparison, VariantStats
from nabiyam.metrics.stats import Z95, diff_ci, mde_mean, mde_proportion, normal_sf, srm_chi2, two_proportion_z

CONTROL = "control"
SRM_ALPHA = 0.001


def configured_shares(treatment_share: float) -> dict[str, float]:
    """Arm → configured share of users.

    >>> configured_shares(0.2)
    {'control': 0.8, 'treatment': 0.2}
    """
    return {CONTROL: round(1.0 - treatment_share, 6), "treatment": round(treatment_share, 6)}


def _arm(facts: Sequence[TurnFacts], fb: FeedbackIndex) -> tuple[int, int, int, list[int], int]:
    shown = clicks = orders = 0
    ratings: list[int] = []
    for f in facts:
        c = fb.get(f.conversation_id)
        if c is not None:
            ratings.extend(c.satisfaction)
        if f.shown:
            shown += 1
            if c is not None:
                s = set(f.shown)
                clicks += bool(c.clicked & s)
                orders += bool(c.ordered & s)
    return shown, clicks, orders, ratings, len({f.user_id for f in facts})


def _mean_ci(values: list[int]) -> tuple[float, float, float, float] | None:
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = Z95 * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def analyse_window(start: date, end: date, facts: Sequence[TurnFacts], fb: FeedbackIndex,
                   shares: Mapping[str, float]) -> ExperimentWindow:
    arms = sorted({f.variant for f in facts} | {k for k, v in shares.items() if v > 0},
                  key=lambda v: (v != CONTROL, v))
    by_arm = {a: [f for f in facts if f.variant == a] for a in arms}
    parts = {a: _arm(by_arm[a], fb) for a in arms}
    total_units = sum(p[4] for p in parts.values())
    stats = []
    for a in arms:
        shown, clicks, orders, ratings, units = parts[a]
        ci = _mean_ci(ratings)
        stats.append(VariantStats(variant=a, units=units, turns=len(by_arm[a]), shown_turns=shown,
                                  configured_share=shares.get(a), observed_share=(round(units / total_units, 6)
                                                                                  if total_units else None),
                                  ctr=rate(clicks, shown), conversion=rate(orders, shown),
                                  satisfaction=distribution(ratings, exact_bucket),
                                  satisfaction_ci=(round(ci[2], 6), round(ci[3], 6)) if ci else None))
    comparisons: list[VariantComparison] = []
    if CONTROL in parts:
        cs, cc, co, cr, _ = parts[CONTROL]
        for a in arms:
            if a == CONTROL:
                continue
            ts, tc, to, tr, _ = parts[a]
            for metric, (x1, x2) in (("ctr", (cc, tc)), ("conversion", (co, to))):
                _, p = two_proportion_z(x1, cs, x2, ts)
                v1, v2 = (x1 / cs if cs else None), (x2 / ts if ts else None)
                ci = diff_ci(x1, cs, x2, ts)
                pooled = (x1 + x2) / (cs + ts) if cs + ts else None
                comparisons.append(VariantComparison(
                    variant=a, control=CONTROL, metric=metric, control_value=v1, variant_value=v2,
                    lift=(v2 - v1) if v1 is not None and v2 is not None else None, lift_ci=ci,
                    relative_lift=((v2 - v1) / v1) if v1 and v2 is not None else None, p_value=p,
                    significant=p is not None and p < 0.05,
                    mde=mde_proportion(pooled, cs, ts) if pooled is not None else None))
            m1, m2 = _mean_ci(cr), _mean_ci(tr)
            if m1 and m2:
                se = math.sqrt(m1[1] ** 2 / len(cr) + m2[1] ** 2 / len(tr))
                lift = m2[0] - m1[0]
                p = 2 * normal_sf(abs(lift) / se) if se else 1.0
                comparisons.append(VariantComparison(
                    variant=a, control=CONTROL, metric="satisfaction", control_value=m1[0], variant_value=m2[0],
                    lift=lift, lift_ci=(lift - Z95 * se, lift + Z95 * se), relative_lift=lift / m1[0] if m1[0] else None,
                    p_value=p, significant=p < 0.05,
                    mde=mde_mean(math.sqrt((m1[1] ** 2 + m2[1] ** 2) / 2), len(cr), len(tr))))
            else:
                comparisons.append(VariantComparison(variant=a, control=CONTROL, metric="satisfaction",
                                                     control_value=m1[0] if m1 else None,
                                                     variant_value=m2[0] if m2 else None, lift=None,
                                                     relative_lift=None))
    srm = None
    active = {k: v for k, v in shares.items() if v > 0}
    if len(arms) > 1 or len(active) > 1:
        observed = {a: parts[a][4] for a in arms}
        chi2, p = srm_chi2(observed, active) if len(active) > 1 else (None, None)
        unexpected = any(observed.get(a, 0) > 0 for a in arms if shares.get(a, 0) == 0)
        srm = SrmCheck(expected_shares=dict(shares), observed_units=observed,
                       chi2=None if chi2 is None else round(chi2, 6), p_value=None if p is None else round(p, 6),
                       mismatch=unexpected or (p is not None and p < SRM_ALPHA))
    return ExperimentWindow(start=start, end=end, variants=stats, comparisons=comparisons, srm=srm)
