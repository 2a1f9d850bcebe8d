"""Infrastructure figures: local-stack start, storage round trips over HTTP, Lambda sizes.

The local stack is what `make run` and every test session start; the sizes are what AWS
limits (250 MB unzipped per function with its layers) and what a cold start loads.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import row, timeit

SECTION = "infra"


def _stack_start(tmp: Path) -> tuple[float, float, Any, str]:
    from nabiyam.infra.local_stack import provision_stack, start_server
    from nabiyam.settings import Settings

    t0 = time.perf_counter()
    proc, endpoint = start_server(log_path=tmp / "moto.log")
    t1 = time.perf_counter()
    provision_stack(endpoint, Settings(state_dir=tmp))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, proc, endpoint


def run(quick: bool) -> dict[str, Any]:
    import os

    from nabiyam import aws
    from nabiyam.infra.local_stack import LOCAL_CREDENTIALS, stop_process
    from nabiyam.settings import get_settings

    rows = []
    starts, provisions = [], []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for i in range(1 if quick else 3):
            sub = tmp / f"s{i}"
            sub.mkdir()
            start_s, prov_s, proc, endpoint = _stack_start(sub)
            starts.append(start_s)
            provisions.append(prov_s)
            if i < (0 if quick else 2):
                stop_process(proc.pid)
        rows.append(row("moto server start (median)", sorted(starts)[len(starts) // 2], "s"))
        rows.append(row("create template resources (median)", sorted(provisions)[len(provisions) // 2], "s"))

        # storage round trips over HTTP against the last server
        os.environ.update({**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "NABIYAM_STATE_DIR": str(tmp)})
        get_settings.cache_clear()
        aws.reset_clients()
        try:
            rows += _storage_rows(quick)
            rows += _registry_rows(quick, tmp)
        finally:
            stop_process(proc.pid)
            os.environ.pop("AWS_ENDPOINT_URL", None)

    rows += _size_rows(quick)
    return {"rows": rows, "notes": "Storage timings are over HTTP to a local moto server (not DynamoDB latency)."}


def _storage_rows(quick: bool) -> list[dict[str, Any]]:
    from pydantic import BaseModel

    from nabiyam.settings import get_settings
    from nabiyam.storage.dynamo import TableRepository

    class Row(BaseModel):
        user_id: str
        sk: str
        shop_id: str
        score: float

    repo = TableRepository(get_settings().interactions_table, Row, hash_key="user_id", range_key="sk",
                           indexes={"by_shop": ("shop_id", "sk")})
    n = 250 if quick else 2000
    items = [Row(user_id="bench", sk=f"{i:06d}", shop_id=f"s{i % 10}", score=i / n) for i in range(n)]
    t_batch = timeit(lambda: repo.batch_put(items), repeats=1 if quick else 3, warmup=0)
    one = Row(user_id="solo", sk="x", shop_id="s0", score=0.5)
    t_put = timeit(lambda: repo.put(one), repeats=20 if quick else 100)
    t_get = timeit(lambda: repo.get("solo", "x"), repeats=20 if quick else 100)
    t_query = timeit(lambda: list(repo.query("bench", page_size=100)), repeats=2 if quick else 5)
    return [
        row("put_item latency (median)", t_put.median_ms, "ms"),
        row("get_item latency (median)", t_get.median_ms, "ms"),
        row(f"batch_put {n} items", n / t_batch.median, "items/s"),
        row(f"query {n} items in pages of 100", t_query.median_ms, "ms"),
    ]


def _registry_rows(quick: bool, tmp: Path) -> list[dict[str, Any]]:
    """What a cold Lambda pays to get a verified model, against a warm container's cache hit."""
    import os as _os
    import shutil

    from benchmarks.harness import ratio
    from nabiyam import registry

    size_mb = 4 if quick else 32
    src = tmp / "model"
    src.mkdir()
    (src / "model.onnx").write_bytes(_os.urandom(size_mb * 1024 * 1024))
    (src / "meta.json").write_text("{}")
    registry.promote("benchmodel", registry.publish("benchmodel", src, {}))
    cache = tmp / "cache"

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        registry.fetch("benchmodel", cache)

    t_cold = timeit(cold, repeats=3 if quick else 5)
    t_warm = timeit(lambda: registry.fetch("benchmodel", cache), repeats=5 if quick else 20)
    return [
        row(f"registry fetch {size_mb} MB model, empty cache", t_cold.median_ms, "ms"),
        row(f"registry fetch {size_mb} MB model, cached (sha256 re-verified)", t_warm.median_ms, "ms"),
        row("registry fetch cached / empty cache", ratio(t_warm.median, t_cold.median), "ratio"),
    ]


def _size_rows(quick: bool) -> list[dict[str, Any]]:
    from nabiyam.infra.sam_build_check import measure, run_build
    from nabiyam.infra.template import default_template_path, load_template

    template_path = default_template_path()
    with tempfile.TemporaryDirectory() as tmp_name:
        build_dir = Path(tmp_name) / "build"
        seconds = run_build(template_path, build_dir, cached=False)
        sizes = measure(load_template(template_path), build_dir)
    rows = [row("sam build (no container, no cache)", seconds, "s")]
    for s in sizes:
        rows.append(row(f"{s.function} unzipped with layers", s.total_mb, "MB", limit_mb=250))
    return rows
