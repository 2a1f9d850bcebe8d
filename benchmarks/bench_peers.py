"""Our ranker beside its peers, on exactly the seed CSVs our training exports.

For each training seed: `nabiyam train ranker` (the job, with its baselines) on the world →
``recommendation_train.csv`` / ``recommendation_val.csv``; then, in their own venv
(``.venv-bench``, built by `make bench` from ``benchmarks/peers/requirements.txt``),
LightGBM (binary and LambdaRank over session groups), pytorch-widedeep ``WideDeep(Wide +
TabMlp)`` and DeepCTR-Torch ``WDL`` train on the train CSV and score every row of the val
CSV (`benchmarks/peers/peers.py`). Every model — ours included, scored by its ONNX graph
from the val CSV's columns through the serving runtime — is then scored here with the same
code (`training_jobs.ranker.metrics.ranking_metrics`): pointwise AUC over all rows, NDCG@5 and
HitRate@5 per session, plus training examples/s. Mean and spread over the seeds, with the
oracle and the world's learnability bound (`nabiyam world bound`, ``learnable``) beside.

Quick: the tiny world, one seed, 3 epochs. Full: the small world (`make run`'s), seeds 0–2.
"""

from __future__ import annotations

import csv
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import row

SECTION = "peers"
REPO = Path(__file__).resolve().parent.parent
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
PEERS = ("lightgbm_binary", "lightgbm_lambdarank", "widedeep", "deepctr_wdl")
OURS = ("ranker", "ranker_without_factors", "wide_only", "deep_only")


