"""Small, exact statistics for the metrics: Wilson intervals, the two-proportion z-test, a
bootstrap for means of small integer scales, the χ² sample-ratio check and the minimum
detectable effect. numpy only (no scipy in the jobs' layer).

Examples::

    >>> lo, hi = wilson(40, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.3094, 0.498)
    >>> round(two_proportion_z(50, 1000, 30, 1000)[1], 4)   # p-value, two-sided
    0.0225
    >>> round(normal_sf(1.959964), 4)
    0.025
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

Z95 = 1.959963984540054
Z_POWER80 = 0.8416212335729143


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when n == 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float | None]:
    """Pooled two-proportion z statistic of p2 − p1 and its two-sided p-value (None without data)."""
    if n1 <= 0 or n2 <= 0:
        return None, None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / se
    return z, 2 * normal_sf(abs(z))


def diff_ci(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float] | None:
    """Unpooled (Wald) interval of p2 − p1."""
    if n1 <= 0 or n2 <= 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p2 - p1 - z * se, p2 - p1 + z * se


def mde_proportion(p: float, n1: int, n2: int) -> float | None:
    """Absolute minimum detectable difference of a proportion near ``p`` (α = 0.05 two-sided, power 0.8)."""
    if n1 <= 0 or n2 <= 0:
        return None
    return (Z95 + Z_POWER80) * math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def mde_mean(sd: float, n1: int, n2: int) -> float | None:
    if n1 <= 0 or n2 <= 0:
        return None
    return (Z95 + Z_POWER80) * sd * math.sqrt(1 / n1 + 1 / n2)


def histogram_sample(hist: Mapping[int, int]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array(sorted(hist), dtype=float)
    return values, np.array([hist[int(v)] for v in values], dtype=float)


def bootstrap_mean_diff(prev: Mapping[int, int], cur: Mapping[int, int], draws: int = 2000, seed: int = 0
                        ) -> tuple[float | None, float | None, tuple[float, float] | None]:
    """Bootstrap of mean(cur) − mean(prev) for samples given as value → count histograms
    (satisfaction 1–5, evaluation 1–10): each draw resamples both windows from their own
    histograms (multinomial). Returns (observed difference, two-sided p-value, 95 % interval).
    Deterministic for a seed, so a re-run stores the same evidence."""
    n1, n2 = sum(prev.values()), sum(cur.values())
    if n1 == 0 or n2 == 0:
        return None, None, None
    rng = np.random.default_rng(seed)
    v1, c1 = histogram_sample(prev)
    v2, c2 = histogram_sample(cur)
    m1 = rng.multinomial(n1, c1 / n1, size=draws) @ v1 / n1
    m2 = rng.multinomial(n2, c2 / n2, size=draws) @ v2 / n2
    diffs = m2 - m1
    observed = float((c2 @ v2) / n2 - (c1 @ v1) / n1)
    # p-value: how often the bootstrap distribution (centred on the observed difference) crosses 0
    centred = diffs - diffs.mean()
    p = float((np.abs(centred) >= abs(observed)).mean())
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return observed, max(p, 1.0 / draws), (float(lo), float(hi))


def chi2_sf(x: float, k: int) -> float:
    """Survival function of χ² with ``k`` degrees of freedom (series for the regularised gamma)."""
    if x <= 0:
        return 1.0
    a, y = k / 2.0, x / 2.0
    if y > a + 40:  # far tail: continued fraction would be needed; this is < 1e-12 for our k
        return 0.0
    term = total = 1.0 / a
    n = a
    while term > total * 1e-15:
        n += 1
        term *= y / n
        total += term
    lower = total * math.exp(-y + a * math.log(y) - math.lgamma(a))
    return max(0.0, 1.0 - lower)


def srm_chi2(observed: Mapping[str, int], shares: Mapping[str, float]) -> tuple[float | None, float | None]:
    """χ² goodness of fit of units per arm to the configured shares; (None, None) without units."""
    total = sum(observed.get(k, 0) for k in shares)
    arms = [k for k, s in shares.items() if s > 0]
    if total == 0 or len(arms) < 2:
        return None, None
    norm = sum(shares[k] for k in arms)
    chi2 = sum((observed.get(k, 0) - total * shares[k] / norm) ** 2 / (total * shares[k] / norm) for k in arms)
    return chi2, chi2_sf(chi2, len(arms) - 1)


def mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
