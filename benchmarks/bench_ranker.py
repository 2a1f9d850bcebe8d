"""Recommender figures: ranker scoring of 100 candidates (onnxruntime vs the same model in
torch, as a ratio), Layer-1 candidate generation, end-to-end `recommend`, training
throughput on CPU, one training step the trainer's way against the plain way (per-row query
embedding and torch's dropout) side by side, and ranking quality against the oracle and the
baselines.

Quick: the tiny world, 4 epochs. Full: the small world (`make run`'s), 8 epochs max."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.harness import ratio, row, timeit

SECTION = "ranker"


def _train_step_timings(arrays: dict, sizes: dict[str, int], repeats: int) -> list[dict[str, Any]]:
    """Milliseconds per training step (forward, BCE, backward, Adam + SparseAdam) on the same
    session-grouped rows, three ways in one process: the trainer's (a session's query
    embedded once, `model.Dropout`), the query per row, and the query per row with
    `nn.Dropout` (torch's bernoulli_) as well."""
    import numpy as np
    import torch
    from torch import nn

    from nabiyam.recsys.features import INPUT_NAMES
    from training_jobs.ranker.model import Dropout, WideDeep
    from training_jobs.ranker.trainer import _groups, batch_inputs

    groups = torch.as_tensor(_groups(arrays))
    per_group = max(1, 2048 // groups.shape[1])
    t = {k: torch.as_tensor(arrays[k]) for k in INPUT_NAMES}
    y = torch.as_tensor(arrays["label"]).float()
    blocks = [groups[a : a + per_group] for a in range(0, min(len(groups), 64 * per_group), per_group)]

    def stepper(once: bool, torch_dropout: bool):
        torch.manual_seed(0)
        model = WideDeep(sizes, dropout=0.4).train()
        if torch_dropout:
            for i, m in enumerate(model.deep):
                if isinstance(m, Dropout):
                    model.deep[i] = nn.Dropout(m.p)
        dense = [p for name, p in model.named_parameters() if not name.startswith("query.")]
        opts = [torch.optim.Adam(dense, lr=4e-3), torch.optim.SparseAdam([model.query.weight], lr=4e-3)]
        loss_fn = nn.BCEWithLogitsLoss()
        k = iter(range(10**9))

        def step() -> None:
            block = blocks[next(k) % len(blocks)]
            inputs, index = batch_inputs(t, block, once)
            for opt in opts:
                opt.zero_grad()
            z = model.logits(*(inputs[name] for name in INPUT_NAMES), query_index=index)
            loss_fn(z, y[block[block >= 0]]).backward()
            for opt in opts:
                opt.step()

        return step

    ways = {"trainer": stepper(True, False), "query_per_row": stepper(False, False),
            "query_per_row_torch_dropout": stepper(False, True)}
    ms = {name: timeit(step, repeats=repeats, warmup=3).median_ms for name, step in ways.items()}
    rows_per_step = float(np.mean([int((b >= 0).sum()) for b in blocks]))
    return [row(f"train_step_{name}", round(v, 2), "ms", rows=round(rows_per_step)) for name, v in ms.items()] + [
        row("train_step_plain_over_trainer", round(ratio(ms["query_per_row_torch_dropout"], ms["trainer"]), 2), "x")]


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
        step_rows = _train_step_timings(result["val_arrays"], result["manifest"]["vocab_sizes"],
                                        repeats=20 if quick else 60)
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
            *step_rows,
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
