"""How good can a learnt ranker get on this world? References between the population and the oracle.

The oracle knows every person's hidden parameters and every shop's hidden character; a
learner sees only past choices. `learnability_bound` scores the validation period (the
ranker's own split: the most recent share of time, pooled AUC of choice probabilities over
each shown set, and NDCG@5) with the true formula throughout, and the hidden parameters
taken five ways:

- ``oracle``: the true parameters;
- ``affinity_map``: the ten category affinities replaced by their MAP estimate from the
  person's own training-period choices, every other parameter still true;
- ``personal_map``: every personal parameter the utility is linear in estimated that way
  (affinities, the five sensitivities — time-of-day habit, distance, price, good shop,
  spice — and the taste per character axis); the shops' hidden character stays true;
- ``learnable`` (**the bound**): the personal parameters *and* the shops' hidden character
  estimated from the training period together, by alternating MAP (a collaborative
  factorisation with the true formula around it, see below), and each person's favourite
  chains too (binary per brand: the posterior probability that a brand is a favourite, from
  the same choices under the population's rate; see ``_favourite_step``);
- ``population``: the personal parameters at the age group's mean (shop character true).

``oracle_without`` says where the oracle's lead comes from: its AUC with one parameter group
at a time replaced by the age group's mean (favourite chains: none; shop character: zero),
everything else true.

Estimation. The utility is linear in every personal parameter θ_u, and, for fixed tastes,
linear in each shop's character c_s (the term is w·taste_u·c_s). So:

1. *person step*: each θ_u is the exact MAP of a conditional logit (with the "nothing"
   option) over that person's training sessions under a Gaussian prior whose moments are
   the population's per age group, by Newton's method (warm-started);
2. *shop step*: each c_s is updated by a majorise–minimise Newton step on the same
   likelihood (curvature Σ p·x·xᵀ bounds the softmax's, so every step is an ascent) under
   the generator's hierarchical prior: a chain shop ~ N(its brand's character,
   CHAIN_SHOP_CHARACTER_SD²), a brand ~ N(0, BRAND_CHARACTER_SD²) (closed-form update given
   its shops), an independent ~ N(0, INDEPENDENT_CHARACTER_SD²).

3. *favourite step*: for each person and each brand they were shown, the posterior
   probability that the brand is one of their favourites (prior: the population's share of
   favourite (person, brand) pairs; likelihood: their sessions with the +w·[favourite] term
   on or off, everything else at the current estimate); the utility uses w·P(favourite).

The steps alternate (`ALS_ROUNDS`), starting from tastes drawn around the prior mean
(from zero the style axis would sit on a saddle point). The distance from ``learnable`` to
``oracle`` is what no model can recover from these sessions.
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
from nabiyam.world.formula import (BRAND_CHARACTER_SD, CHAIN_SHOP_CHARACTER_SD, CHARACTER_AXES,
                                   INDEPENDENT_CHARACTER_SD, Context, feasible, utility)
from nabiyam.world.oracle import Oracle
from nabiyam.world.reader import iter_sessions
from nabiyam.world.stats import auc, ndcg_at

NEWTON_STEPS = 30
ALS_ROUNDS = 6          # person step + shop step, alternated (`learnable`)
ALS_PERSON_STEPS = 6    # Newton steps per person per round (warm-started)
ALS_SHOP_STEPS = 3      # MM steps on the shops' character per round
# UserArrays fields the utility is linear in (besides the category affinities and tastes)
SENSITIVITIES: tuple[str, ...] = ("tod_strength", "dist_sens", "price_sens", "good_aff", "spice_tol")
N_CAT = len(CATEGORIES)
N_AXES = len(CHARACTER_AXES)
N_PARAMS = N_CAT + len(SENSITIVITIES) + N_AXES   # θ_u = affinities, sensitivities, character tastes


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
    """(n_users, N_PARAMS): affinities, then SENSITIVITIES, then the character tastes."""
    return np.column_stack([users.aff] + [getattr(users, f) for f in SENSITIVITIES] + [users.char_taste])


def _with_params(oracle: Oracle, theta: np.ndarray) -> Any:
    u = copy.copy(oracle.users)
    u.aff = theta[:, :N_CAT]
    for j, f in enumerate(SENSITIVITIES):
        setattr(u, f, theta[:, N_CAT + j])
    u.char_taste = theta[:, N_CAT + len(SENSITIVITIES):]
    return u


def _with_character(oracle: Oracle, character: np.ndarray) -> Any:
    shops = copy.copy(oracle.shops)
    shops.character = character
    return shops


def _taste_columns(oracle: Oracle, p: _Pairs, character: np.ndarray) -> np.ndarray:
    """The design columns of the character tastes for a given shop character: w·c[shop]."""
    return oracle.weights.character * character[p.shop]


def _design(oracle: Oracle, p: _Pairs) -> tuple[np.ndarray, np.ndarray]:
    """Utility = base + X · θ exactly (it is linear in every personal parameter): base at θ = 0,
    each column of X the change when that one parameter is 1."""
    n_users = len(oracle.users.ids)
    zero = np.zeros((n_users, N_PARAMS))
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
                prior_prec: np.ndarray, no_choice: float, start: np.ndarray | None = None,
                steps: int = NEWTON_STEPS) -> np.ndarray:
    """MAP of θ for one person: rows are their shown shops (base utility, design row, session,
    chosen); each session is a softmax over its feasible rows plus "nothing" at `no_choice`.
    Convex, so Newton's method converges (from `start`, default the prior mean); with no
    sessions the answer is the prior mean."""
    theta = (prior_mean if start is None else start).copy()
    keep = np.isfinite(base)
    base, x, session, chosen = base[keep], x[keep], session[keep], chosen[keep]
    if len(base) == 0:
        return prior_mean.copy()
    _, sess = np.unique(session, return_inverse=True)
    n_s = sess.max() + 1

    def objective(t: np.ndarray) -> tuple[float, np.ndarray]:
        p = _session_softmax(base + x @ t, sess, n_s, no_choice)
        nothing = 1.0 - np.bincount(sess, weights=p, minlength=n_s)
        picked = np.zeros(n_s, dtype=bool)
        picked[sess[chosen]] = True
        loglik = np.log(np.maximum(p[chosen], 1e-300)).sum() + np.log(np.maximum(nothing[~picked], 1e-300)).sum()
        return loglik - 0.5 * (t - prior_mean) @ prior_prec @ (t - prior_mean), p

    value, p = objective(theta)
    for _ in range(steps):
        mean_x = np.zeros((n_s, x.shape[1]))
        np.add.at(mean_x, sess, p[:, None] * x)  # E[x] per session (the "nothing" row has x = 0)
        grad = x[chosen].sum(0) - mean_x.sum(0) - prior_prec @ (theta - prior_mean)
        second = (p[:, None, None] * x[:, :, None] * x[:, None, :]).sum(0)
        hess = -(second - np.einsum("si,sj->ij", mean_x, mean_x)) - prior_prec
        step = np.linalg.solve(hess, grad)
        scale = 1.0  # damped Newton: halve the step until the posterior rises (far from the optimum)
        while True:
            new_value, new_p = objective(theta - scale * step)
            if new_value >= value - 1e-9 or scale < 1e-4:
                break
            scale *= 0.5
        theta, value, p = theta - scale * step, new_value, new_p
        if np.abs(scale * step).max() < 1e-7:
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


def _estimate_people(oracle: Oracle, p: _Pairs, base: np.ndarray, x: np.ndarray, truth: np.ndarray,
                     mean: np.ndarray, var: np.ndarray, n_est: int, start: np.ndarray | None = None,
                     steps: int = NEWTON_STEPS) -> np.ndarray:
    """Person step: each person's first `n_est` parameters (θ order) MAP-estimated from their
    rows of `p` (design `base`, `x`), the rest held at `truth`'s values."""
    est = truth.copy() if start is None else start.copy()
    order = np.argsort(p.user, kind="stable")
    starts = np.searchsorted(p.user[order], np.arange(len(truth) + 1))
    for i in range(len(truth)):
        rows = order[starts[i] : starts[i + 1]]
        fixed = x[rows, n_est:] @ est[i, n_est:]  # parameters not estimated stay as given
        est[i, :n_est] = _map_params(base[rows] + fixed, x[rows, :n_est], p.session[rows], p.chosen[rows],
                                     mean[i, :n_est], np.diag(1.0 / var[i, :n_est]), oracle.weights.no_choice,
                                     start=None if start is None else est[i, :n_est], steps=steps)
    return est


