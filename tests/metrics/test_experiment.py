"""Experiment analysis on hand-built arms with known click probabilities: the measured lift's
interval covers the true lift, the z-test sees a real difference, the SRM check flags a broken
split and passes a fair one, and the MDE shrinks with volume.

Tolerance: a 95 % interval misses the truth 5 % of the time per seed; the seeds are fixed, and
the coverage test counts over 40 seeds, requiring ≥ 34 covers (P(fewer) ≈ 0.8 % under 95 %)."""

from __future__ import annotations

import random
import zlib
from datetime import date

from nabiyam.metrics.daily import FeedbackIndex
from nabiyam.metrics.experiment import analyse_window, configured_shares

from .synth import synth_day

DAY = date(2026, 11, 2)


def arm_of(share: float):
    return lambda u: "treatment" if zlib.crc32(u.encode()) % 1000 < share * 1000 else "control"


def window(seed: int, n: int, p_control: float, p_treat: float, share: float = 0.5, assign_share: float | None = None):
    rng = random.Random(seed)
    variant = arm_of(assign_share if assign_share is not None else share)
    turns_c, ev_c = synth_day(DAY, n, p_control, p_control / 2, rng, variant_of=variant)
    # clicks drawn per arm: re-draw the treatment arm's turns with its own probability
    turns = [t for t in turns_c if t.variant == "control"]
    events = [e for e in ev_c if e.conversation_id in {t.conversation_id for t in turns}]
    turns_t, ev_t = synth_day(date(2026, 11, 3), n, p_treat, p_treat / 2, rng, variant_of=variant)
    turns += [t for t in turns_t if t.variant == "treatment"]
    keep = {t.conversation_id for t in turns_t if t.variant == "treatment"}
    events += [e for e in ev_t if e.conversation_id in keep]
    return analyse_window(DAY, DAY, turns, FeedbackIndex.build(events), configured_shares(share))


def test_lift_interval_covers_the_true_lift() -> None:
    covered = 0
    for seed in range(40):
        w = window(seed, 800, 0.30, 0.36)
        ctr = next(c for c in w.comparisons if c.metric == "ctr")
        lo, hi = ctr.lift_ci
        covered += lo <= 0.06 <= hi
    assert covered >= 34


def test_a_real_difference_is_significant_and_none_is_not() -> None:
    big = next(c for c in window(1, 3000, 0.30, 0.40).comparisons if c.metric == "ctr")
    assert big.significant and big.p_value < 1e-4 and big.lift > 0
    assert big.mde is not None and big.mde < 0.1
    same = next(c for c in window(2, 3000, 0.30, 0.30).comparisons if c.metric == "ctr")
    assert not same.significant


def test_mde_shrinks_with_volume() -> None:
    small = next(c for c in window(3, 400, 0.3, 0.3).comparisons if c.metric == "conversion").mde
    large = next(c for c in window(3, 4000, 0.3, 0.3).comparisons if c.metric == "conversion").mde
    assert large < small / 2.5


def test_sample_ratio_mismatch() -> None:
    fair = window(4, 3000, 0.3, 0.3, share=0.5)
    assert fair.srm is not None and not fair.srm.mismatch and fair.srm.p_value > 0.001
    broken = window(4, 3000, 0.3, 0.3, share=0.5, assign_share=0.35)  # configured 50/50, served 65/35
    assert broken.srm.mismatch and broken.srm.p_value < 1e-6
    shares = {v.variant: v.observed_share for v in broken.variants}
    assert 0.3 < shares["treatment"] < 0.4
    one_arm = window(5, 500, 0.3, 0.3, share=0.0, assign_share=0.0)
    assert [v.variant for v in one_arm.variants] == ["control"] and not one_arm.comparisons
