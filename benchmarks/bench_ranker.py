"""Recommender figures: ranker scoring of 100 candidates (onnxruntime vs the same model in
torch, as a ratio), Layer-1 candidate generation, end-to-end `recommend`, training
throughput on CPU, and ranking quality against the oracle and the baselines.

Quick: the tiny world, 4 epochs. Full: the small world (`make run`'s), 8 epochs max."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.harness import ratio, row, timeit

SECTION = "ranker"


def run(quick: bool) -> dict[str, Any]:
    import numpy as np
    import torch

    from nabiyam.domain.hours import KST
    from nabiyam.domain.nlu import Filters
    from nabiyam.domain.recommendation import RequestContext
    from nabiyam.recsys import CatalogueIndex, Recommender
    from nabiyam.recsys.features import INPUT_NAMES
    from nabiyam.world import generate
    from training_jobs.ranker.job import run as train

    size, epochs = ("tiny", 4) if quick else ("small", 8)
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / size
        generate(size, 7, world)
        result = train(world, Path(tmp) / "ranker", epochs=epochs, quick=quick, progress=False, deep_only=True)
        catalogue = CatalogueIndex.from_world_dir(world)
        rec = Recommender.load(result["out_dir"], catalogue)
        model = result["model"].cpu().eval()
        torch.set_num_threads(1)  # same single thread onnxruntime gets in Lambda

        user = next(iter(rec.store.users))
        base = datetime(2026, 3, 4, 12, 0, tzinfo=KST)
        contexts = [RequestContext(district="관악구", at=base + timedelta(minutes=37 * i)) for i in range(20)]
        filters = Filters()
        req, profile = rec.resolve(user, filters, contexts[0], semantic_query="친구랑 떡볶이")
        layer1, _ = rec.layer1(req, profile)
        # 100 candidates: the serving cap (repeat the eligible ones when the world is smaller)
        positions = np.resize(np.flatnonzero(layer1.eligible), 100)
        batch = rec.features(req, profile, layer1, positions)
        inputs = batch.inputs()
        tensors = tuple(torch.as_tensor(inputs[k]) for k in INPUT_NAMES)
        repeats = 50 if quick else 200

        def torch_score() -> None:
            with torch.no_grad():
                model(*tensors)

        t_ort = timeit(lambda: rec.artifacts.ranker.score(batch), repeats=repeats, warmup=5)
        t_torch = timeit(torch_score, repeats=repeats, warmup=5)
        i = iter(range(10**9))

        def candidates() -> None:
            ctx = contexts[next(i) % len(contexts)]
            r, p = rec.resolve(user, filters, ctx)
            rec.layer1(r, p)

        t_layer1 = timeit(candidates, repeats=repeats, warmup=3)
        t_e2e = timeit(lambda: rec.recommend(user, filters, contexts[next(i) % len(contexts)], "점심 뭐 먹지"),
                       repeats=repeats, warmup=3)
        metrics = result["metrics"]
        manifest = result["manifest"]
        rows = [
            row("ranker_score_100_onnxruntime", round(t_ort.median_ms, 3), "ms"),
            row("ranker_score_100_torch", round(t_torch.median_ms, 3), "ms"),
            row("ranker_torch_over_onnxruntime", round(ratio(t_torch.median, t_ort.median), 2), "x"),
            row("candidate_generation", round(t_layer1.median_ms, 3), "ms", shops=len(catalogue)),
            row("recommend_end_to_end", round(t_e2e.median_ms, 3), "ms", p95_ms=round(t_e2e.p95_ms, 3)),
            row("training_examples_per_s_cpu" if manifest["device"] == "cpu" else "training_examples_per_s",
                manifest["training"]["ranker"]["examples_per_s"], "examples/s", device=manifest["device"]),
            row("ranker_auc", metrics["ranker"]["auc"], "auc", world=size),
            row("oracle_auc", metrics["oracle"]["auc"], "auc", world=size),
            row("ranker_auc_gap_to_oracle", round(metrics["oracle"]["auc"] - metrics["ranker"]["auc"], 4), "auc"),
            *([row("bound_learnable_auc", manifest["learnability_bound"]["learnable"]["auc"], "auc", world=size),
               row("ranker_auc_minus_bound", round(metrics["ranker"]["auc"]
                                                   - manifest["learnability_bound"]["learnable"]["auc"], 4), "auc")]
              if manifest.get("learnability_bound") else []),
            row("ranker_ndcg5_over_popularity", round(ratio(metrics["ranker"]["ndcg@5"],
                                                            metrics["popularity"]["ndcg@5"]), 3), "x"),
            row("ranker_ndcg5_over_wide_only", round(ratio(metrics["ranker"]["ndcg@5"],
                                                           metrics["wide_only"]["ndcg@5"]), 3), "x"),
        ]
        return {"rows": rows, "world": size, "metrics": metrics,
                "parity_max_abs_diff": manifest["parity_max_abs_diff"]}
