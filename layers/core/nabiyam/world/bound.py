"""How good can a learnt ranker get on this world? References between the population and the oracle.

The oracle knows every person's hidden parameters; a learner sees only their past choices.
`learnability_bound` scores the validation period (the ranker's own split: the most recent
share of time, pooled AUC of choice probabilities over each shown set, and NDCG@5) with the
true formula throughout, and each person's parameters taken four ways:

- ``oracle``: the true parameters;
- ``affinity_map``: the ten category affinities replaced by their MAP estimate from the
  person's own training-period choices, every other parameter still true;
- ``personal_map``: the affinities *and* the five personal sensitivities (time-of-day habit,
  distance, price, good shop, spice) estimated the same way; favourite chains stay true, so
  this is still an upper bound for any model trained on the same sessions, not a target;
- ``population``: the affinities and sensitivities replaced by the age group's mean.

``oracle_without`` says where the oracle's lead comes from: its AUC with one parameter group
at a time replaced by the age group's mean (favourite chains: none), everything else true.

The utility is linear in every one of these parameters, so each estimate is the exact MAP of
a conditional logit (with the "nothing" option) under a Gaussian prior whose moments are the
population's (per age group: what a learner could estimate from everyone's data), found by
Newton's method. The distance from ``personal_map`` to ``oracle`` is what no model can
recover from these sessions.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.domain.food import CATEGORIES
from nabiyam.world import io as wio
from nabiyam.world.formula import Context, feasible, utility
from nabiyam.world.oracle import Oracle
from nabiyam.world.reader import iter_sessions
from nabiyam.world.stats import auc, ndcg_at

NEWTON_STEPS = 30
# UserArrays fields the utility is linear in (besides the category affinities)
SENSITIVITIES: tuple[str, ...] = ("tod_strength", "dist_sens", "price_sens", "good_aff", "spice_tol")
N_CAT = len(CATEGORIES)


def _shown_sets(world_dir: Path) -> dict[str, list[str]]:
    """session_id → shop ids in the order shown (impressions.csv read raw: a million rows)."""
    rows: dict[str, list[tuple[int, str]]] = {}
    with open(world_dir / wio.IMPRESSIONS_FILE, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["session_id"], []).append((int(row["position"]), row["shop_id"]))
    return {k: [s for _, s in sorted(v)] for k, v in rows.items()}


@dataclass
class _Pairs:
    """Every (session, shown shop) pair of a period, flattened, with its context."""

    user: np.ndarray
    shop: np.ndarray
    session: np.ndarray  # 0..n_sessions-1 within the period
    chosen: np.ndarray  # bool
    ctx: Context


def _pairs(oracle: Oracle, sessions: list, shown: dict[str, list[str]]) -> _Pairs:
    users, shops, sess, chosen, ctxs = [], [], [], [], []
    k = 0
    for s in sessions:
        ids = shown.get(s.session_id)
        if not ids:
            continue
        args = oracle.session_context(s)
        ctxs.append(oracle._context(len(ids), **args))  # type: ignore[arg-type]
        users.append(np.full(len(ids), oracle._user(s.user_id), dtype=np.intp))
        shops.append(oracle._shop_idx(ids))
        sess.append(np.full(len(ids), k, dtype=np.intp))
        chosen.append(np.array([sid == s.chosen_shop_id for sid in ids]))
        k += 1
    if not ctxs:
        raise ValueError("no sessions with shown shops in this period")
    ctx = Context(**{f: np.concatenate([getattr(c, f) for c in ctxs]) for f in Context.__dataclass_fields__})
    return _Pairs(np.concatenate(users), np.concatenate(shops), np.concatenate(sess), np.concatenate(chosen), ctx)


def _params(users: Any) -> np.ndarray:
    """(n_users, 10 + 5): affinities then SENSITIVITIES."""
    return np.column_stack([users.aff] + [getattr(users, f) for f in SENSITIVITIES])


def _with_params(oracle: Oracle, theta: np.ndarray) -> Any:
    u = copy.copy(oracle.users)
    u.aff = theta[:, :N_CAT]
    for j, f in enumerate(SENSITIVITIES):
        setattr(u, f, theta[:, N_CAT + j])
    return u


def _design(oracle: Oracle, p: _Pairs) -> tuple[np.ndarray, np.ndarray]:
    """Utility = base + X · θ exactly (it is linear in every personal parameter): base at θ = 0,
    each column of X the change when that one parameter is 1."""
    n_users = len(oracle.users.ids)
    zero = np.zeros((n_users, N_CAT + len(SENSITIVITIES)))
    base = utility(oracle.weights, _with_params(oracle, zero), oracle.shops, p.user, p.shop, p.ctx)
    cols = []
    for j in range(zero.shape[1]):
        one = zero.copy()
        one[:, j] = 1.0
        cols.append(utility(oracle.weights, _with_params(oracle, one), oracle.shops, p.user, p.shop, p.ctx) - base)
    ok = feasible(oracle.shops, p.shop, p.ctx)
    return np.where(ok, base, -np.inf), np.column_stack(cols)


def _session_softmax(z: np.ndarray, session: np.ndarray, n_s: int, no_choice: float) -> np.ndarray:
    """P(each row) within its session, with "nothing" (utility `no_choice`) as one more option."""
    top = np.full(n_s, no_choice)
    np.maximum.at(top, session, z)
    e = np.exp(z - top[session])
    return e / (np.bincount(session, weights=e, minlength=n_s) + np.exp(no_choice - top))[session]


def _map_params(base: np.ndarray, x: np.ndarray, session: np.ndarray, chosen: np.ndarray, prior_mean: np.ndarray,
                prior_prec: np.ndarray, no_choice: float) -> np.ndarray:
    """MAP of θ for one person: rows are their shown shops (base utility, design row, session,
    chosen); each session is a softmax over its feasible rows plus "nothing" at `no_choice`.
    Convex, so Newton's method converges; with no sessions the answer is the prior mean."""
    theta = prior_mean.copy()
    keep = np.isfinite(base)
    base, x, session, chosen = base[keep], x[keep], session[keep], chosen[keep]
    if len(base) == 0:
        return theta
    _, sess = np.unique(session, return_inverse=True)
    n_s = sess.max() + 1
    for _ in range(NEWTON_STEPS):
        p = _session_softmax(base + x @ theta, sess, n_s, no_choice)
        mean_x = np.zeros((n_s, x.shape[1]))
        np.add.at(mean_x, sess, p[:, None] * x)  # E[x] per session (the "nothing" row has x = 0)
        grad = x[chosen].sum(0) - mean_x.sum(0) - prior_prec @ (theta - prior_mean)
        second = (p[:, None, None] * x[:, :, None] * x[:, None, :]).sum(0)
        hess = -(second - np.einsum("si,sj->ij", mean_x, mean_x)) - prior_prec
        step = np.linalg.solve(hess, grad)
        theta = theta - step
        if np.abs(step).max() < 1e-7:
            break
    return theta


