"""API figures: /chat compute (NLU + recommend + NLG in process, no log write; wall and CPU
time), warm /chat latency through the Lambda handler (Mangum, in process), cold start in a
fresh process (import + runtime load + first request), and the API function's package size
(function + layers, unzipped, from `sam build`). Issue 15's before/after table of the hot
path is in benchmarks/HOT_PATH.md.

Real parts throughout: a moto server on loopback with the template's tables/buckets, a
generated world whose catalogue snapshot is in the artifacts bucket, and the trained
models from ./artifacts when present (else the rules / funnel-blend fallbacks, reported).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import percentile, row

SECTION = "api"
REPO = Path(__file__).resolve().parents[1]
# Trained models to serve (`make run` puts them in ./artifacts); override with NABIYAM_BENCH_ARTIFACTS.
ARTIFACTS = Path(os.environ.get("NABIYAM_BENCH_ARTIFACTS", REPO / "artifacts"))
MESSAGES = [
    "만원으로 치킨 먹을 수 있는 곳 있어?", "아이랑 갈만한 건강한 저녁 식당 추천해줘", "떡볶이 먹고 싶어",
    "8천원으로 점심 뭐 먹지", "근처 짜장면 집 알려줘", "안 매운 음식 추천해줘", "친구랑 피자 먹을래",
    "배고파", "7,000원으로 김밥", "만오천원으로 가족이랑 저녁", "햄버거 먹고싶다", "돈까스 어디가 맛있어?",
    "안녕", "고마워 맛있었어", "오늘 날씨 어때", "착한가게 중에 분식집", "야식으로 치킨", "간식 뭐 먹지",
    "관악구 칼국수", "5천원 이하로 먹을 수 있는 거",
]
_COLD = r"""
import base64, json, sys, time
t0 = time.perf_counter()
import importlib.util
spec = importlib.util.spec_from_file_location("api_app", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
t1 = time.perf_counter()
event = json.loads(open(sys.argv[2]).read())
class Ctx:
    function_name = "nabiyam-dev-api"; memory_limit_in_mb = 1769; aws_request_id = "cold"
    invoked_function_arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:nabiyam-dev-api"
out = mod.handler(event, Ctx())
t2 = time.perf_counter()
print("COLD " + json.dumps({"import_and_load_s": t1 - t0, "first_request_s": t2 - t1, "status": out["statusCode"],
                            "runtime_load_ms": mod.RUNTIME.load_ms, "torch_loaded": "torch" in sys.modules}))
"""


_COMPUTE_COLD = r"""
import json, sys, time
t0 = time.perf_counter()
from nabiyam.chat.pipeline import ChatPipeline
from nabiyam.domain.recommendation import RequestContext
from nabiyam.runtime import load_runtime
from nabiyam.settings import Settings
rt = load_runtime(Settings(), catalogue=sys.argv[1], nlu_dir=sys.argv[2] or None, ranker_dir=sys.argv[3] or None)
pipe = ChatPipeline(rt, None)
turn = pipe.handle("u_cold", "만원으로 치킨 먹을 수 있는 곳 있어?", RequestContext(district="관악구"))
print("COLD " + json.dumps({"s": time.perf_counter() - t0, "cpu_s": time.process_time(), "items": len(turn.items)}))
"""


def compute_rows(world_dir: Path, artifacts: Path, n: int = 1000, cold_repeats: int = 3) -> list[dict[str, Any]]:
    """/chat compute without I/O: `ChatPipeline.handle` (NLU + recommend + NLG) with no
    conversation store, in process, on `world_dir`'s catalogue and the trained models in
    `artifacts` (falls back when absent), plus a cold start in a fresh interpreter
    (import + runtime load + first answer). The log write is measured by `_warm`."""
    from datetime import datetime, timedelta

    from nabiyam.chat.pipeline import ChatPipeline
    from nabiyam.domain.hours import KST
    from nabiyam.domain.recommendation import RequestContext
    from nabiyam.observability import logger
    from nabiyam.recsys.catalogue import CatalogueIndex
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import Settings
    from nabiyam.world import read_world

    logger.setLevel("WARNING")
    nlu_dir = artifacts / "nlu" if (artifacts / "nlu" / "model.onnx").exists() else None
    ranker_dir = artifacts / "ranker" if (artifacts / "ranker" / "model.onnx").exists() else None
    catalogue = CatalogueIndex.from_world_dir(world_dir)
    rt = load_runtime(Settings(), catalogue=catalogue, nlu_dir=nlu_dir, ranker_dir=ranker_dir)
    pipe = ChatPipeline(rt, None)
    users = [u.user_id for u in read_world(world_dir).users][:200]
    base = datetime(2026, 3, 4, 8, 0, tzinfo=KST)
    calls = [(users[i % len(users)], MESSAGES[i % len(MESSAGES)],
              RequestContext(district="관악구", at=base + timedelta(minutes=41 * i))) for i in range(n + 50)]
    for user, message, ctx in calls[:50]:
        pipe.handle(user, message, ctx)
    totals: list[float] = []
    cpu: list[float] = []  # CPU time of the process (all threads): robust to other load on a shared machine
    for user, message, ctx in calls[50:]:
        t, c = time.perf_counter(), time.process_time()
        pipe.handle(user, message, ctx)
        cpu.append((time.process_time() - c) * 1000)
        totals.append((time.perf_counter() - t) * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = catalogue.to_snapshot(Path(tmp) / "catalogue.json.gz")
        colds: list[float] = []
        cold_cpu: list[float] = []
        for _ in range(cold_repeats):
            out = subprocess.run([sys.executable, "-c", _COMPUTE_COLD, str(snapshot), str(nlu_dir or ""),
                                  str(ranker_dir or "")], capture_output=True, text=True, timeout=300, check=False,
                                 env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"})
            line = next((x for x in out.stdout.splitlines() if x.startswith("COLD ")), None)
            if line is None:
                raise RuntimeError(f"cold compute child failed: {(out.stdout + out.stderr)[-2000:]}")
            data = json.loads(line[5:])
            colds.append(data["s"])
            cold_cpu.append(data["cpu_s"])
    models = f"nlu={'onnx' if nlu_dir else 'rules'} ranker={'onnx' if ranker_dir else 'fallback'}"
    return [row("/chat compute p50 (NLU + recommend + NLG, no log write)", percentile(totals, 50), "ms", n=len(totals),
                models=models),
            row("/chat compute p99", percentile(totals, 99), "ms"),
            row("/chat compute CPU time p50", percentile(cpu, 50), "ms", n=len(cpu)),
            row("/chat compute CPU time p99", percentile(cpu, 99), "ms"),
            row("cold start: import + load + first answer (fresh process)", statistics.median(colds), "s",
                n=cold_repeats),
            row("cold start: CPU time", statistics.median(cold_cpu), "s")]


def _event(template: dict[str, Any], user: str, message: str) -> dict[str, Any]:
    evt = json.loads(json.dumps(template))
    body = {"user_id": user, "message": message, "context": {"district": "관악구"}}
    evt["body"] = base64.b64encode(json.dumps(body, ensure_ascii=False).encode()).decode()
    return evt


def _setup(tmp: Path, size: str) -> tuple[Any, dict[str, str], list[str], dict[str, str]]:
    from nabiyam import aws
    from nabiyam.infra.local_stack import LOCAL_CREDENTIALS, LocalStack, provision_stack, start_server
    from nabiyam.recsys.catalogue import CatalogueIndex
    from nabiyam.settings import Settings, get_settings
    from nabiyam.world import generate, read_world

    proc, endpoint = start_server(log_path=tmp / "moto.log")
    settings = Settings(state_dir=tmp)
    spec, _ = provision_stack(endpoint, settings)
    env = {**LocalStack(endpoint=endpoint, pid=proc.pid, env=spec.env).process_env(settings.region),
           **LOCAL_CREDENTIALS, "NABIYAM_STATE_DIR": str(tmp), "NABIYAM_MODEL_CACHE_DIR": str(tmp / "cache"),
           "NABIYAM_ARTIFACTS_DIR": str(ARTIFACTS), "POWERTOOLS_LOG_LEVEL": "WARNING",
           "POWERTOOLS_METRICS_DISABLED": "true"}
    os.environ.update(env)
    get_settings.cache_clear()
    aws.reset_clients()
    generate(size, 7, tmp / "world")
    world = read_world(tmp / "world")
    snapshot = CatalogueIndex.from_world_dir(tmp / "world").to_snapshot(tmp / "current.json.gz")
    aws.client("s3").put_object(Bucket=get_settings().artifacts_bucket, Key="catalogue/current.json.gz",
                                Body=snapshot.read_bytes())
    users = [u.user_id for u in world.users][:200]
    models = {name: ("trained" if (ARTIFACTS / name / "model.onnx").exists() else "fallback")
              for name in ("nlu", "ranker")}
    return proc, env, users, models


def _warm(n: int, users: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import importlib.util

    from nabiyam import runtime as runtime_mod
    from nabiyam.observability import logger

    logger.setLevel("WARNING")
    runtime_mod.set_runtime(None)
    spec = importlib.util.spec_from_file_location("bench_api_app", REPO / "functions" / "api" / "app.py")
    module = importlib.util.module_from_spec(spec)
    assert spec and spec.loader
    spec.loader.exec_module(module)
    template = json.loads((REPO / "events" / "chat.json").read_text())

    class Ctx:
        function_name, memory_limit_in_mb, aws_request_id = "nabiyam-dev-api", 1769, "bench"
        invoked_function_arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:nabiyam-dev-api"

    events = [_event(template, users[i % len(users)], MESSAGES[i % len(MESSAGES)]) for i in range(n + 50)]
    for evt in events[:50]:  # warm-up
        module.handler(evt, Ctx())
    latencies, stages, statuses = [], {}, []
    devnull = open(os.devnull, "w")  # noqa: SIM115 - EMF metric lines would flood the report
    saved = sys.stdout
    try:
        sys.stdout = devnull
        for evt in events[50:]:
            t = time.perf_counter()
            out = module.handler(evt, Ctx())
            latencies.append((time.perf_counter() - t) * 1000)
            statuses.append(out["statusCode"])
            body = json.loads(out["body"])
            for stage, ms in body.get("latency_ms", {}).items():
                stages.setdefault(stage, []).append(ms)
    finally:
        sys.stdout = saved
        devnull.close()
        runtime_mod.set_runtime(None)
    rows = [row("warm /chat p50 (Mangum handler, in process)", percentile(latencies, 50), "ms", n=len(latencies)),
            row("warm /chat p95", percentile(latencies, 95), "ms"),
            row("warm /chat p99", percentile(latencies, 99), "ms"),
            row("warm /chat non-200 responses", sum(s != 200 for s in statuses), "count")]
    for stage in ("nlu", "recommend", "nlg", "log"):
        if stage in stages:
            rows.append(row(f"warm /chat stage {stage} (median)", statistics.median(stages[stage]), "ms"))
    return rows, {"versions": module.RUNTIME.versions}


def _cold(env: dict[str, str], repeats: int, tmp: Path) -> list[dict[str, Any]]:
    evt = _event(json.loads((REPO / "events" / "chat.json").read_text()), "u_cold", MESSAGES[0])
    (tmp / "cold_event.json").write_text(json.dumps(evt))
    results = []
    for i in range(repeats):
        child_env = {**os.environ, **env, "NABIYAM_MODEL_CACHE_DIR": str(tmp / f"cold-cache-{i}")}  # empty /tmp
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _COLD, str(REPO / "functions" / "api" / "app.py"),
                              str(tmp / "cold_event.json")], env=child_env, capture_output=True, text=True,
                             timeout=300, check=False)
        wall = time.perf_counter() - t
        line = next((x for x in out.stdout.splitlines() if x.startswith("COLD ")), None)
        if line is None:
            raise RuntimeError(f"cold-start child failed: {(out.stdout + out.stderr)[-2000:]}")
        data = json.loads(line[5:])
        data["wall_s"] = wall
        results.append(data)
    med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    return [row("cold start: import + runtime load (fresh process)", med("import_and_load_s"), "s", n=repeats),
            row("cold start: of which runtime load (models + catalogue)", med("runtime_load_ms"), "ms"),
            row("cold start: first request", med("first_request_s") * 1000, "ms"),
            row("cold start: process wall time incl. interpreter start", med("wall_s"), "s"),
            row("cold start: torch imported", sum(r["torch_loaded"] for r in results), "count")]


def _size_rows() -> list[dict[str, Any]]:
    from nabiyam.infra.sam_build_check import measure, run_build
    from nabiyam.infra.template import default_template_path, load_template

    template = load_template(default_template_path())
    build_dir = REPO / ".aws-sam" / "build"
    if not (build_dir / "ApiFunction").exists():
        run_build(default_template_path(), build_dir, cached=True)
    api = next(s for s in measure(template, build_dir) if s.function == "ApiFunction")
    rows = [row("ApiFunction code (unzipped)", api.code_mb, "MB")]
    for layer, mb in api.layers.items():
        rows.append(row(f"ApiFunction layer {layer} (unzipped)", mb, "MB"))
    rows.append(row("ApiFunction total with layers (unzipped)", api.total_mb, "MB", limit_mb=250))
    return rows


def run(quick: bool) -> dict[str, Any]:
    from nabiyam import aws
    from nabiyam.infra.local_stack import stop_process
    from nabiyam.settings import get_settings

    saved = dict(os.environ)
    rows: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, env, users, models = _setup(tmp, "tiny" if quick else "small")
        info["models"] = models
        try:
            rows += compute_rows(tmp / "world", ARTIFACTS, n=300 if quick else 1000, cold_repeats=1 if quick else 3)
            warm_rows, extra = _warm(1000, users)
            rows += warm_rows
            info.update(extra)
            rows += _cold(env, 1 if quick else 3, tmp)
        finally:
            stop_process(proc.pid)
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
            aws.reset_clients()
    try:
        rows += _size_rows()
    except Exception as exc:  # noqa: BLE001 - sizes need sam; report, don't lose the latency rows
        info["size_error"] = f"{type(exc).__name__}: {exc}"
    return {"rows": rows, **info}
