"""Layer 1: four funnels, each a score in [0, 1] for every shop, and their merged candidates.

collaborative (item-item neighbours of the user's history), content (asked food/category,
diet, query text, the user's own category taste), contextual (distance, meal slot ×
category, budget fit), popularity (Bayesian rating, orders, reviews: a new shop starts at
the prior, not at zero). Each funnel nominates its top `PER_FUNNEL` eligible shops; the
union, capped at `MAX_CANDIDATES`, goes to the ranker with its flags and scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nabiyam.domain.food import CATEGORIES
from nabiyam.recsys.catalogue import CatalogueIndex
from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.filters import ResolvedRequest, wanted_categories
from nabiyam.recsys.store import TIMES_OF_DAY, FeatureStore, UserProfile

FUNNELS: tuple[str, ...] = ("collaborative", "content", "contextual", "popularity")
PER_FUNNEL = 40
MAX_CANDIDATES = 100
DISTANCE_SCALE_M = 1_200.0
RATING_PRIOR, RATING_PRIOR_WEIGHT = 4.0, 10.0
FALLBACK_WEIGHTS = np.array([0.3, 0.25, 0.25, 0.2])  # the blend used when no ranker is loaded


@dataclass
class Layer1:
    """Everything Layer 1 decided for one request; features read it, the log records it."""

    distance: np.ndarray | None  # (n,) metres, None when the location is unknown
    eligible: np.ndarray  # (n,) bool, all hard filters passed
    scores: np.ndarray  # (4, n) funnel scores in [0, 1]
    flags: np.ndarray  # (n, 4) bool: nominated by the funnel
    candidates: np.ndarray  # positions, best funnel score first, ≤ MAX_CANDIDATES
    query_overlap: np.ndarray  # (n,) share of query bigrams in the shop's text
    request_match: np.ndarray  # (n,) 1 asked food served, 0.6 asked category, 0 nothing asked
    diet_match: np.ndarray  # (n,) sum over asked diets of the menu share matching it (0 when none asked)
    budget_share: np.ndarray  # (n,) share of the menu within budget


def _unit(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    top = float(x[mask].max()) if mask.any() else 0.0
    return np.clip(x / top, 0.0, 1.0) if top > 0 else np.zeros_like(x)


def popularity(cat: CatalogueIndex) -> np.ndarray:
    cached = getattr(cat, "_popularity", None)
    if cached is None:
        cached = cat._popularity = _popularity(cat)  # type: ignore[attr-defined]
    return cached


def _popularity(cat: CatalogueIndex) -> np.ndarray:
    bayes = (cat.rating * cat.review_count + RATING_PRIOR * RATING_PRIOR_WEIGHT) / (cat.review_count + RATING_PRIOR_WEIGHT)
    rating = np.clip((bayes - 1.0) / 4.0, 0.0, 1.0)
    orders = np.log1p(cat.order_count) / max(np.log1p(cat.order_count.max()), 1.0)
    reviews = np.log1p(cat.review_count) / max(np.log1p(cat.review_count.max()), 1.0)
    return 0.5 * rating + 0.3 * orders + 0.2 * reviews


def run_layer1(
    cat: CatalogueIndex,
    store: FeatureStore,
    collab: CollabModel | None,
    req: ResolvedRequest,
    profile: UserProfile,
    eligible: np.ndarray,
    distance: np.ndarray | None,
) -> Layer1:
    n = len(cat)
    f = req.filters
    # collaborative
    collab_raw = collab.scores(profile.shops, cat.position) if collab is not None else np.zeros(n)
    s_collab = _unit(collab_raw, eligible)
    # content
    foods = set(f.food_types)
    wanted = wanted_categories(f)
    request_match = np.zeros(n)
    if wanted or foods:
        request_match = np.where(np.isin(cat.category_idx, [i for i, c in enumerate(CATEGORIES) if c in wanted]), 0.6, 0.0)
        if foods:  # serves an asked food (exactly that menu food): cached columns, no per-shop loop
            served = np.zeros(n, dtype=bool)
            for food in foods:
                served |= np.isfinite(cat.food_min_price(food))
            request_match = np.maximum(request_match, served.astype(np.float64))
    diets = [str(d) for d in f.dietary_preferences if str(d) in cat.diet]
    diet_match = np.sum([cat.diet[d] for d in diets], axis=0) if diets else np.zeros(n)
    overlap = cat.query_overlap(req.semantic_query)
    counts = np.asarray(profile.category_counts, dtype=np.float64)
    taste = counts[cat.category_idx] / counts.max() if counts.max() > 0 else np.zeros(n)
    parts = []
    if wanted or foods:
        parts.append(request_match)
    if diets:
        parts.append(diet_match / len(diets))
    if req.semantic_query.strip():
        parts.append(overlap)
    s_content = 0.7 * np.mean(parts, axis=0) + 0.3 * taste if parts else taste
    # contextual
    dist_score = np.exp(-distance / DISTANCE_SCALE_M) if distance is not None else np.full(n, 0.5)
    tod = TIMES_OF_DAY.index(req.time_of_day) if req.time_of_day in TIMES_OF_DAY else 1
    time_aff = np.asarray(store.time_category_lift[tod])[cat.category_idx]
    budget_share = cat.budget_share(req.budget)
    s_context = 0.5 * dist_score + 0.25 * time_aff + 0.25 * budget_share
    # popularity
    s_pop = popularity(cat)
    scores = np.clip(np.vstack([s_collab, s_content, s_context, s_pop]), 0.0, 1.0)

    flags = np.zeros((n, 4), dtype=bool)
    idx = np.flatnonzero(eligible)
    for j in range(4):
        sj = scores[j, idx]
        order = idx[np.argsort(-sj, kind="stable")]
        order = order[scores[j, order] > 0][:PER_FUNNEL]
        flags[order, j] = True
    nominated = np.flatnonzero(flags.any(axis=1) & eligible)
    best = (scores * flags.T).max(axis=0)
    candidates = nominated[np.argsort(-best[nominated], kind="stable")][:MAX_CANDIDATES]
    return Layer1(distance, eligible, scores, flags, candidates, overlap, request_match, diet_match, budget_share)


def fallback_scores(layer1: Layer1, positions: np.ndarray) -> np.ndarray:
    """Deterministic funnel blend used when the ranker is missing or broken."""
    return FALLBACK_WEIGHTS @ layer1.scores[:, positions]

