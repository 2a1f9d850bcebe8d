"""The recommender facade the API, the CLI and training call: hard filters → four funnels
→ Wide & Deep (ONNX) → top-k with reasons. A missing or broken ranker never raises: the
result falls back to a deterministic funnel blend and says so (`fallback=True`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import ChildSafety, PriceHint, Recommendation, RequestContext
from nabiyam.recsys.catalogue import CATEGORY_INDEX, CatalogueIndex, HintChoice, is_side, wanted_categories
from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.features import FeatureBatch, build_features
from nabiyam.recsys.filters import Relaxation, ResolvedRequest, eligible, filter_masks, relaxations
from nabiyam.recsys.funnels import FUNNELS, Layer1, fallback_scores, run_layer1
from nabiyam.recsys.ranker import COLLAB_FILE, STORE_FILE, ArtifactError, RankerArtifacts
from nabiyam.recsys.reasons import ReasonFacts, pick_reasons
from nabiyam.recsys.store import FeatureStore, UserProfile, Vocab

FALLBACK_VERSION = "funnel-blend-v1"
FREQUENT_VISITS = 3  # "전에 자주 갔던 가게" from this many past orders


@dataclass(frozen=True, slots=True)
class CandidateLog:
    """One Layer-1 candidate as the conversation log stores it (a plain dataclass: a request
    makes up to 100 of these, so they skip validation of numbers this code computed)."""

    shop_id: str
    funnels: dict[str, float]
    nominated_by: list[str]
    ranker_score: float | None
    score: float
    rank: int

    def as_log(self) -> dict[str, object]:
        """The JSON-ready dict the conversation log stores."""
        return {"shop_id": self.shop_id, "funnels": dict(self.funnels), "nominated_by": list(self.nominated_by),
                "ranker_score": self.ranker_score, "score": self.score, "rank": self.rank}


class RecommendationResult(BaseModel):
    items: list[Recommendation]
    candidates: list[CandidateLog] = Field(default_factory=list)
    model_version: str
    fallback: bool
    fallback_reason: str | None = None
    eligible_count: int = 0
    relaxed: list[Relaxation] = Field(default_factory=list, description="what to loosen when nothing fits")
    explanation: str | None = Field(None, description="unused: the NLG writes every Korean word (kept for old readers)")
    late_night: bool = Field(False, description="asked late at night: only very near shops were considered")
    farther: bool = Field(False, description="nothing within walking distance fit: farther shops are shown")
    located: bool = Field(True, description="the child's location was known (distances are real)")
    budget: int | None = Field(None, description="the effective budget: min(what was said, the card's balance)")
    card_limited: bool = Field(False, description="the card's balance, not what was said, set the budget")
    origin_lat: float | None = Field(None, description="where the child was located (None: unknown)")
    origin_lon: float | None = None


class Recommender:
    def __init__(
        self,
        catalogue: CatalogueIndex,
        artifacts: RankerArtifacts | None = None,
        store: FeatureStore | None = None,
        collab: CollabModel | None = None,
        fallback_reason: str | None = None,
        vocab: Vocab | None = None,
        safety: ChildSafety | None = None,
    ):
        self.safety = safety or ChildSafety()
        self.catalogue = catalogue
        self.artifacts = artifacts
        self.store = artifacts.store if artifacts else (store or FeatureStore.empty())
        collab = artifacts.collab if artifacts else collab
        self.collab = collab.aligned_to(catalogue.shop_ids) if collab is not None else None
        self.vocab = artifacts.vocab if artifacts else (vocab or Vocab({}, {}, {}, {}))
        self.fallback_reason = None if artifacts else (fallback_reason or "no ranker artifact given")

    @classmethod
    def load(cls, artifacts_dir: Path | None, catalogue: CatalogueIndex) -> Recommender:
        """Never raises: a missing/corrupt ranker gives the funnel-blend fallback, logged loudly."""
        if artifacts_dir is None:
            return cls(catalogue, fallback_reason="no ranker artifact directory configured")
        try:
            return cls(catalogue, RankerArtifacts.load(Path(artifacts_dir)))
        except ArtifactError as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - serving must survive any artifact defect
            reason = f"unexpected error loading ranker from {artifacts_dir}: {exc!r}"
        from nabiyam.observability import get_logger

        get_logger().error("ranker unavailable; serving the funnel-blend fallback", extra={"reason": reason})
        store = collab = None
        try:
            store = FeatureStore.load(Path(artifacts_dir) / STORE_FILE)
        except Exception:  # noqa: BLE001 - best effort: the fallback works without it
            store = None
        try:
            collab = CollabModel.load(Path(artifacts_dir) / COLLAB_FILE)
        except Exception:  # noqa: BLE001
            collab = None
        return cls(catalogue, store=store, collab=collab, fallback_reason=reason)

    @property
    def model_version(self) -> str:
        return self.artifacts.version if self.artifacts else FALLBACK_VERSION

    # ---- the pipeline, step by step (training calls the same steps) ----------------

    def resolve(
        self,
        user_id: str,
        filters: Filters,
        context: RequestContext,
        semantic_query: str = "",
        open_only: bool = True,
        now: datetime | None = None,
        safety: ChildSafety | None = None,
    ) -> tuple[ResolvedRequest, UserProfile]:
        """`safety` (serving passes the recommender's) adds the child-safety distances to
        Layer 1; training resolves without it, so its funnel flags follow today's layout."""
        profile = self.store.profile(user_id)
        req = ResolvedRequest.resolve(user_id, filters, context, profile, semantic_query, open_only, now, safety)
        return req, profile

    def layer1(
        self, req: ResolvedRequest, profile: UserProfile, shown: np.ndarray | None = None
    ) -> tuple[Layer1, dict[str, np.ndarray]]:
        """Hard filters + funnels. Training calls it exactly like serving (so a funnel flag
        means "Layer 1 nominated it for this request"); `shown` replaces the eligible set
        with given positions, for experiments only."""
        cat = self.catalogue
        distance = cat.distance_m(req.lat, req.lon) if req.lat is not None and req.lon is not None else None
        if shown is None:
            masks = filter_masks(cat, req, distance)
            ok = eligible(masks)
            if req.safety is not None:
                masks["distance"] = self._distance_mask(req, distance, ok)
                ok = ok & masks["distance"]
        else:
            masks = {}
            ok = np.zeros(len(cat), dtype=bool)
            ok[shown] = True
        return run_layer1(cat, self.store, self.collab, req, profile, ok, distance), masks

    @staticmethod
    def _distance_mask(req: ResolvedRequest, distance: np.ndarray | None, ok: np.ndarray) -> np.ndarray:
        """Where a child may be sent: very near late at night (nowhere when we do not know
        where they are); else within walking distance, farther (up to `far_max_m`, any
        distance inside a district the child named) only when nothing nearer fits."""
        safety = req.safety
        assert safety is not None
        if req.late_night:
            return distance <= safety.late_night_max_m if distance is not None else np.zeros(len(ok), dtype=bool)
        if distance is None:
            return np.ones(len(ok), dtype=bool)
        walk = distance <= safety.walk_max_m
        if (ok & walk).any():
            return walk
        return np.ones(len(ok), dtype=bool) if req.filters.district else distance <= safety.far_max_m

    def features(self, req: ResolvedRequest, profile: UserProfile, layer1: Layer1, positions: np.ndarray) -> FeatureBatch:
        return build_features(self.catalogue, self.store, self.vocab, req, profile, layer1, positions)

    # ---- the facade ----------------------------------------------------------------

    def recommend(
        self,
        user_id: str,
        filters: Filters,
        context: RequestContext,
        semantic_query: str = "",
        k: int = 5,
        open_only: bool = True,
        safety: ChildSafety | None = None,
    ) -> RecommendationResult:
        """Top-k for one request. `safety` (default: the recommender's) sets the child-safety
        distances and hours; the result says which applied (late night, farther, the budget)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        safety = safety or self.safety
        req, profile = self.resolve(user_id, filters, context, semantic_query, open_only, safety=safety)
        layer1, masks = self.layer1(req, profile)
        cands = layer1.candidates
        situation = {"late_night": req.late_night, "located": req.lat is not None and req.lon is not None,
                     "budget": req.budget, "card_limited": req.card_budget is not None,
                     "origin_lat": req.lat, "origin_lon": req.lon}
        if len(cands) == 0:
            return RecommendationResult(
                items=[], model_version=self.model_version, fallback=self.artifacts is None,
                fallback_reason=self.fallback_reason, eligible_count=int(layer1.eligible.sum()),
                relaxed=relaxations(self.catalogue, req, masks), **situation,
            )
        batch = self.features(req, profile, layer1, cands)
        ranker_scores: np.ndarray | None = None
        fallback_reason = self.fallback_reason
        if self.artifacts is not None:
            try:
                ranker_scores = self.artifacts.ranker.score(batch)
                if not np.isfinite(ranker_scores).all():
                    raise ArtifactError("ranker returned non-finite scores")
            except Exception as exc:  # noqa: BLE001 - a broken model must not break the answer
                from nabiyam.observability import get_logger

                fallback_reason = f"ranker failed at inference: {exc}"
                get_logger().error("ranker failed; using funnel-blend fallback", extra={"reason": fallback_reason})
                ranker_scores = None
        final = ranker_scores if ranker_scores is not None else fallback_scores(layer1, cands)
        order, hints = self._order(req, final, cands, k)
        open_now = self.catalogue.open_mask(req.at)
        items = [self._item(req, profile, layer1, int(cands[int(j)]), float(final[j]), hints[int(j)], open_now)
                 for j in order[:k]]
        walk = safety.walk_max_m
        situation["farther"] = any(r.distance_m is not None and r.distance_m > walk for r in items)
        rank = np.empty(len(cands), dtype=np.int64)
        rank[order] = np.arange(1, len(cands) + 1)
        # Plain lists first (numpy scalar indexing per cell is the slow part), then models
        # built without re-validating numbers this code just computed.
        funnel_rows = np.round(layer1.scores[:, cands].T, 4).tolist()
        flag_rows = layer1.flags[cands].tolist()
        ids = self.catalogue.shop_ids[cands].tolist()
        ranker_list = np.round(ranker_scores.astype(np.float64), 6).tolist() if ranker_scores is not None else None
        final_list = np.round(final.astype(np.float64), 6).tolist()
        rank_list = rank.tolist()
        candidates = [
            CandidateLog(
                shop_id=ids[j],
                funnels=dict(zip(FUNNELS, funnel_rows[j], strict=True)),
                nominated_by=[f for f, on in zip(FUNNELS, flag_rows[j], strict=True) if on],
                ranker_score=None if ranker_list is None else ranker_list[j],
                score=final_list[j],
                rank=rank_list[j],
            )
            for j in range(len(cands))
        ]
        served = ranker_scores is not None
        # Every field is this code's own output: constructed without re-validating 100 candidates.
        return RecommendationResult.model_construct(
            items=items, candidates=candidates, model_version=self.model_version if served else FALLBACK_VERSION,
            fallback=not served, fallback_reason=None if served else fallback_reason,
            eligible_count=int(layer1.eligible.sum()), relaxed=[], explanation=None, **situation,
        )

    def _hint(self, req: ResolvedRequest, pos: int) -> HintChoice | None:
        not_spicy = "not_spicy" in [str(d) for d in req.filters.dietary_preferences]
        return self.catalogue.price_hint(pos, req.budget, req.filters.food_types, req.filters.category, not_spicy)

    def _order(self, req: ResolvedRequest, final: np.ndarray, cands: np.ndarray,
               k: int) -> tuple[np.ndarray, dict[int, HintChoice | None]]:
        """Best first, with the price hint of each shown candidate. When a food or category was
        asked for, shops where it fits the budget come before shops shown only for a
        same-category dish, and those before the rest (the hard filter lets a 치킨 shop in for
        its 감자튀김 and a burger shop for its over-budget 치킨; neither may come first)."""
        if not (req.filters.food_types or req.filters.category):
            order = np.argsort(-final, kind="stable")
            return order, {int(j): self._hint(req, int(cands[j])) for j in order[:k]}
        tier = self._tiers(req, cands)
        order = np.lexsort((-final, tier))
        return order, {int(j): self._hint(req, int(cands[j])) for j in order[:k]}

    def _tiers(self, req: ResolvedRequest, cands: np.ndarray) -> np.ndarray:
        """Per candidate, the `price_hint` kind as a tier (0 asked, 1 same category, 2 other),
        from cached catalogue columns instead of a hint per candidate (`price_hint` decides the
        same way: the asked food within budget, else a same-category main, else anything)."""
        cat, f = self.catalogue, req.filters
        not_spicy = "not_spicy" in [str(d) for d in f.dietary_preferences]
        limit = float(req.budget) if req.budget is not None else np.inf
        cats = frozenset(wanted_categories(f.food_types, f.category))
        main_price = cat.category_main_min_price(cats, not_spicy)[cands]
        mains = np.isfinite(main_price) & (main_price <= limit)  # +inf (none) never fits, even without a budget
        if f.food_types:
            asked_price = np.min([cat.asked_min_price(food, not_spicy)[cands] for food in f.food_types], axis=0)
            asked = np.isfinite(asked_price) & (asked_price <= limit)
            return np.where(asked, 0, np.where(mains, 1, 2))
        return np.where(mains, 0, 2)

    def _item(self, req: ResolvedRequest, profile: UserProfile, layer1: Layer1, pos: int, score: float,
              hint: HintChoice | None, open_now: np.ndarray) -> Recommendation:
        cat = self.catalogue
        shop = cat.shops[pos]
        hint_item = hint.item if hint else None
        over = hint.asked_over if hint else None
        dist = int(round(float(layer1.distance[pos]))) if layer1.distance is not None else None
        f = req.filters
        diets = [str(d) for d in f.dietary_preferences if str(d) in cat.diet]
        counts = profile.category_counts
        total = sum(counts)
        facts = ReasonFacts(
            hint=hint, foods=tuple(f.food_types), asked_category=f.category, shop_category=shop.category,
            distance_m=dist, near_claim_m=req.safety.near_claim_m if req.safety else self.safety.near_claim_m,
            favourite_shop=shop.shop_id in profile.favorite_shops,
            frequent_shop=profile.shops.get(shop.shop_id, 0.0) >= FREQUENT_VISITS,
            favourite_brand=bool(shop.brand_id) and shop.brand_id in profile.favorite_brands,
            usual_category=total >= FREQUENT_VISITS and counts[CATEGORY_INDEX[shop.category]] / total >= 0.3,
            good_shop=shop.is_good_shop, rating=shop.rating, diets=tuple(diets),
            diet_share=min(float(cat.diet[d][pos]) for d in diets) if diets else 0.0,
        )
        return Recommendation(
            shop_id=shop.shop_id,
            name=shop.name,
            category=shop.category,
            district=shop.district,
            distance_m=dist,
            price_hint=PriceHint(item=hint_item.name, price=hint_item.price, kind=hint.kind,
                                 asked_item=over.name if over else None, asked_price=over.price if over else None,
                                 is_side=hint.kind != "asked" and is_side(hint_item))
            if hint and hint_item else None,
            is_good_shop=shop.is_good_shop,
            accepts_meal_card=shop.accepts_meal_card,
            open_now=bool(open_now[pos]),
            score=round(score, 6),
            reasons=pick_reasons(facts),
            funnels={fn: round(float(layer1.scores[i, pos]), 4) for i, fn in enumerate(FUNNELS)},
        )