def _character_prior(oracle: Oracle) -> tuple[np.ndarray, np.ndarray]:
    """Per shop: the prior variance of its own character around its brand's (chain shops) or
    0 (independents), and the brand index (-1: independent)."""
    brand = oracle.shops.brand
    var = np.where(brand >= 0, CHAIN_SHOP_CHARACTER_SD ** 2, INDEPENDENT_CHARACTER_SD ** 2)
    return var, brand


def _shop_step(oracle: Oracle, p: _Pairs, z_rest: np.ndarray, taste: np.ndarray, character: np.ndarray,
               steps: int = ALS_SHOP_STEPS) -> np.ndarray:
    """Shop step: the shops' character given everyone's tastes. `z_rest` is each row's utility
    without the character term (-inf where infeasible). Majorise–minimise Newton steps (the
    curvature Σ p·x·xᵀ bounds the softmax's, so each step raises the posterior), then each
    brand's character in closed form given its shops."""
    n_shops, n_s = len(oracle.shops.ids), int(p.session.max()) + 1
    var, brand = _character_prior(oracle)
    n_brands = oracle.users.fav.shape[1] if oracle.users.fav.ndim == 2 else 0
    n_brands = max(n_brands, int(brand.max()) + 1 if len(brand) else 0)
    ok = np.isfinite(z_rest)
    xs = oracle.weights.character * taste[p.user]            # d utility / d c[shop]
    c = character.copy()
    for _ in range(steps):
        brand_mean = _brand_means(c, brand, n_brands)
        prior_mean = np.where((brand >= 0)[:, None], brand_mean[np.maximum(brand, 0)], 0.0)
        z = np.where(ok, z_rest + (xs * c[p.shop]).sum(1), -np.inf)
        prob = _session_softmax(z, p.session, n_s, oracle.weights.no_choice)
        r = (p.chosen - prob)[ok]
        grad = np.zeros((n_shops, N_AXES))
        np.add.at(grad, p.shop[ok], r[:, None] * xs[ok])
        grad -= (c - prior_mean) / var[:, None]
        curv = np.zeros((n_shops, N_AXES, N_AXES))
        np.add.at(curv, p.shop[ok], prob[ok, None, None] * xs[ok, :, None] * xs[ok, None, :])
        curv += np.eye(N_AXES)[None] / var[:, None, None]
        c = c + np.linalg.solve(curv, grad[..., None])[..., 0]
    return c


