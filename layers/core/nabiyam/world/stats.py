"""Summary statistics of a world and how well simple rankings do against the oracle.

Used by `nabiyam world info`, the tests (the signal is learnable, popularity is clearly
weaker than the oracle) and docs/world.md.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.world import io as wio
from nabiyam.world.reader import read_manifest


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Rank AUC (ties count half); nan when a class is missing."""
    labels = labels.astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    # average ranks over ties
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def grouped_auc(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    """Mean per-group AUC over groups with both a positive and a negative (session AUC)."""
    groups = np.unique(groups, return_inverse=True)[1]
    order = np.argsort(groups, kind="mergesort")
    g, s, y = groups[order], scores[order], labels[order]
    bounds = np.flatnonzero(np.diff(g)) + 1
    vals = [auc(ss, yy) for ss, yy in zip(np.split(s, bounds), np.split(y, bounds)) if 0 < yy.sum() < len(yy)]
    return float(np.mean(vals)) if vals else float("nan")


def ndcg_at(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, k: int = 5) -> float:
    """Mean NDCG@k over groups that have a positive."""
    groups = np.unique(groups, return_inverse=True)[1]
    order = np.argsort(groups, kind="mergesort")
    g, s, y = groups[order], scores[order], labels[order].astype(float)
    bounds = np.flatnonzero(np.diff(g)) + 1
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = []
    for ss, yy in zip(np.split(s, bounds), np.split(y, bounds)):
        if yy.sum() == 0:
            continue
        top = yy[np.argsort(-ss, kind="mergesort")][:k]
        ideal = np.sort(yy)[::-1][:k]
        out.append(float((top * disc[:len(top)]).sum() / (ideal * disc[:len(ideal)]).sum()))
    return float(np.mean(out)) if out else float("nan")


def load_impressions(world_dir: str | Path) -> dict[str, np.ndarray]:
    """impressions.csv as numpy columns (session index, shop index, position, distance, oracle, labels)."""
    sess, shop, pos, dist, prob, clicked, ordered = [], [], [], [], [], [], []
    with open(Path(world_dir) / wio.IMPRESSIONS_FILE, encoding="utf-8", newline="") as fh:
        r = csv.reader(fh)
        next(r)
        for row in r:
            sess.append(row[0])
            shop.append(row[1])
            pos.append(row[2])
            dist.append(row[3])
            prob.append(row[5])
            clicked.append(row[6] == "true")
            ordered.append(row[7] == "true")
    s_ids, s_idx = np.unique(np.array(sess), return_inverse=True)
    sh_ids, sh_idx = np.unique(np.array(shop), return_inverse=True)
    return {"session": s_idx, "session_ids": s_ids, "shop": sh_idx, "shop_ids": sh_ids,
            "position": np.array(pos, dtype=np.int64), "distance_m": np.array(dist, dtype=float),
            "oracle": np.array(prob, dtype=float), "clicked": np.array(clicked), "ordered": np.array(ordered)}


def ranking_baselines(world_dir: str | Path, valid_share: float = 0.2) -> dict[str, float]:
    """Session AUC / NDCG@5 on the last `valid_share` of sessions (by time) for: the oracle,
    popularity (orders per shop in the earlier sessions), nearest-first and random."""
    imp = load_impressions(world_dir)
    n_sess = len(imp["session_ids"])   # session ids sort by time (s0000001 …)
    cut = int(n_sess * (1 - valid_share))
    train = imp["session"] < cut
    valid = ~train
    pop = np.bincount(imp["shop"][train & imp["ordered"]], minlength=len(imp["shop_ids"])).astype(float)
    rng = np.random.default_rng(0)
    g, y = imp["session"][valid], imp["ordered"][valid]
    scores = {
        "oracle": imp["oracle"][valid],
        "popularity": pop[imp["shop"][valid]] + 1e-6 * rng.random(int(valid.sum())),
        "nearest": -imp["distance_m"][valid],
        "random": rng.random(int(valid.sum())),
    }
    out: dict[str, float] = {}
    for name, s in scores.items():
        out[f"{name}_session_auc"] = round(grouped_auc(s, y, g), 4)
        out[f"{name}_ndcg5"] = round(ndcg_at(s, y, g, 5), 4)
    out["oracle_pooled_auc"] = round(auc(imp["oracle"][valid], y), 4)
    return out


def world_stats(world_dir: str | Path, *, baselines: bool = True) -> dict[str, Any]:
    d = Path(world_dir)
    manifest = read_manifest(d)
    shops = list(wio.iter_csv(d / wio.SHEETS["shop"][0]))
    menu_prices = np.array([int(r["price"]) for r in wio.iter_csv(d / wio.SHEETS["menu"][0])])
    sessions = list(wio.iter_csv(d / wio.SESSIONS_FILE))
    chosen = np.array([bool(s["chosen_shop_id"]) for s in sessions])
    sat = np.array([int(s["satisfaction"]) for s in sessions])
    cats: dict[str, int] = {}
    for s in shops:
        cats[s["category"]] = cats.get(s["category"], 0) + 1
    out: dict[str, Any] = {
        "size": manifest.get("size"), "seed": manifest.get("seed"), "counts": manifest.get("counts"),
        "shops_by_category": cats,
        "meal_card_share": round(np.mean([s["accepts_meal_card"] == "true" for s in shops]), 3),
        "good_shop_share": round(np.mean([s["is_good_shop"] == "true" for s in shops]), 3),
        "menu_price_won": {q: int(np.percentile(menu_prices, p)) for q, p in
                           (("p10", 10), ("median", 50), ("p90", 90))},
        "choice_rate": round(float(chosen.mean()), 3),
        "mean_candidates": round(float(np.mean([int(s["n_candidates"]) for s in sessions])), 1),
        "satisfaction_mean": round(float(sat.mean()), 2),
        "satisfaction_mean_when_chosen": round(float(sat[chosen].mean()), 2) if chosen.any() else None,
    }
    if baselines:
        out["ranking"] = ranking_baselines(d)
    return out
