"""Helpers every benchmark uses: repeated timings reported as medians, rows, ratios.

A benchmark module ``benchmarks/bench_<name>.py`` exposes ``SECTION = "<name>"`` and
``run(quick: bool) -> dict`` returning at least ``{"rows": [row(...), ...]}``. Compare two
things as a ratio measured in the same run (same machine, same load), never against a
number from another day.
"""

from __future__ import annotations

import gc
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Seconds per call over ``n`` measured repeats (after warm-up)."""

    median: float
    p95: float
    minimum: float
    n: int

    @property
    def median_ms(self) -> float:
        return self.median * 1000.0

    @property
    def p95_ms(self) -> float:
        return self.p95 * 1000.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    if not values:
        raise ValueError("percentile of an empty list")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def timeit(fn: Callable[[], Any], *, repeats: int = 5, warmup: int = 1) -> Timing:
    """Median/p95/min wall time of ``fn()``; the GC is collected before each call."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    for _ in range(warmup):
        fn()
    values = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    return Timing(statistics.median(values), percentile(values, 95), min(values), len(values))


def row(metric: str, value: float | int, unit: str, **extra: Any) -> dict[str, Any]:
    """One result line; ``value`` must be a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"benchmark value for {metric!r} must be a finite number, got {value!r}")
    out: dict[str, Any] = {"metric": metric, "value": round(float(value), 6) if isinstance(value, float) else value,
                           "unit": unit}
    out.update(extra)
    return out


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, for comparisons measured in the same run."""
    if denominator == 0:
        raise ZeroDivisionError("ratio with a zero denominator")
    return numerator / denominator


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def validate_result(result: Any) -> list[str]:
    """Problems with a benchmark's return value (empty when it follows the contract)."""
    if not isinstance(result, dict):
        return [f"run() must return a dict, got {type(result).__name__}"]
    rows = result.get("rows")
    if not isinstance(rows, list) or not rows:
        return ["run() must return a non-empty 'rows' list"]
    problems = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            problems.append(f"rows[{i}] is not a dict")
            continue
        if not isinstance(r.get("metric"), str) or not r["metric"]:
            problems.append(f"rows[{i}] lacks a 'metric' string")
        value = r.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"rows[{i}] ({r.get('metric')}) has a non-numeric value {value!r}")
        if not isinstance(r.get("unit"), str):
            problems.append(f"rows[{i}] ({r.get('metric')}) lacks a 'unit' string")
    return problems
