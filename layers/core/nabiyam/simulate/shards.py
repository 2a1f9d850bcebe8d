"""Bulk simulation in worker processes (``SimConfig(bulk=True, workers=n)``).

Every worker draws the same sessions (the world's behaviour model, seeded by day) and serves
only the people of its shard (:func:`~nabiyam.simulate.runner.shard_of`: a stable hash of
``user_id``), so each person's sessions run in order in one process. Every session's random
draws are seeded by (seed, day, session index), so a session reacts the same in any worker:
the records, the truth and the figures do not depend on the number of workers (only the
service's own conversation ids and latencies differ, as between any two runs). Each worker
writes its records to its own lake and truth directory under ``OUT/shards/<k>/``; the parent
then merges them into the run's lake (:func:`nabiyam.lake.write_partition`, the same writer)
and truth files, in the single process's order, and removes the shard directories.

The workers are forked from the parent after it loaded the world and the catalogue, so
neither is loaded twice; the service (models) is loaded by each worker.
"""

from __future__ import annotations

import copy
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from nabiyam.lake import KINDS, open_store, read_day, write_partition
from nabiyam.simulate.runner import TALLY_KEYS, DayTally, SimResult, Simulation
from nabiyam.simulate.truth import TruthRow, read_truth, truth_path, write_truth

_PARENT: Simulation | None = None   # set before the fork; each worker copies it


def _worker(k: int, n: int) -> dict[str, Any]:
    assert _PARENT is not None, "workers are forked from run_sharded"
    sim = copy.copy(_PARENT)
    out = _PARENT.out / "shards" / str(k)
    sim.config = replace(_PARENT.config, out=out, lake=out / "lake", progress=False, workers=1)
    sim.out = out
    out.mkdir(parents=True, exist_ok=True)
    sim.shard = (k, n)
    sim.favorited, sim.runtimes, sim.bulk_written = set(), {}, {}
    return sim.run().manifest


def run_sharded(sim: Simulation) -> SimResult:
    """Run ``sim`` (bulk) in ``sim.config.workers`` processes and merge what they wrote."""
    global _PARENT
    cfg = sim.config
    n = cfg.workers
    root = sim.out / "shards"
    if root.exists():
        shutil.rmtree(root)
    sim._catalogue_index()   # loaded once, before the fork (the world is loaded already)
    _PARENT = sim
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork")) as pool:
            manifests = list(pool.map(_worker, range(n), [n] * n))
    finally:
        _PARENT = None
    # The lake: each day's rows from every shard, one partition written by the same writer.
    target = open_store(cfg.lake, sim.settings)
    days = sorted({d for m in manifests for d in (m["bulk_written"] or {})})
    for day in days:
        sim.bulk_written[day] = {}
        for kind in KINDS:
            rows = [r for k in range(n) for r in read_day(kind, day, source=root / str(k) / "lake")]
            sim.bulk_written[day][kind] = write_partition(kind, day, rows, target).rows  # type: ignore[arg-type]
    # The truth: the single process's order (session index, then turn order; write_truth sorts by time).
    truth_days = sorted({p.parent.name.removeprefix("dt=") for k in range(n)
                         for p in (root / str(k)).glob("truth/dt=*/truth.jsonl")})
    for day in truth_days:
        rows: list[TruthRow] = []
        for k in range(n):
            if truth_path(root / str(k), day).exists():
                rows.extend(read_truth(root / str(k), day))
        write_truth(sim.out, day, sorted(rows, key=lambda r: r.session_id))
    # The figures: each day's tallies summed over the shards.
    summaries: list[dict[str, Any]] = []
    for d, first in enumerate(manifests[0]["day_summaries"]):
        tally = DayTally(day=first["day"], broken=first["broken"])
        for m in manifests:
            for key in TALLY_KEYS:
                setattr(tally, key, getattr(tally, key) + m["day_summaries"][d][key])
        summaries.append(tally.summary())
    sim.runtimes = manifests[0]["runtimes"]
    sim.requests = sum(m["requests"] for m in manifests)
    shutil.rmtree(root)
    return sim.finish(summaries)
