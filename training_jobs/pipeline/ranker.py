"""Retrain the Wide & Deep ranker from logged turns (the ranker job's model, trainer and ONNX
export, imported — not forked) and write a serving artifact directory."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from nabiyam.evaluation.logged import LoggedTurn
from nabiyam.recsys.features import INPUT_NAMES, NUM_NAMES
from nabiyam.recsys.ranker import COLLAB_FILE, MANIFEST_FILE, MODEL_FILE, STORE_FILE, VOCAB_FILE, expected_wide_layout
from nabiyam.recsys.store import Vocab
from training_jobs.pipeline.data import LoggedFeatureStores, Sheets, build_logged_examples


def train_ranker(sheets: Sheets, turns: Sequence[LoggedTurn], out_dir: Path, *, window: str, epochs: int = 4,
                 seed: int = 0, val_fraction: float = 0.2, shuffle_labels: bool = False,
                 progress: bool = False) -> dict:
    """Train on ``turns`` (time-ordered; the most recent ``val_fraction`` stops early), export
    ONNX with the parity check, write vocab / feature store / collab / metrics / manifest."""
    from training_jobs.ranker.export import export_onnx, parity
    from training_jobs.ranker.metrics import auc, choice_probability
    from training_jobs.ranker.trainer import fit, predict

    started = time.perf_counter()
    turns = sorted(turns, key=lambda t: t.at)
    usable = [t for t in turns if t.shown]
    if len(usable) < 20 or sum(t.chosen is not None for t in usable) < 5:
        raise ValueError(f"only {len(usable)} logged recommendation turns "
                         f"({sum(t.chosen is not None for t in usable)} with an order) in {window}; "
                         "the ranker needs at least 20 turns and 5 orders")
    cut = usable[int(len(usable) * (1 - val_fraction))].at
    train_t = [t for t in usable if t.at < cut]
    val_t = [t for t in usable if t.at >= cut]
    out_dir.mkdir(parents=True, exist_ok=True)
    cat = sheets.catalogue()
    stores = LoggedFeatureStores(sheets, cat, usable)
    collab = stores.collab(cut)
    vocab = Vocab.build({t.user_id for t in train_t}, {s for t in train_t for s in t.shown},
                        (cat.shops[cat.position[s]].brand_id or "" for t in train_t for s in t.shown
                         if s in cat.position))
    rng = np.random.default_rng(seed)
    train = build_logged_examples(stores, train_t, vocab, collab, rng, shuffle_labels=shuffle_labels)
    val = build_logged_examples(stores, val_t, vocab, collab, rng, all_negatives=True)
    import torch

    fitted = fit(train, val, vocab.sizes(), epochs=epochs, patience=1, seed=seed, progress=progress,
                 label="pipeline-ranker")
    device = torch.device("cpu")
    p = predict(fitted.model, val, device)
    has_choice = val["label"] > 0.5
    val_auc = auc(has_choice, choice_probability(p, val["session"])) if has_choice.any() else float("nan")
    onnx_path = export_onnx(fitted.model, train, out_dir / MODEL_FILE)
    diff = parity(fitted.model, onnx_path, val)
    end = max(t.at for t in usable) + timedelta(seconds=1)
    final_store = stores.at(end)
    final_store.save(out_dir / STORE_FILE)
    stores.collab(end).save(out_dir / COLLAB_FILE)
    vocab.save(out_dir / VOCAB_FILE)
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    metrics = {"validation_auc_shown_sets": round(float(val_auc), 5), "train_rows": int(len(train["label"])),
               "validation_rows": int(len(val["label"])), "train_turns": len(train_t), "validation_turns": len(val_t),
               "train_orders": int(sum(t.chosen is not None for t in train_t)), "parity_max_abs_diff": diff,
               "best_epoch": fitted.best_epoch, "shuffled_labels": shuffle_labels}
    manifest = {
        "name": "ranker", "version": f"ranker-logged-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{digest[:12]}",
        "created_at": datetime.now(UTC).isoformat(), "onnx_sha256": digest, "inputs": list(INPUT_NAMES),
        "output": "score", "wide_features": expected_wide_layout(), "numerical_features": list(NUM_NAMES),
        "vocab_sizes": vocab.sizes(), "source": "logged traffic (training_jobs.pipeline)", "data_window": window,
        "split": {"validation_from": cut.isoformat(), "train_turns": len(train_t), "validation_turns": len(val_t)},
        "training": {"best_epoch": fitted.best_epoch, "epochs_run": fitted.epochs_run, "history": fitted.history},
        "parity_max_abs_diff": diff, "metrics": metrics, "seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return {"metrics": metrics, "manifest": manifest, "out_dir": out_dir}
