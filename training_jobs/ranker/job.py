"""The ranker training job: world → point-in-time examples (seed CSVs) → Wide & Deep and
its baselines → evaluation on the most recent period → ONNX (+ parity) and the serving
artifacts (vocab, feature store, collaborative neighbours, metrics, manifest)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from nabiyam.domain.food import CATEGORIES
from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.features import INPUT_NAMES, NUM_NAMES
from nabiyam.recsys.funnels import FUNNELS
from nabiyam.recsys.ranker import COLLAB_FILE, MANIFEST_FILE, MODEL_FILE, STORE_FILE, VOCAB_FILE, expected_wide_layout
from nabiyam.recsys.store import Vocab
from nabiyam.world.io import PREFERENCES_FILE
from training_jobs.ranker.data import (CONTEXT_ROWS, NEG_PER_POS, NO_CHOICE_ROWS, WorldData, build_examples,
                                      write_seed_csv)
from training_jobs.ranker.metrics import auc, choice_probability, ranking_metrics

METRIC_KEYS = ("auc", "ndcg@5", "hitrate@5", "mrr", "coverage", "diversity")
# ranker (and wide-only) = mean logit of this many seeds; 1 with --quick. Two, not three: a member
# is ~65 s on 2 CPU cores (small world, every shown shop in the loss, data.CONTEXT_ROWS), and
# `make run`'s whole ranker training stays within 5 minutes (measured 239 s; docs/world.md).
ENSEMBLE_MEMBERS = 2


def _ensemble(fits: list):
    """One FitResult for several seeds: the averaged model, the members' training records."""
    from training_jobs.ranker.model import Ensemble

    if len(fits) == 1:
        return fits[0]
    first = fits[0]
    history = [{"member": j, "best_epoch": f.best_epoch, "best_val_auc": round(f.best_auc, 5), "history": f.history}
               for j, f in enumerate(fits)]
    return replace(first, model=Ensemble([f.model for f in fits]), best_auc=max(f.best_auc for f in fits),
                   epochs_run=sum(f.epochs_run for f in fits),
                   examples_per_s=sum(f.examples_per_s for f in fits) / len(fits), history=history)