def _brand_means(c: np.ndarray, brand: np.ndarray, n_brands: int) -> np.ndarray:
    """MAP of each brand's character given its shops' (shop ~ N(brand, σ_shop²), brand ~ N(0, σ_brand²))."""
    total = np.zeros((n_brands, c.shape[1]))
    count = np.zeros(n_brands)
    chain = brand >= 0
    np.add.at(total, brand[chain], c[chain])
    np.add.at(count, brand[chain], 1.0)
    prec_shop, prec_brand = 1.0 / CHAIN_SHOP_CHARACTER_SD ** 2, 1.0 / BRAND_CHARACTER_SD ** 2
    return total * prec_shop / (count * prec_shop + prec_brand)[:, None]


def _favourite_rows(oracle: Oracle, p: _Pairs, fav: np.ndarray) -> np.ndarray:
    """w·fav[user, brand] per row of `p` (0 for independents); `fav` bool or P(favourite)."""
    brand = oracle.shops.brand[p.shop]
    out = np.zeros(len(p.shop))
    has = brand >= 0
    if fav.ndim == 2 and fav.shape[1]:
        out[has] = fav[p.user[has], brand[has]]
    return oracle.weights.favorite_brand * out


def _favourite_step(oracle: Oracle, p: _Pairs, z: np.ndarray, fav: np.ndarray, prior: float) -> np.ndarray:
    """Favourite step: P(brand b is a favourite of person u | their training sessions), one
    brand at a time with everything else at the current estimate. `z` is each row's utility
    with the current P(favourite) in it (-inf where infeasible). For each (session, brand)
    pair the session's log-likelihood with the term fully on and fully off differs only
    through that brand's rows, so Δ log-lik sums over the person's sessions in closed form."""
    w = oracle.weights.favorite_brand
    brand = oracle.shops.brand[p.shop]
    ok = np.isfinite(z) & (brand >= 0)
    n_s = int(p.session.max()) + 1
    top = np.full(n_s, oracle.weights.no_choice)
    np.maximum.at(top, p.session, np.where(np.isfinite(z), z, -np.inf))
    e = np.where(np.isfinite(z), np.exp(z - top[p.session]), 0.0)
    denom = np.bincount(p.session, weights=e, minlength=n_s) + np.exp(oracle.weights.no_choice - top)
    rows = np.flatnonzero(ok)
    cur = fav[p.user[rows], brand[rows]]
    n_brands = int(brand.max()) + 1
    key = p.session[rows].astype(np.int64) * n_brands + brand[rows]
    pairs, inv = np.unique(key, return_inverse=True)
    e_pair = np.bincount(inv, weights=e[rows], minlength=len(pairs))
    cur_pair = np.zeros(len(pairs))
    cur_pair[inv] = cur                                    # same person and brand within a pair
    chosen_pair = np.bincount(inv, weights=p.chosen[rows].astype(float), minlength=len(pairs)) > 0
    sess_pair = pairs // n_brands
    rest = denom[sess_pair] - e_pair
    on = np.log(rest + e_pair * np.exp(w * (1.0 - cur_pair)))
    off = np.log(rest + e_pair * np.exp(-w * cur_pair))
    delta = -(on - off) + np.where(chosen_pair, w, 0.0)   # log P(choice | on) − log P(choice | off)
    user_pair = np.zeros(len(pairs), dtype=np.intp)
    user_pair[inv] = p.user[rows]
    brand_pair = pairs % n_brands
    total = np.zeros_like(fav, dtype=float)
    np.add.at(total, (user_pair, brand_pair), delta)
    seen = np.zeros(fav.shape, dtype=bool)
    seen[user_pair, brand_pair] = True
    log_odds = np.log(prior / (1.0 - prior)) + total
    return np.where(seen, 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50))), prior)