def _population_prior(oracle: Oracle) -> tuple[np.ndarray, np.ndarray]:
    """Per person: the mean and (diagonal) variance of their age group's true parameters."""
    theta = _params(oracle.users)
    group = oracle.users.age_group
    mean = np.zeros_like(theta)
    var = np.ones_like(theta)
    for g in np.unique(group):
        rows = group == g
        mean[rows] = theta[rows].mean(0)
        var[rows] = np.maximum(theta[rows].var(0), 1e-4) if rows.sum() > 1 else 1.0
    return mean, var


def _score(oracle: Oracle, theta: np.ndarray, p: _Pairs, users: Any = None) -> dict[str, float]:
    users = _with_params(oracle, theta) if users is None else users
    z = utility(oracle.weights, users, oracle.shops, p.user, p.shop, p.ctx)
    z = np.where(feasible(oracle.shops, p.shop, p.ctx), z, -np.inf)
    prob = _session_softmax(z, p.session, p.session.max() + 1, oracle.weights.no_choice)
    return {"auc": round(auc(prob, p.chosen), 4), "ndcg@5": round(ndcg_at(prob, p.chosen, p.session, 5), 4)}


def learnability_bound(world_dir: str | Path, val_fraction: float = 0.2, *, sessions: list | None = None,
                       shown: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The four views in the module docstring on the validation period, each with its AUC,
    NDCG@5 and how far its parameters are from the truth (RMSE of the affinities).
    `sessions` (sorted by time) and `shown` (session_id → shop ids by position): pass them when
    already loaded (the ranker job has them) instead of reading the behaviour files again."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    d = Path(world_dir)
    oracle = Oracle.from_dir(d)
    if sessions is None:
        sessions = sorted(iter_sessions(d), key=lambda s: (s.at, s.session_id))
    if not sessions:
        raise ValueError(f"{d} has no sessions")
    shown = _shown_sets(d) if shown is None else shown
    t0, t1 = sessions[0].at, sessions[-1].at
    val_start: datetime = t0 + (t1 - t0) * (1.0 - val_fraction)
    train = _pairs(oracle, [s for s in sessions if s.at < val_start], shown)
    val = _pairs(oracle, [s for s in sessions if s.at >= val_start], shown)

    truth = _params(oracle.users)
    mean, var = _population_prior(oracle)
    base, x = _design(oracle, train)
    order = np.argsort(train.user, kind="stable")
    starts = np.searchsorted(train.user[order], np.arange(len(truth) + 1))
    views: dict[str, np.ndarray] = {"oracle": truth}
    for name, n_est in (("affinity_map", N_CAT), ("personal_map", truth.shape[1])):
        est = truth.copy()
        for i in range(len(truth)):
            rows = order[starts[i] : starts[i + 1]]
            fixed = x[rows, n_est:] @ truth[i, n_est:]  # parameters not estimated stay true
            est[i, :n_est] = _map_params(base[rows] + fixed, x[rows, :n_est], train.session[rows],
                                         train.chosen[rows], mean[i, :n_est], np.diag(1.0 / var[i, :n_est]),
                                         oracle.weights.no_choice)
        views[name] = est
    views["population"] = mean
    out: dict[str, Any] = {"validation_from": val_start.isoformat(),
                           "train_choices_per_person": round(float(train.chosen.sum()) / max(len(truth), 1), 1)}
    for name, theta in views.items():
        out[name] = {**_score(oracle, theta, val),
                     "affinity_rmse": round(float(np.sqrt(((theta[:, :N_CAT] - truth[:, :N_CAT]) ** 2).mean())), 4)}
    groups = {"category_affinity": slice(0, N_CAT),
              **{f: slice(N_CAT + j, N_CAT + j + 1) for j, f in enumerate(SENSITIVITIES)}}
    without: dict[str, float] = {}
    for name, cols in groups.items():
        theta = truth.copy()
        theta[:, cols] = mean[:, cols]
        without[name] = _score(oracle, theta, val)["auc"]
    no_fav = _with_params(oracle, truth)
    no_fav.fav = np.zeros_like(no_fav.fav)
    without["favorite_brands"] = _score(oracle, truth, val, no_fav)["auc"]
    out["oracle_without"] = without
    return out