def run(world_dir: Path, out_dir: Path, *, epochs: int, quick: bool, val_fraction: float = 0.2, seed: int = 0,
        progress: bool = True, baselines: bool = True, deep_only: bool = False) -> dict:
    """Train the served ranker (and, with `baselines`, wide-only; with `deep_only`, the deep part
    alone, a slow reference kept for the benchmarks) on `world_dir`, write the artifacts to
    `out_dir` and return the metrics, the manifest and the fitted models."""
    import torch

    from training_jobs.ranker.export import export_onnx, parity
    from training_jobs.ranker.trainer import fit, fit_factors, predict

    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    log = print if progress else (lambda *a, **k: None)
    data = WorldData.load(world_dir)
    cat = data.catalogue()
    if len(data.sessions) < 10:
        raise ValueError(f"{world_dir} has only {len(data.sessions)} sessions; the ranker needs at least 10")
    t0, t1 = data.sessions[0].at, data.sessions[-1].at
    val_start = t0 + (t1 - t0) * (1.0 - val_fraction)
    train_s = [s for s in data.sessions if s.at < val_start]
    val_s = [s for s in data.sessions if s.at >= val_start]
    log(f"world {world_dir}: {len(cat)} shops, {len(data.users)} users, {len(data.sessions)} sessions; "
        f"train < {val_start.isoformat()} ≤ validation ({len(train_s)} / {len(val_s)} sessions)")

    stores: dict[datetime, object] = {}

    def store_for(cutoff: datetime):
        if cutoff not in stores:
            stores[cutoff] = data.store(cat, cutoff)
        return stores[cutoff]

    train_collab = CollabModel.precompute(
        {u: p.shops for u, p in store_for(val_start).users.items()}, cat.shop_ids.tolist())
    train_users = {s.user_id for s in train_s}
    train_shops = {sid for s in train_s for sid, _ in data.impressions.get(s.session_id, [])}
    vocab = Vocab.build(train_users, train_shops, (cat.shops[cat.position[s]].brand_id or "" for s in train_shops
                                                   if s in cat.position))
    rng = np.random.default_rng(seed)
    t_feat = time.perf_counter()
    train_ex = build_examples(data, cat, train_s, 0, store_for, train_collab, vocab, NEG_PER_POS, rng, progress,
                              no_choice_rows=NO_CHOICE_ROWS, context_rows=CONTEXT_ROWS)
    val_ex = build_examples(data, cat, val_s, len(train_s), store_for, train_collab, vocab, None, rng, progress)
    train, val = train_ex.arrays(), val_ex.arrays()
    if train["label"].sum() == 0 or val["label"].sum() == 0:
        raise ValueError(f"{world_dir}: no chosen shops in the training or validation period")
    write_seed_csv(out_dir / "recommendation_train.csv", train_ex)
    write_seed_csv(out_dir / "recommendation_val.csv", val_ex)
    feat_s = time.perf_counter() - t_feat  # examples and their seed CSVs
    log(f"examples: train {len(train['label'])} rows ({int(train['label'].sum())} positive), "
        f"validation {len(val['label'])} rows in {len(set(val['session'].tolist()))} sessions "
        f"(features {feat_s:.1f}s)")

    sizes = vocab.sizes()
    patience = 1 if quick else 2
    members = 1 if quick else ENSEMBLE_MEMBERS
    stage = {"features": round(feat_s, 1)}
    t_stage = time.perf_counter()
    wd_fits = [fit(train, val, sizes, epochs=epochs, patience=patience, seed=seed + j,
                   checkpoint=out_dir / "checkpoint.pt", progress=progress, label=f"ranker[{j}]")
               for j in range(members)]
    # stage 2 of the deep part: collaborative factors (hidden shop character × taste) on top
    stage["wide_deep"] = round(time.perf_counter() - t_stage, 1)
    factor_fit = fit_factors([f.model for f in wd_fits], train, val, sizes, seed=seed, progress=progress)
    stage["factors"] = round(factor_fit.seconds, 1)
    t_stage = time.perf_counter()
    without_factors = _ensemble(wd_fits)
    fits = {"ranker": replace(without_factors, model=factor_fit.model),
            "ranker_without_factors": without_factors}
    if baselines:  # wide-only gets the same seed ensemble, so the comparison stays like for like
        fits["wide_only"] = _ensemble([fit(train, val, sizes, epochs=epochs, patience=patience, seed=seed + j,
                                           use_deep=False, lr=1e-2, progress=progress, label=f"wide_only[{j}]",
                                           oov_rate=0.0, batch_size=512) for j in range(members)])
    if deep_only:
        fits["deep_only"] = fit(train, val, sizes, epochs=epochs, patience=patience, seed=seed, use_wide=False,
                                progress=progress, label="deep_only")
    stage["baselines"] = round(time.perf_counter() - t_stage, 1)
    t_stage = time.perf_counter()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    pointwise = {name: predict(f.model.to(device), val, device) for name, f in fits.items()}
    for f in fits.values():
        f.model.cpu()
    # Learned models are scored as choice probabilities over each session's shown set, the
    # same form as the oracle's `oracle_prob`; the within-session order is unchanged.
    scores = {name: choice_probability(p, val["session"]) for name, p in pointwise.items()}
    scores["oracle"] = val["oracle"]
    scores["popularity"] = val["funnels"][:, FUNNELS.index("popularity")]
    for i, name in enumerate(FUNNELS):
        scores[f"funnel_{name}"] = val["funnels"][:, i]
    shop_cat = np.array([CATEGORIES.index(cat.shops[p].category) for p in val["position"].tolist()])
    metrics = {name: ranking_metrics(val["session"], val["label"], s, val["position"], shop_cat, len(cat))
               for name, s in scores.items()}
    for name, p in pointwise.items():
        metrics[name]["auc_pointwise"] = round(auc(val["label"] > 0.5, p), 5)

    model = fits["ranker"].model
    onnx_path = export_onnx(model, train, out_dir / MODEL_FILE)
    diff = parity(model, onnx_path, val)
    # Serving artifacts: everything up to the last event (the model is fixed; the store is fresh).
    final_cutoff = t1 + timedelta(seconds=1)
    final_store = data.store(cat, final_cutoff)
    final_store.save(out_dir / STORE_FILE)
    CollabModel.precompute({u: p.shops for u, p in final_store.users.items()}, cat.shop_ids.tolist()).save(
        out_dir / COLLAB_FILE)
    vocab.save(out_dir / VOCAB_FILE)
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()[:12]
    version = f"ranker-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{digest}"
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    stage["evaluation_export"] = round(time.perf_counter() - t_stage, 1)  # scoring, ONNX + parity, serving files
    # What a learnt model can reach on this world (generated worlds only: needs the hidden truth)
    reference = None
    t_stage = time.perf_counter()
    if (Path(world_dir) / PREFERENCES_FILE).is_file():
        from nabiyam.world.bound import learnability_bound

        reference = learnability_bound(world_dir, val_fraction, sessions=data.sessions,
                                       shown={k: [sid for sid, _ in v] for k, v in data.impressions.items()})
    stage["learnability_bound"] = round(time.perf_counter() - t_stage, 1)
    world_manifest = {}
    if (Path(world_dir) / "world.json").is_file():
        world_manifest = json.loads((Path(world_dir) / "world.json").read_text(encoding="utf-8"))
    manifest = {
        "name": "ranker",
        "version": version,
        "created_at": datetime.now(UTC).isoformat(),
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "inputs": list(INPUT_NAMES),
        "output": "score",
        "wide_features": expected_wide_layout(),
        "numerical_features": list(NUM_NAMES),
        "vocab_sizes": sizes,
        "world": {"dir": str(world_dir), **{k: world_manifest.get(k) for k in ("size", "seed") if k in world_manifest}},
        "split": {"validation_from": val_start.isoformat(), "train_sessions": len(train_s),
                  "validation_sessions": len(val_s)},
        "rows": {"train": int(len(train["label"])), "validation": int(len(val["label"]))},
        "training": {name: {"best_epoch": f.best_epoch, "epochs_run": f.epochs_run, "best_val_auc": f.best_auc,
                            "examples_per_s": round(f.examples_per_s, 1), "history": f.history}
                     for name, f in fits.items()},
        "collab_factors": {"k": factor_fit.k, "lambda": factor_fit.lam,
                           "val_auc_before": round(factor_fit.val_auc_before, 5),
                           "val_auc_after": round(factor_fit.val_auc_after, 5), "grid": factor_fit.grid,
                           "seconds": round(factor_fit.seconds, 1)},
        "parity_max_abs_diff": diff,
        "device": str(device),
        "seconds": round(time.perf_counter() - started, 1),
        "seconds_by_stage": stage,
        "metrics": {k: metrics["ranker"][k] for k in METRIC_KEYS},
        "learnability_bound": reference,
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    (out_dir / "checkpoint.pt").unlink(missing_ok=True)
    # fits and the validation arrays (rows in the val CSV's order): benchmarks score the baselines on them
    return {"metrics": metrics, "manifest": manifest, "out_dir": out_dir, "model": model, "fits": fits,
            "val_arrays": val}


def metrics_table(metrics: dict[str, dict], reference: dict | None = None) -> str:
    head = f"{'model':<22}" + "".join(f"{k:>11}" for k in METRIC_KEYS)
    lines = [head, "-" * len(head)]
    for name, m in metrics.items():
        lines.append(f"{name:<22}" + "".join(f"{m[k]:>11.4f}" for k in METRIC_KEYS))
    if reference:
        b = reference.get("learnable", reference["personal_map"])
        lines.append(f"reference (`nabiyam world bound`: oracle formula, personal parameters and shop character "
                     f"estimated from {reference['train_choices_per_person']} choices per person): "
                     f"auc {b['auc']:.4f}  ndcg@5 {b['ndcg@5']:.4f}")
    return "\n".join(lines)
