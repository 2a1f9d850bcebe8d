"""World generation: wall time, CPU time and peak memory per size, and how simple rankings
compare with the oracle on the small world.

Each generation runs in a fresh interpreter (so peak RSS is that run's own) pinned to at
most 2 CPUs where the OS allows it (the issue's budget: large < 3 min on 2 cores).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SECTION = "world"
SEED = 7

_CHILD = r"""
import json, os, resource, sys, time
try:
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
except (AttributeError, OSError):
    pass
from nabiyam.world import generate
t0, c0 = time.perf_counter(), time.process_time()
m = generate(sys.argv[1], int(sys.argv[2]), sys.argv[3], write_xlsx=sys.argv[4] == "1")
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counts": m["counts"]}))
"""


def _generate(size: str, out: Path, xlsx: bool) -> dict:
    r = subprocess.run([sys.executable, "-c", _CHILD, size, str(SEED), str(out), "1" if xlsx else "0"],
                       capture_output=True, text=True, timeout=900, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"world generation ({size}) failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _dir_mb(d: Path) -> float:
    return sum(p.stat().st_size for p in d.iterdir()) / 1e6


def run(quick: bool) -> dict:
    plan = [("tiny", 5 if not quick else 3, True), ("small", 3 if not quick else 1, True)]
    if not quick or os.environ.get("NABIYAM_BENCH_LARGE") == "1":
        plan.append(("large", 1, False))
    rows: list[dict] = []
    details: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-world-") as tmp:
        for size, repeats, xlsx in plan:
            runs = [_generate(size, Path(tmp) / f"{size}-{i}", xlsx) for i in range(repeats)]
            wall = statistics.median(r["wall_s"] for r in runs)
            cpu = statistics.median(r["cpu_s"] for r in runs)
            rss = statistics.median(r["peak_rss_mb"] for r in runs)
            counts = runs[0]["counts"]
            out_dir = Path(tmp) / f"{size}-0"
            rows += [
                {"metric": f"generate {size}: wall time (median of {repeats})", "value": round(wall, 2), "unit": "s"},
                {"metric": f"generate {size}: CPU time", "value": round(cpu, 2), "unit": "s"},
                {"metric": f"generate {size}: peak memory", "value": round(rss, 1), "unit": "MiB"},
                {"metric": f"generate {size}: interactions per second", "value": round(counts["interactions"] / wall),
                 "unit": "1/s"},
                {"metric": f"generate {size}: files on disk", "value": round(_dir_mb(out_dir), 1), "unit": "MB"},
            ]
            details[size] = {"counts": counts, "runs": runs}
            if size == "small":
                from nabiyam.world.stats import ranking_baselines

                b = ranking_baselines(out_dir)
                details["small_ranking"] = b
                for name in ("oracle", "popularity", "nearest", "random"):
                    rows.append({"metric": f"small world, last 20% of sessions: {name} session AUC",
                                 "value": b[f"{name}_session_auc"], "unit": "AUC"})
                    rows.append({"metric": f"small world, last 20% of sessions: {name} NDCG@5",
                                 "value": b[f"{name}_ndcg5"], "unit": "NDCG"})
                rows.append({"metric": "small world: popularity AUC / oracle AUC",
                             "value": round(b["popularity_session_auc"] / b["oracle_session_auc"], 3), "unit": "ratio"})
            for r in runs:
                r.pop("counts", None)
    return {"section": SECTION, "seed": SEED, "cpus_used": 2, "rows": rows, "details": details}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), ensure_ascii=False, indent=2))
