"""Traffic simulator figures.

1. The handler path: simulated conversations per second through the real API Lambda handler
   in process (Mangum → FastAPI → pipeline → DynamoDB of a moto server on loopback, with every
   feedback POST and retry), the export-logs job's rows per second for that day, and the time
   one large day would take on this path (projected: ~5 conversations/s, mostly moto).
   Ranker: the funnel-score blend; NLU: rules.
2. The large day, run: one day of ≥ 100,000 conversations (80,000 sessions) on the small world
   (``var/world-small``, generated with seed 7 when missing) through the bulk path
   (``--bulk``: the same pipeline and feedback service in process, records straight to the
   lake partitions; tests/simulate/test_bulk.py proves it writes the same records as the
   handler path) in 2 worker processes, the lake in a temporary local directory. Ranker and
   NLU: ``artifacts/ranker`` and ``artifacts/nlu`` when trained there, else the funnel blend
   and rules (the row says which). Reported: wall time, conversations/s, and the CPU seconds
   of all processes (on a shared machine, CPU s / 2 is what the day costs 2 idle cores).
   ``--quick``: the tiny world, 1,500 sessions.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.harness import peak_rss_mb, row

SECTION = "simulate"
LARGE_DAY = 100_000
LARGE_DAY_SESSIONS = 80_000   # ~1.3 conversations per session (greetings, chit-chat, follow-ups, thanks)
QUICK_SESSIONS = 1_500
WORKERS = 2
TARGET_S = 600.0
REPO = Path(__file__).resolve().parents[1]


def _stack(tmp: Path) -> Any:
    from nabiyam import aws
    from nabiyam.infra.local_stack import LOCAL_CREDENTIALS, LocalStack, provision_stack, start_server
    from nabiyam.settings import Settings, get_settings

    proc, endpoint = start_server(log_path=tmp / "moto.log")
    settings = Settings(state_dir=tmp)
    spec, _ = provision_stack(endpoint, settings)
    os.environ.update({**LocalStack(endpoint=endpoint, pid=proc.pid, env=spec.env).process_env(settings.region),
                       **LOCAL_CREDENTIALS, "NABIYAM_STATE_DIR": str(tmp), "POWERTOOLS_LOG_LEVEL": "WARNING",
                       "POWERTOOLS_METRICS_DISABLED": "true"})
    get_settings.cache_clear()
    aws.reset_clients()
    return proc


def _artifact(name: str) -> Path | None:
    path = REPO / "artifacts" / name
    return path if (path / "model.onnx").exists() else None


def large_day(quick: bool) -> list[dict[str, Any]]:
    import resource

    from nabiyam.settings import get_settings
    from nabiyam.simulate import Scenario, SimConfig, simulate
    from nabiyam.world import generate

    with tempfile.TemporaryDirectory(prefix="bench-sim-bulk-") as d:
        tmp = Path(d)
        if quick:
            world = tmp / "world"
            generate("tiny", 7, world)
        else:
            world = REPO / "var" / "world-small"
            if not (world / "world.json").exists():
                generate("small", 7, world)
        sessions = QUICK_SESSIONS if quick else LARGE_DAY_SESSIONS
        ranker, nlu = _artifact("ranker"), _artifact("nlu")
        config = SimConfig(world=world, days=1, start=date(2026, 11, 2), out=tmp / "sim", per_day=sessions,
                           scenario=Scenario("steady"), seed=7, ranker_dir=ranker, nlu_dir=nlu, bulk=True,
                           lake=tmp / "lake", workers=WORKERS)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = time.process_time()
        started = time.perf_counter()
        result = simulate(config, get_settings())
        wall = time.perf_counter() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (time.process_time() - cpu0 + children.ru_utime - children0.ru_utime
               + children.ru_stime - children0.ru_stime)
        lake_mb = sum(p.stat().st_size for p in (tmp / "lake").rglob("*") if p.is_file()) / 1e6
    totals = result.manifest["totals"]
    turns = totals["turns"]
    written = result.manifest["bulk_written"]
    rows = sum(v["conversations"] for v in written.values())
    models = {"ranker": str(ranker) if ranker else "funnel blend", "nlu": str(nlu) if nlu else "rules"}
    target = {} if quick else {"target_s": TARGET_S, "meets_target": wall <= TARGET_S and turns >= LARGE_DAY,
                               "meets_target_on_idle_2_cores": cpu / WORKERS <= TARGET_S and turns >= LARGE_DAY}
    return [
        row("large_day_wall_s", wall, "s", world=result.manifest["world_manifest"]["size"], sessions=sessions,
            conversations=turns, lake_conversation_rows=rows, workers=WORKERS, transport="bulk", **models, **target),
        row("large_day_conversations_per_s", turns / wall, "conv/s", conversations=turns),
        row("large_day_cpu_s", cpu, "s", note="all processes; / 2 = the wall time on 2 idle cores",
            idle_2_core_wall_s=round(cpu / WORKERS, 1)),
        row("large_day_lake_mb", lake_mb, "MB", feedback_rows=sum(v["feedback"] for v in written.values())),
        row("large_day_errors", totals["errors"], "count"),
    ]


def run(quick: bool) -> dict[str, Any]:
    from nabiyam.infra.local_stack import stop_process
    from nabiyam.lake import export_day
    from nabiyam.settings import get_settings
    from nabiyam.simulate import Scenario, SimConfig, simulate
    from nabiyam.world import generate

    size, sessions = ("tiny", 40) if quick else ("small", 300)
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as d:
        tmp = Path(d)
        proc = _stack(tmp)
        try:
            generate(size, 7, tmp / "world")
            day = date(2026, 11, 2)
            config = SimConfig(world=tmp / "world", days=1, start=day, out=tmp / "sim", per_day=sessions,
                               scenario=Scenario("steady"), seed=7, ranker_dir=None, nlu_dir=None, export=False)
            started = time.perf_counter()
            cpu0 = time.process_time()
            result = simulate(config, get_settings())
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu0
            started = time.perf_counter()
            exported = export_day(day, get_settings())
            export_s = time.perf_counter() - started
        finally:
            stop_process(proc.pid)
    totals = result.manifest["totals"]
    turns = totals["turns"]
    requests = result.manifest["requests"]
    rate = turns / wall
    rows_out = exported["conversations"]["rows"] + exported["feedback"]["rows"]
    projected = LARGE_DAY / rate + LARGE_DAY / max(exported["conversations"]["rows"] / export_s, 1e-9)
    return {"world": size, "sessions": sessions, "rows": large_day(quick) + [
        row("conversations_per_s_in_process", rate, "conv/s", world=size, conversations=turns, wall_s=round(wall, 2),
            cpu_s=round(cpu, 2)),
        row("requests_per_s_in_process", requests / wall, "req/s", requests=requests,
            note="chat turns + feedback POSTs + retries, each through the Lambda handler"),
        row("ms_per_conversation", 1000 * wall / turns, "ms"),
        row("export_rows_per_s", rows_out / export_s, "rows/s", rows=rows_out, seconds=round(export_s, 2)),
        row("handler_path_large_day_projected_s", projected, "s", conversations=LARGE_DAY, target_s=TARGET_S,
            meets_target=projected <= TARGET_S, projected=True),
        row("peak_rss", peak_rss_mb(), "MB"),
    ]}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2))