def score_csv_with_onnx(model_dir: Path, val_csv: Path) -> Any:
    """Our ranker's score for every row of the val CSV, from the CSV's own columns, through the
    serving runtime (ONNX + the vocabulary; OOV ids → row 0, exactly as at serving)."""
    import numpy as np

    from nabiyam.recsys.features import NUM_DIM, WIDE_DIM, FeatureBatch
    from nabiyam.recsys.ranker import MODEL_FILE, VOCAB_FILE, OnnxRanker
    from nabiyam.recsys.store import Vocab
    from nabiyam.recsys.text import QUERY_LEN, hash_ids

    vocab = Vocab.load(model_dir / VOCAB_FILE)
    with open(val_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    wide = np.array([[float(r[f"wide_feat_{i}"]) for i in range(WIDE_DIM)] for r in rows], np.float32)
    num = np.array([[float(r[f"num_feat_{i}"]) for i in range(NUM_DIM)] for r in rows], np.float32)
    queries: dict[str, np.ndarray] = {}
    query_ids = np.stack([queries.setdefault(r["semantic_query"], hash_ids(r["semantic_query"], QUERY_LEN))
                          for r in rows]) if rows else np.zeros((0, QUERY_LEN), np.int64)
    batch = FeatureBatch(
        positions=np.arange(len(rows)), wide=wide, numerical=num,
        user_id=np.array([vocab.users.get(r["user_id"], 0) for r in rows], np.int64),
        shop_id=np.array([vocab.shops.get(r["shop_id"], 0) for r in rows], np.int64),
        brand_id=np.array([vocab.brands.get(r["brand_id"], 0) for r in rows], np.int64),
        category_id=np.array([vocab.categories.get(r["category"], 0) for r in rows], np.int64),
        query_ids=query_ids.astype(np.int64))
    return OnnxRanker(model_dir / MODEL_FILE).score(batch), rows


def run(quick: bool) -> dict[str, Any]:
    import numpy as np
    import torch

    from nabiyam.domain.food import CATEGORIES
    from nabiyam.world import generate
    from training_jobs.ranker.job import run as train
    from training_jobs.ranker.metrics import ranking_metrics
    from training_jobs.ranker.trainer import predict

    if not BENCH_PYTHON.exists():
        raise RuntimeError(f"{BENCH_PYTHON} is missing: `make bench` builds .venv-bench from "
                           "benchmarks/peers/requirements.txt")
    size, epochs, seeds = ("tiny", 3, (0,)) if quick else ("small", 8, (0, 1, 2))
    per_seed: list[dict[str, dict[str, float]]] = []
    bounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / size
        generate(size, 7, world)
        for seed in seeds:
            out = Path(tmp) / f"ranker-{seed}"
            result = train(world, out, epochs=epochs, quick=quick, seed=seed, progress=False, deep_only=True)
            manifest = result["manifest"]
            bounds.append(manifest["learnability_bound"])
            val_csv, train_csv = out / "recommendation_val.csv", out / "recommendation_train.csv"
            onnx_scores, rows = score_csv_with_onnx(out, val_csv)
            session = np.unique([r["session_id"] for r in rows], return_inverse=True)[1]
            label = np.array([int(r["label"]) for r in rows])
            shop = np.unique([r["shop_id"] for r in rows], return_inverse=True)[1]
            category = np.array([CATEGORIES.index(r["category"]) for r in rows])
            n_shops = int(manifest["vocab_sizes"]["shops"])

            def score(s: Any) -> dict[str, float]:
                return ranking_metrics(session, label, s, shop, category, n_shops)

            metrics: dict[str, dict[str, float]] = {"ranker": score(onnx_scores)}
            metrics["ranker"]["examples_per_s"] = manifest["training"]["ranker"]["examples_per_s"]
            # the bound's own measure (AUC of choice probabilities over each shown set), from the job
            metrics["ranker"]["choice_auc"] = result["metrics"]["ranker"]["auc"]
            if "wide_only" in result["metrics"]:
                metrics["wide_only_choice"] = {"choice_auc": result["metrics"]["wide_only"]["auc"]}
            # the baselines are not exported: their torch predictions on the same rows (same order)
            val = result["val_arrays"]
            if len(val["label"]) != len(rows) or not np.array_equal(val["label"].astype(int), label):
                raise RuntimeError("the validation arrays and the val CSV disagree row by row")
            ranker_torch = predict(result["fits"]["ranker"].model, val, torch.device("cpu"))
            metrics["ranker"]["onnx_from_csv_vs_torch_max_abs"] = float(np.abs(ranker_torch - onnx_scores).max())
            for name in OURS[1:]:
                fit = result["fits"].get(name)
                if fit is not None:
                    metrics[name] = {**score(predict(fit.model, val, torch.device("cpu"))),
                                     "examples_per_s": manifest["training"][name]["examples_per_s"]}
            metrics["oracle"] = score(val["oracle"])
            peer_dir = Path(tmp) / f"peers-{seed}"
            proc = subprocess.run([str(BENCH_PYTHON), str(REPO / "benchmarks" / "peers" / "peers.py"),
                                   str(train_csv), str(val_csv), str(peer_dir)],
                                  cwd=REPO, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"peers failed: {proc.stderr[-3000:]}")
            for name in PEERS:
                info = json.loads((peer_dir / f"{name}.json").read_text(encoding="utf-8"))
                metrics[name] = {**score(np.load(peer_dir / f"{name}.npy")), "examples_per_s": info["examples_per_s"]}
            per_seed.append(metrics)
    return summarise(per_seed, bounds, size, seeds)


def summarise(per_seed: list[dict[str, dict[str, float]]], bounds: list[dict[str, Any]], size: str,
              seeds: tuple[int, ...]) -> dict[str, Any]:
    import numpy as np

    rows, table = [], {}
    for name in per_seed[0]:
        entry = {}
        for key in ("auc", "choice_auc", "ndcg@5", "hitrate@5", "examples_per_s", "onnx_from_csv_vs_torch_max_abs"):
            values = [m[name][key] for m in per_seed if key in m.get(name, {})]
            if not values:
                continue
            entry[key] = {"mean": round(float(np.mean(values)), 5), "sd": round(float(np.std(values)), 5),
                          "per_seed": values}
            unit = {"examples_per_s": "examples/s", "onnx_from_csv_vs_torch_max_abs": "abs diff"}.get(key, key)
            rows.append(row(f"{name}_{key.replace('@', '')}", entry[key]["mean"], unit, sd=entry[key]["sd"],
                            seeds=len(values), world=size))
        table[name] = entry
    learnable = [b["learnable"]["auc"] for b in bounds if b]
    if learnable:
        rows.append(row("bound_learnable_auc", round(float(np.mean(learnable)), 5), "choice_auc", world=size))
        gaps = [m["ranker"]["choice_auc"] - b["learnable"]["auc"] for m, b in zip(per_seed, bounds) if b]
        rows.append(row("ranker_choice_auc_minus_bound", round(float(np.mean(gaps)), 5), "choice_auc",
                        sd=round(float(np.std(gaps)), 5), per_seed=[round(g, 5) for g in gaps]))
    ours = [m["ranker"]["ndcg@5"] for m in per_seed]
    wide = [m["wide_only"]["ndcg@5"] for m in per_seed if "wide_only" in m]
    if wide:
        rows.append(row("ranker_ndcg5_over_wide_only", round(float(np.mean(ours) / np.mean(wide)), 4), "x",
                        every_seed_above=all(o > w for o, w in zip(ours, wide))))
    table["per_seed_ndcg5"] = {name: [m[name]["ndcg@5"] for m in per_seed if "ndcg@5" in m.get(name, {})]
                               for name in per_seed[0]}
    best_peer = max(PEERS, key=lambda p: table[p]["ndcg@5"]["mean"])
    rows.append(row("ranker_ndcg5_minus_best_peer", round(table["ranker"]["ndcg@5"]["mean"]
                                                          - table[best_peer]["ndcg@5"]["mean"], 5), "ndcg@5",
                    best_peer=best_peer))
    return {"rows": rows, "world": size, "seeds": list(seeds), "table": table, "bounds": bounds}
