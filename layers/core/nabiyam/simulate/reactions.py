"""How a simulated person reacts to an answer: exact probabilities first, then one draw.

* **Choice**: softmax of the true utilities of the shown shops plus "nothing" (the oracle's
  ``choice_probabilities``); a choice is a click and then an order (in this world a chosen
  shop is ordered from).
* **Clicks**: besides the chosen shop, each shown shop is browsed with the world's own rule
  (``0.5 · sigmoid(U − no_choice) / (1 + 0.1 · position)``, as in ``world.behaviour``).
* **Satisfaction** 1–5: ``round(A + B·q + C·chose + ε)`` clipped to 1..5, ε ~ N(0, σ), where
  ``q = p_pick_shown / p_pick_best`` is how good the shown set was against the best set the
  catalogue allowed. Its distribution is exact (normal CDF), so the truth carries P(1..5).
* **Like/dislike**: sent with probability ``P_FEEDBACK``; like when satisfaction ≥ 4,
  dislike when ≤ 2 (3: no like/dislike), with the reason that actually went wrong.
* **Favourite**: after an order with satisfaction ≥ 4, with the world's rates (0.35 at 5, 0.2 at 4).
* **Retries**: each feedback POST is sent a second time with the same event id with
  probability ``P_RETRY`` (a mobile client that lost the response).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAT_BASE, SAT_QUALITY, SAT_CHOSE, SAT_NOISE = 1.6, 1.6, 1.2, 0.7
P_FEEDBACK = 0.6
P_RETRY = 0.08
FAVORITE_P = {5: 0.35, 4: 0.2}
FAR_KM = 1.2
EXPENSIVE_SHARE = 0.85


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def satisfaction_distribution(mean: float) -> np.ndarray:
    """P(round(mean + ε) clipped to 1..5 = k) for k = 1..5, ε ~ N(0, SAT_NOISE)."""
    edges = [-math.inf, 1.5, 2.5, 3.5, 4.5, math.inf]
    cdf = [0.0 if e == -math.inf else 1.0 if e == math.inf else _phi((e - mean) / SAT_NOISE) for e in edges]
    return np.diff(cdf)


def satisfaction_mean(quality: float, chose: bool) -> float:
    return SAT_BASE + SAT_QUALITY * quality + SAT_CHOSE * float(chose)


@dataclass(frozen=True)
class ReactionModel:
    """Exact reaction probabilities for one answer."""

    p_choice: np.ndarray       # per shown shop
    p_click: np.ndarray        # per shown shop
    p_any_click: float
    p_pick_shown: float
    p_pick_best: float
    quality: float
    p_sat_chose: np.ndarray    # P(sat = 1..5 | chose)
    p_sat_none: np.ndarray     # P(sat = 1..5 | chose nothing)

    @property
    def p_satisfaction(self) -> np.ndarray:
        return self.p_pick_shown * self.p_sat_chose + (1 - self.p_pick_shown) * self.p_sat_none

    @property
    def expected_satisfaction(self) -> float:
        return float(np.dot(np.arange(1, 6), self.p_satisfaction))

    @property
    def p_like(self) -> float:
        return P_FEEDBACK * float(self.p_satisfaction[3:].sum())

    @property
    def p_dislike(self) -> float:
        return P_FEEDBACK * float(self.p_satisfaction[:2].sum())


def reaction_model(utilities: np.ndarray, no_choice: float, p_choice: np.ndarray, p_pick_best: float
                   ) -> ReactionModel:
    """``utilities``/``p_choice``: of the shown shops in order; ``p_pick_best``: of the best set."""
    u = np.asarray(utilities, dtype=float)
    p = np.asarray(p_choice, dtype=float)
    pos = np.arange(len(u))
    browse = np.where(np.isfinite(u), 0.5 / (1.0 + np.exp(-(u - no_choice))) / (1 + 0.1 * pos), 0.0)
    p_click = p + (1 - p) * browse
    p_pick = float(p.sum())
    p_none = 1.0 - p_pick
    p_any = 1.0 - p_none * float(np.prod(1 - browse))
    quality = min(1.0, p_pick / p_pick_best) if p_pick_best > 0 else 1.0
    return ReactionModel(p_choice=p, p_click=p_click, p_any_click=p_any, p_pick_shown=p_pick,
                         p_pick_best=float(p_pick_best), quality=quality,
                         p_sat_chose=satisfaction_distribution(satisfaction_mean(quality, True)),
                         p_sat_none=satisfaction_distribution(satisfaction_mean(quality, False)))


@dataclass(frozen=True)
class Draw:
    chosen: int | None          # index into the shown list
    clicked: list[int]
    satisfaction: int
    sends_feedback: bool
    favorite: bool


def draw(model: ReactionModel, rng: np.random.Generator) -> Draw:
    """One person's reaction, sampled from ``model`` (a fixed number of draws: reproducible)."""
    n = len(model.p_choice)
    r = rng.random(n + 5)
    cdf = np.cumsum(model.p_choice)
    k = int((r[0] > cdf).sum()) if n else 0
    chosen = k if k < n else None
    browse = (model.p_click - model.p_choice) / np.maximum(1 - model.p_choice, 1e-12)
    clicked = [i for i in range(n) if i == chosen or r[5 + i] < browse[i]]
    dist = model.p_sat_chose if chosen is not None else model.p_sat_none
    sat = int(min(5, 1 + (r[1] > np.cumsum(dist)[:-1]).sum()))
    favorite = chosen is not None and sat in FAVORITE_P and r[3] < FAVORITE_P[sat]
    return Draw(chosen=chosen, clicked=clicked, satisfaction=sat, sends_feedback=bool(r[2] < P_FEEDBACK),
                favorite=favorite)


def dislike_reason(shown: list[dict], budget: int, asked_category: str | None, asked_food: str | None,
                   any_feasible: bool) -> str:
    """What actually went wrong with the answer, as a dislike reason code of the API."""
    if not shown:
        return "closed" if not any_feasible else "irrelevant"
    if asked_food and not any((s.get("price_hint") or {}).get("kind") == "asked" for s in shown):
        return "wrong_food"
    if asked_category and not any(s.get("category") == asked_category for s in shown):
        return "irrelevant"
    dists = [s["distance_m"] / 1000 for s in shown if s.get("distance_m") is not None]
    if dists and sum(dists) / len(dists) > FAR_KM:
        return "too_far"
    prices = [(s.get("price_hint") or {}).get("price") for s in shown]
    prices = [p for p in prices if p]
    if prices and min(prices) / budget > EXPENSIVE_SHARE:
        return "too_expensive"
    return "irrelevant"