def _learnable(oracle: Oracle, p: _Pairs, base: np.ndarray, x: np.ndarray, truth: np.ndarray, mean: np.ndarray,
               var: np.ndarray, rounds: int = ALS_ROUNDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternating MAP of every personal parameter, every shop's character and each person's
    favourite chains (see the module docstring). Returns (θ, character, P(favourite))."""
    n_taste = slice(N_PARAMS - N_AXES, N_PARAMS)
    rng = np.random.default_rng(0)
    theta = mean.copy()
    theta[:, n_taste] += np.sqrt(var[:, n_taste]) * rng.normal(0.0, 0.5, (len(theta), N_AXES))
    character = np.zeros((len(oracle.shops.ids), N_AXES))
    ok = np.isfinite(base)
    true_fav = oracle.users.fav
    prior = float(true_fav.mean()) if true_fav.size else 0.0
    fav = np.full(true_fav.shape, prior)
    base_nofav = np.where(ok, base - _favourite_rows(oracle, p, true_fav), -np.inf)  # the design had the true ones
    x = x.copy()
    for _ in range(rounds):
        base = np.where(ok, base_nofav + _favourite_rows(oracle, p, fav), -np.inf)
        x[:, n_taste] = 0.0
        z_rest = np.where(ok, base + (x * theta[p.user]).sum(1), -np.inf)
        character = _shop_step(oracle, p, z_rest, theta[:, n_taste], character)
        x[:, n_taste] = _taste_columns(oracle, p, character)
        theta = _estimate_people(oracle, p, base, x, theta, mean, var, N_PARAMS, start=theta, steps=ALS_PERSON_STEPS)
        if 0.0 < prior < 1.0:
            z = np.where(ok, base_nofav + (x * theta[p.user]).sum(1) + _favourite_rows(oracle, p, fav), -np.inf)
            fav = _favourite_step(oracle, p, z, fav, prior)
    return theta, character, fav


def _score(oracle: Oracle, theta: np.ndarray, p: _Pairs, users: Any = None, shops: Any = None) -> dict[str, float]:
    users = _with_params(oracle, theta) if users is None else users
    shops = oracle.shops if shops is None else shops
    z = utility(oracle.weights, users, shops, p.user, p.shop, p.ctx)
    z = np.where(feasible(shops, p.shop, p.ctx), z, -np.inf)
    prob = _session_softmax(z, p.session, p.session.max() + 1, oracle.weights.no_choice)
    return {"auc": round(auc(prob, p.chosen), 4), "ndcg@5": round(ndcg_at(prob, p.chosen, p.session, 5), 4)}


def learnability_bound(world_dir: str | Path, val_fraction: float = 0.2, *, sessions: list | None = None,
                       shown: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The five views in the module docstring on the validation period, each with its AUC,
    NDCG@5 and how far its parameters are from the truth (RMSE of the affinities; for
    ``learnable`` also the correlation of the estimated shop character's utility with the
    true one). `sessions` (sorted by time) and `shown` (session_id → shop ids by position):
    pass them when already loaded (the ranker job has them) instead of reading the behaviour
    files again."""
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
    views: dict[str, tuple[np.ndarray, Any]] = {"oracle": (truth, None)}
    for name, n_est in (("affinity_map", N_CAT), ("personal_map", N_PARAMS)):
        views[name] = (_estimate_people(oracle, train, base, x, truth, mean, var, n_est), None)
    theta, character, fav = _learnable(oracle, train, base, x, truth, mean, var)
    learnt_users = _with_params(oracle, theta)
    learnt_users.fav = fav
    views["learnable"] = (theta, _with_character(oracle, character))
    views["population"] = (mean, None)
    out: dict[str, Any] = {"validation_from": val_start.isoformat(),
                           "train_choices_per_person": round(float(train.chosen.sum()) / max(len(truth), 1), 1)}
    for name, (theta, shops) in views.items():
        users = learnt_users if name == "learnable" else None
        out[name] = {**_score(oracle, theta, val, users=users, shops=shops),
                     "affinity_rmse": round(float(np.sqrt(((theta[:, :N_CAT] - truth[:, :N_CAT]) ** 2).mean())), 4)}
    # how well the shops' character was recovered: correlation of the character term over the
    # validation rows (estimated tastes × estimated character against the truth; rotation-free)
    est_term = (views["learnable"][0][val.user, N_PARAMS - N_AXES:] * character[val.shop]).sum(1)
    true_term = (oracle.users.char_taste[val.user] * oracle.shops.character[val.shop]).sum(1)
    out["learnable"]["character_term_corr"] = (round(float(np.corrcoef(est_term, true_term)[0, 1]), 4)
                                               if true_term.std() > 0 and est_term.std() > 0 else 0.0)
    # how well the favourite chains were recovered: AUC of P(favourite) against the truth over
    # the (person, chain) pairs the training period showed (the others stay at the prior)
    brand = oracle.shops.brand[train.shop]
    has = brand >= 0
    seen = np.zeros(oracle.users.fav.shape, dtype=bool)
    seen[train.user[has], brand[has]] = True
    truth_fav = oracle.users.fav[seen]
    out["learnable"]["favourite_auc"] = (round(float(auc(fav[seen], truth_fav)), 4)
                                         if 0 < truth_fav.sum() < len(truth_fav) else None)
    groups = {"category_affinity": slice(0, N_CAT),
              **{f: slice(N_CAT + j, N_CAT + j + 1) for j, f in enumerate(SENSITIVITIES)},
              "character_taste": slice(N_PARAMS - N_AXES, N_PARAMS)}
    without: dict[str, float] = {}
    for name, cols in groups.items():
        theta = truth.copy()
        theta[:, cols] = mean[:, cols]
        without[name] = _score(oracle, theta, val)["auc"]
    no_fav = _with_params(oracle, truth)
    no_fav.fav = np.zeros_like(no_fav.fav)
    without["favorite_brands"] = _score(oracle, truth, val, no_fav)["auc"]
    without["shop_character"] = _score(oracle, truth, val,
                                       shops=_with_character(oracle, np.zeros_like(oracle.shops.character)))["auc"]
    out["oracle_without"] = without
    return out
