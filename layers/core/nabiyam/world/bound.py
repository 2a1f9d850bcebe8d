"""How good can a learnt ranker get on this world? A reference between the population and the oracle.

The oracle knows every person's hidden parameters; a learner sees only their past choices.
`learnability_bound` scores the validation period (the ranker's own split: the most recent
share of time) three ways, with the true formula throughout:

- ``oracle``: the true parameters;
- ``affinity_map``: each person's category affinities replaced by their MAP estimate from their
  own training-period choices under the true prior (N(age-group mean, AFFINITY_SPREAD²)), every
  other parameter still known. A learner must also estimate those, so this is an upper bound
  for any model trained on the same sessions, not a target;
- ``affinity_population``: affinities replaced by the age-group mean (no personal taste).

The category affinity is the world's main personal signal, so the distance between
``affinity_map`` and ``oracle`` is what no amount of modelling can recover from these data.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.world import io as wio
from nabiyam.world.formula import AGE_CAT_MEAN
from nabiyam.world.oracle import Oracle
from nabiyam.world.people import AFFINITY_SPREAD
from nabiyam.world.reader import iter_sessions
from nabiyam.world.stats import auc, ndcg_at

NEWTON_STEPS = 25


def _shown_sets(world_dir: Path) -> dict[str, list[str]]:
    """session_id → shop ids in the order shown (impressions.csv read raw: a million rows)."""
    import csv

    rows: dict[str, list[tuple[int, str]]] = {}
    with open(world_dir / wio.IMPRESSIONS_FILE, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["session_id"], []).append((int(row["position"]), row["shop_id"]))
    return {k: [s for _, s in sorted(v)] for k, v in rows.items()}


def _map_affinity(obs: list[tuple[np.ndarray, np.ndarray, int]], prior_mean: np.ndarray, w_cat: float,
                  no_choice: float, precision: float) -> np.ndarray:
    """Newton's method on the person's conditional-logit likelihood plus the Gaussian prior
    (convex, so it converges); `obs` holds (base utilities, categories, chosen row or -1)."""
    k = len(prior_mean)
    a = prior_mean.copy()
    if not obs:
        return a
    width = max(len(b) for b, _, _ in obs) + 1
    base = np.full((len(obs), width), -np.inf)
    cats = np.zeros((len(obs), width), dtype=np.intp)
    onehot = np.zeros((len(obs), width, k))
    y = np.zeros((len(obs), width))
    for j, (b, c, chosen) in enumerate(obs):
        base[j, : len(b)] = b
        cats[j, : len(b)] = c
        onehot[j, np.arange(len(b)), c] = 1.0
        y[j, chosen if chosen >= 0 else width - 1] = 1.0
    base[:, -1] = no_choice
    for _ in range(NEWTON_STEPS):
        shift = w_cat * a[cats]
        shift[:, -1] = 0.0  # the "nothing" option has no category
        z = base + shift
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        q = np.einsum("sw,swk->sk", p, onehot)  # probability mass per category, per session
        grad = w_cat * np.einsum("sw,swk->k", y - p, onehot) - precision * (a - prior_mean)
        hess = w_cat**2 * (np.einsum("sk,sl->kl", q, q) - np.diag(q.sum(0))) - precision * np.eye(k)
        step = np.linalg.solve(hess, grad)
        a = a - step
        if np.abs(step).max() < 1e-6:
            break
    return a


def learnability_bound(world_dir: str | Path, val_fraction: float = 0.2) -> dict[str, Any]:
    """Validation AUC (pooled choice probabilities over each shown set) and NDCG@5 of the
    three views in the module docstring, plus how far the estimates are from the truth."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    d = Path(world_dir)
    oracle = Oracle.from_dir(d)
    sessions = sorted(iter_sessions(d), key=lambda s: (s.at, s.session_id))
    if not sessions:
        raise ValueError(f"{d} has no sessions")
    shown = _shown_sets(d)
    t0, t1 = sessions[0].at, sessions[-1].at
    val_start: datetime = t0 + (t1 - t0) * (1.0 - val_fraction)
    users = oracle.users
    w = oracle.weights
    without = copy.copy(oracle)
    without.users = copy.copy(users)
    without.users.aff = np.zeros_like(users.aff)

    per_user: dict[int, list[tuple[np.ndarray, np.ndarray, int]]] = {}
    for s in sessions:
        if s.at >= val_start or s.session_id not in shown:
            continue
        ids = shown[s.session_id]
        base = without.utilities(s.user_id, ids, **without.session_context(s))  # type: ignore[arg-type]
        ok = np.isfinite(base)
        kept = [sid for sid, keep in zip(ids, ok, strict=True) if keep]
        cats = oracle.shops.cat[oracle._shop_idx(kept)].astype(np.intp)
        chosen = kept.index(s.chosen_shop_id) if s.chosen_shop_id in kept else -1
        per_user.setdefault(oracle._user(s.user_id), []).append((base[ok], cats, chosen))

    prior = AGE_CAT_MEAN[users.age_group]
    precision = 1.0 / AFFINITY_SPREAD**2
    estimate = np.array([_map_affinity(per_user.get(i, []), prior[i], w.category, w.no_choice, precision)
                         for i in range(len(users.ids))])
    views = {"oracle": users.aff, "affinity_map": estimate, "affinity_population": prior}
    out: dict[str, Any] = {"validation_from": val_start.isoformat(),
                           "train_choices_per_person": round(
                               sum(o[2] >= 0 for v in per_user.values() for o in v) / max(len(users.ids), 1), 1)}
    for name, aff in views.items():
        o = copy.copy(oracle)
        o.users = copy.copy(users)
        o.users.aff = aff
        scores, labels, groups = [], [], []
        for k, s in enumerate(x for x in sessions if x.at >= val_start):
            ids = shown.get(s.session_id)
            if not ids:
                continue
            scores.append(o.session_probabilities(s, ids, choice_set=True))
            labels.append(np.array([sid == s.chosen_shop_id for sid in ids]))
            groups.append(np.full(len(ids), k))
        sc, y, g = np.concatenate(scores), np.concatenate(labels), np.concatenate(groups)
        out[name] = {"auc": round(auc(sc, y), 4), "ndcg@5": round(ndcg_at(sc, y, g, 5), 4),
                     "affinity_rmse": round(float(np.sqrt(((aff - users.aff) ** 2).mean())), 4)}
    return out
