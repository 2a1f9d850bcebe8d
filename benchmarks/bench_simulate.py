"""Traffic simulator figures: simulated conversations per second through the real API Lambda
handler in process (Mangum → FastAPI → pipeline → DynamoDB of a moto server on loopback, with
every feedback POST and retry), the export-logs job's rows per second for that day, and the
time one large day (100,000 conversations) would take on this path.

The large day is projected from the measured rate, not run: at the measured rates the
handler path (one DynamoDB round trip per turn, two writes and an S3 object per feedback
event, to a single-threaded moto server) does not reach 100,000 conversations in 10 minutes,
and no bulk path exists yet (see the report of issue 10). Ranker: the funnel-score blend
(no trained artifact for the generated world); NLU: rules.
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
TARGET_S = 600.0


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
    return {"world": size, "sessions": sessions, "rows": [
        row("conversations_per_s_in_process", rate, "conv/s", world=size, conversations=turns, wall_s=round(wall, 2),
            cpu_s=round(cpu, 2)),
        row("requests_per_s_in_process", requests / wall, "req/s", requests=requests,
            note="chat turns + feedback POSTs + retries, each through the Lambda handler"),
        row("ms_per_conversation", 1000 * wall / turns, "ms"),
        row("export_rows_per_s", rows_out / export_s, "rows/s", rows=rows_out, seconds=round(export_s, 2)),
        row("large_day_projected_s", projected, "s", conversations=LARGE_DAY, target_s=TARGET_S,
            meets_target=projected <= TARGET_S, projected=True),
        row("peak_rss", peak_rss_mb(), "MB"),
    ]}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2))
