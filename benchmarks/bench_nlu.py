"""NLU figures: per-utterance latency through onnxruntime (p50/p99), the full service and the
rules path, model load time, model size and accuracy on the hand-written file.

Uses the trained model in Settings.artifacts_dir/nlu when there is one; otherwise trains a
small one into a temporary directory first (the figures say which).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import percentile, row, timeit

SECTION = "nlu"
REPO = Path(__file__).resolve().parents[1]


def _model_dir(tmp: Path, quick: bool) -> tuple[Path, str]:
    from nabiyam.settings import get_settings

    local = get_settings().artifacts_dir / "nlu"
    if (local / "model.onnx").exists():
        return local, "artifacts"
    from training_jobs.nlu import job

    parser = argparse.ArgumentParser()
    job.add_arguments(parser)
    extra = ["--quick"] if quick else []
    args = parser.parse_args(["--out", str(tmp / "nlu"), "--no-progress", *extra])
    if job.main(args) != 0:
        raise RuntimeError("training the NLU model for the benchmark failed")
    return tmp / "nlu", "trained-quick" if quick else "trained-default"


def _latencies(fn, texts: list[str], rounds: int) -> list[float]:
    for t in texts[:20]:
        fn(t)
    out = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            fn(t)
            out.append(time.perf_counter() - start)
    return out


def run(quick: bool) -> dict[str, Any]:
    from nabiyam.nlu import NluService
    from nabiyam.nlu.onnx_model import OnnxNlu
    from nabiyam.nlu.rules import parse_rules
    from nabiyam.nlu.text import prepare
    from training_jobs.nlu.evaluate import evaluate, load_jsonl

    rows = [load_jsonl(REPO / "tests" / "data" / "nlu_handwritten.jsonl")][0]
    texts = [r["text"] for r in rows]
    with tempfile.TemporaryDirectory() as tmp_name:
        model_dir, origin = _model_dir(Path(tmp_name), quick)
        load = timeit(lambda: OnnxNlu(model_dir), repeats=3 if quick else 7)
        svc_load = timeit(lambda: NluService.load(model_dir), repeats=3 if quick else 7)
        model = OnnxNlu(model_dir)
        service = NluService(model)
        rounds = 2 if quick else 10
        onnx_lat = _latencies(lambda t: model.predict(prepare(t)), texts, rounds)
        svc_lat = _latencies(service.parse, texts, rounds)
        rules_lat = _latencies(parse_rules, texts, rounds)
        report = evaluate(rows, service.parse)
        size = (model_dir / "model.onnx").stat().st_size
        metrics = json.loads((model_dir / "metrics.json").read_text())

    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000.0

    out_rows = [
        row("onnx predict p50 (features + onnxruntime + decoding)", ms(onnx_lat, 50), "ms"),
        row("onnx predict p99", ms(onnx_lat, 99), "ms"),
        row("service.parse p50 (model + filters)", ms(svc_lat, 50), "ms"),
        row("service.parse p99", ms(svc_lat, 99), "ms"),
        row("rules-only parse p50", ms(rules_lat, 50), "ms"),
        row("rules-only parse p99", ms(rules_lat, 99), "ms"),
        row("model load (onnxruntime session + vocab)", load.median_ms, "ms"),
        row("NluService.load", svc_load.median_ms, "ms"),
        row("model.onnx size", size / 1e6, "MB"),
        row("hand-written intent accuracy", report["intent_accuracy"], "ratio"),
        row("hand-written filter exact match", report["filter_exact_match"], "ratio"),
        row("hand-written budget exact match", report["budget_exact_match"], "ratio"),
        row("held-out phrasings intent accuracy", metrics["test"]["intent_accuracy"], "ratio"),
        row("held-out phrasings slot span F1", metrics["test"]["slot_span_f1"], "ratio"),
        row("training time (in this run or when trained)", metrics.get("train_seconds", 0.0), "s"),
    ]
    return {"rows": out_rows, "model": origin, "model_version": model.version, "utterances": len(texts),
            "mean_chars": statistics.mean(len(t) for t in texts)}
