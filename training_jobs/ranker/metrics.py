"""Ranking metrics on held-out sessions (numpy only, so evaluation jobs can reuse them).

Every model is scored on the same rows: each validation session's full choice set, the
chosen shop relevant. AUC is pooled over rows; NDCG@5 / HitRate@5 / MRR are averaged over
sessions with a choice; coverage is the share of the catalogue that appears in any top-5;
diversity is the mean share of distinct-category pairs within each top-5."""

from __future__ import annotations

import numpy as np

K = 5


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann–Whitney AUC with average ranks for ties; NaN when one class is absent."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def choice_probability(p: np.ndarray, session: np.ndarray, no_choice_logit: float = 0.0) -> np.ndarray:
    """Pointwise probabilities → P(choose this shop | the set shown in its session), a
    multinomial logit over the set plus a "choose nothing" option (the oracle's form).
    Within a session the order is unchanged; across sessions it accounts for competition."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    z = np.log(p / (1 - p))
    _, inv = np.unique(np.asarray(session), return_inverse=True)
    top = np.maximum(np.full(inv.max() + 1 if len(inv) else 0, no_choice_logit), -np.inf)
    np.maximum.at(top, inv, z)
    e = np.exp(z - top[inv])
    return e / (np.bincount(inv, weights=e)[inv] + np.exp(no_choice_logit - top[inv]))


def ranking_metrics(
    session: np.ndarray, labels: np.ndarray, scores: np.ndarray, shop: np.ndarray, category: np.ndarray, n_shops: int
) -> dict[str, float]:
    """`session`, `labels`, `scores`, `shop`, `category` are aligned per row."""
    session = np.asarray(session)
    order = np.lexsort((-np.asarray(scores, dtype=np.float64), session))
    s, y, sh, ca = session[order], np.asarray(labels)[order], np.asarray(shop)[order], np.asarray(category)[order]
    bounds = np.flatnonzero(np.r_[True, s[1:] != s[:-1], True])
    ndcg, hit, rr, div = [], [], [], []
    shown: set[int] = set()
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        top_cat = ca[a : min(b, a + K)]
        shown.update(sh[a : min(b, a + K)].tolist())
        if len(top_cat) > 1:
            pairs = len(top_cat) * (len(top_cat) - 1) / 2
            same = sum(int(top_cat[i] == top_cat[j]) for i in range(len(top_cat)) for j in range(i + 1, len(top_cat)))
            div.append(1.0 - same / pairs)
        rel = y[a:b]
        if not rel.any():
            continue
        pos = int(np.flatnonzero(rel)[0])  # one chosen shop per session
        rr.append(1.0 / (pos + 1))
        hit.append(1.0 if pos < K else 0.0)
        ndcg.append(1.0 / np.log2(pos + 2) if pos < K else 0.0)
    return {
        "auc": round(auc(labels, scores), 5),
        "ndcg@5": round(float(np.mean(ndcg)) if ndcg else float("nan"), 5),
        "hitrate@5": round(float(np.mean(hit)) if hit else float("nan"), 5),
        "mrr": round(float(np.mean(rr)) if rr else float("nan"), 5),
        "coverage": round(len(shown) / max(n_shops, 1), 5),
        "diversity": round(float(np.mean(div)) if div else 0.0, 5),
        "sessions": len(ndcg),
    }
