"""Peer rankers on the ranker's seed CSVs (runs in `.venv-bench`, never in the project's venv).

    .venv-bench/bin/python benchmarks/peers/peers.py TRAIN_CSV VAL_CSV OUT_DIR [--only NAME ...]

Trains each peer on ``recommendation_train.csv`` (the seed's format: user_id, shop_id, label,
wide_feat_0..49, num_feat_0..9, category, semantic_query, brand_id, event_time, session_id)
and writes, per peer, its pointwise score for every row of ``recommendation_val.csv`` (in
file order) to ``OUT_DIR/<name>.npy`` plus ``OUT_DIR/<name>.json`` (training rows, seconds,
examples/s, best epoch / iteration). Scoring is NOT done here: `benchmarks/bench_peers.py`
scores every model, ours included, with the same code (training_jobs.ranker.metrics).

Peers (every one sees the same columns: the 60 dense features, and user / shop / brand /
category as categorical ids; the free-text query is left out, as these libraries' tabular
models take no text):

- ``lightgbm_binary``: LGBMClassifier, binary log-loss;
- ``lightgbm_lambdarank``: LGBMRanker, LambdaRank over session groups;
- ``widedeep``: pytorch-widedeep ``WideDeep(wide=Wide, deeptabular=TabMlp)``;
- ``deepctr_wdl``: DeepCTR-Torch ``WDL``.

Each stops on the validation file, as our ranker does (early stopping on the same period):
LightGBM on the validation loss / NDCG@5 with 30 rounds of patience, the two torch peers
after the epoch with the best validation AUC (up to `EPOCHS`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

CATS = ["user_id", "shop_id", "brand_id", "category"]
EPOCHS = 4
BATCH = 1024
SEED = 0


def load(train_csv: Path, val_csv: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    dtype = {c: str for c in CATS + ["session_id", "semantic_query", "event_time"]}
    train = pd.read_csv(train_csv, dtype=dtype, keep_default_na=False)
    val = pd.read_csv(val_csv, dtype=dtype, keep_default_na=False)
    dense = [c for c in train.columns if c.startswith(("wide_feat_", "num_feat_"))]
    return train, val, dense


def encode(train: pd.DataFrame, val: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, int]]:
    """Categorical ids → 1..n from the training file; 0 = unseen (the same OOV rule as ours)."""
    tr, va, sizes = {}, {}, {}
    for c in CATS:
        index = {v: i + 1 for i, v in enumerate(sorted(set(train[c]) - {""}))}
        tr[c] = train[c].map(index).fillna(0).astype(np.int64).to_numpy()
        va[c] = val[c].map(index).fillna(0).astype(np.int64).to_numpy()
        sizes[c] = len(index) + 1
    return tr, va, sizes


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def run_lightgbm(train: pd.DataFrame, val: pd.DataFrame, dense: list[str], rank: bool) -> tuple[np.ndarray, dict]:
    import lightgbm as lgb

    tr_ids, va_ids, _ = encode(train, val)
    def frame(df: pd.DataFrame, ids: dict[str, np.ndarray]) -> pd.DataFrame:
        x = df[dense].copy()
        for c in CATS:
            x[c] = pd.Categorical(ids[c], categories=range(max(tr_ids[c].max(), 0) + 1))
        return x

    xt, xv = frame(train, tr_ids), frame(val, va_ids)
    params = dict(n_estimators=1000, learning_rate=0.05, num_leaves=63, min_child_samples=20, subsample=0.8,
                  subsample_freq=1, colsample_bytree=0.8, random_state=SEED, verbose=-1, n_jobs=2)
    started = time.perf_counter()
    if rank:
        # LambdaRank needs each session's rows together: sort by session, keep the order to undo it
        order_t = np.argsort(train["session_id"].to_numpy(), kind="stable")
        order_v = np.argsort(val["session_id"].to_numpy(), kind="stable")
        groups_t = train["session_id"].iloc[order_t].groupby(train["session_id"].iloc[order_t], sort=False).size()
        groups_v = val["session_id"].iloc[order_v].groupby(val["session_id"].iloc[order_v], sort=False).size()
        model = lgb.LGBMRanker(objective="lambdarank", **params)
        model.fit(xt.iloc[order_t], train["label"].iloc[order_t], group=groups_t.to_numpy(),
                  eval_set=[(xv.iloc[order_v], val["label"].iloc[order_v])], eval_group=[groups_v.to_numpy()],
                  eval_at=[5], callbacks=[lgb.early_stopping(30, verbose=False)])
    else:
        model = lgb.LGBMClassifier(objective="binary", **params)
        model.fit(xt, train["label"], eval_set=[(xv, val["label"])], eval_metric="binary_logloss",
                  callbacks=[lgb.early_stopping(30, verbose=False)])
    seconds = time.perf_counter() - started
    pred = model.predict(xv) if rank else model.predict_proba(xv)[:, 1]
    return np.asarray(pred, np.float64), {"best_iteration": int(model.best_iteration_ or 0), "seconds": seconds}


def _dense_scaled(train: pd.DataFrame, val: pd.DataFrame, dense: list[str]) -> tuple[np.ndarray, np.ndarray]:
    mu = train[dense].mean().to_numpy()
    sd = train[dense].std().replace(0, 1).to_numpy()
    return ((train[dense].to_numpy() - mu) / sd).astype(np.float32), ((val[dense].to_numpy() - mu) / sd).astype(np.float32)


def run_widedeep(train: pd.DataFrame, val: pd.DataFrame, dense: list[str]) -> tuple[np.ndarray, dict]:
    import torch
    from pytorch_widedeep import Trainer
    from pytorch_widedeep.models import TabMlp, Wide, WideDeep
    from pytorch_widedeep.preprocessing import TabPreprocessor, WidePreprocessor

    torch.manual_seed(SEED)
    wide_pre = WidePreprocessor(wide_cols=CATS, crossed_cols=[("user_id", "category")])
    x_wide = wide_pre.fit_transform(train)
    v_wide = wide_pre.transform(val)
    tab_pre = TabPreprocessor(cat_embed_cols=[(c, 16) for c in CATS], continuous_cols=dense, scale=True)
    x_tab = tab_pre.fit_transform(train)
    v_tab = tab_pre.transform(val)
    wide = Wide(input_dim=int(x_wide.max()) + 1, pred_dim=1)
    tab = TabMlp(column_idx=tab_pre.column_idx, cat_embed_input=tab_pre.cat_embed_input,
                 continuous_cols=dense, mlp_hidden_dims=[128, 64], mlp_dropout=0.1)
    model = WideDeep(wide=wide, deeptabular=tab)
    trainer = Trainer(model, objective="binary", seed=SEED, verbose=0)
    y = train["label"].to_numpy()
    best, best_pred, best_epoch, seconds = -1.0, None, 0, 0.0
    for epoch in range(1, EPOCHS + 1):
        started = time.perf_counter()
        trainer.fit(X_wide=x_wide, X_tab=x_tab, target=y, n_epochs=1, batch_size=BATCH)
        seconds += time.perf_counter() - started
        pred = trainer.predict_proba(X_wide=v_wide, X_tab=v_tab, batch_size=8192)[:, 1]
        a = auc(val["label"].to_numpy(), pred)
        if a > best:
            best, best_pred, best_epoch = a, pred, epoch
    return np.asarray(best_pred, np.float64), {"best_epoch": best_epoch, "epochs": EPOCHS, "seconds": seconds}


def run_deepctr(train: pd.DataFrame, val: pd.DataFrame, dense: list[str]) -> tuple[np.ndarray, dict]:
    import torch
    from deepctr_torch.inputs import DenseFeat, SparseFeat
    from deepctr_torch.models import WDL

    torch.manual_seed(SEED)
    tr_ids, va_ids, sizes = encode(train, val)
    xd_t, xd_v = _dense_scaled(train, val, dense)
    features = [SparseFeat(c, vocabulary_size=sizes[c], embedding_dim=16) for c in CATS]
    features += [DenseFeat(c, 1) for c in dense]
    x_t = {**tr_ids, **{c: xd_t[:, j] for j, c in enumerate(dense)}}
    x_v = {**va_ids, **{c: xd_v[:, j] for j, c in enumerate(dense)}}
    model = WDL(features, features, dnn_hidden_units=(128, 64), dnn_dropout=0.1, task="binary", device="cpu",
                seed=SEED)
    model.compile("adam", "binary_crossentropy")
    y = train["label"].to_numpy().astype(np.float32)
    best, best_pred, best_epoch, seconds = -1.0, None, 0, 0.0
    for epoch in range(1, EPOCHS + 1):
        started = time.perf_counter()
        model.fit(x_t, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
        seconds += time.perf_counter() - started
        pred = model.predict(x_v, batch_size=8192)[:, 0]
        a = auc(val["label"].to_numpy(), pred)
        if a > best:
            best, best_pred, best_epoch = a, pred, epoch
    return np.asarray(best_pred, np.float64), {"best_epoch": best_epoch, "epochs": EPOCHS, "seconds": seconds}


PEERS = {
    "lightgbm_binary": lambda t, v, d: run_lightgbm(t, v, d, rank=False),
    "lightgbm_lambdarank": lambda t, v, d: run_lightgbm(t, v, d, rank=True),
    "widedeep": run_widedeep,
    "deepctr_wdl": run_deepctr,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train_csv", type=Path)
    ap.add_argument("val_csv", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--only", nargs="*", choices=sorted(PEERS), default=None)
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    train, val, dense = load(args.train_csv, args.val_csv)
    for name in args.only or PEERS:
        pred, info = PEERS[name](train, val, dense)
        if len(pred) != len(val):
            raise RuntimeError(f"{name}: {len(pred)} predictions for {len(val)} validation rows")
        # rows seen per second of fitting: rows × epochs for the torch peers, rows / fit time for LightGBM
        info.update(train_rows=len(train), examples_per_s=round(len(train) * info.get("epochs", 1)
                                                                 / max(info["seconds"], 1e-9), 1))
        np.save(args.out_dir / f"{name}.npy", pred)
        (args.out_dir / f"{name}.json").write_text(json.dumps(info), encoding="utf-8")
        print(f"{name}: {info}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
