"""The recommender facade the API, the CLI and training call: hard filters → four funnels
→ Wide & Deep (ONNX) → top-k with reasons. A missing or broken ranker never raises: the
result falls back to a deterministic funnel blend and says so (`fallback=True`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import PriceHint, Recommendation, RequestContext
from nabiyam.recsys.catalogue import CatalogueIndex, HintChoice
from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.features import FeatureBatch, build_features
from nabiyam.recsys.filters import Relaxation, ResolvedRequest, eligible, filter_masks, relaxations
from nabiyam.recsys.funnels import FUNNELS, Layer1, fallback_scores, run_layer1
from nabiyam.recsys.ranker import COLLAB_FILE, STORE_FILE, ArtifactError, RankerArtifacts
from nabiyam.recsys.reasons import reason_for
from nabiyam.recsys.store import FeatureStore, UserProfile, Vocab

FALLBACK_VERSION = "funnel-blend-v1"
_TIER = {"asked": 0, "same_category": 1, "other": 2}


class CandidateLog(BaseModel):
    """One Layer-1 candidate as the conversation log stores it."""

    shop_id: str
    funnels: dict[str, float]
    nominated_by: list[str]
    ranker_score: float | None
    score: float
    rank: int


class RecommendationResult(BaseModel):
    items: list[Recommendation]
    candidates: list[CandidateLog] = Field(default_factory=list)
    model_version: str
    fallback: bool
    fallback_reason: str | None = None
    eligible_count: int = 0
    relaxed: list[Relaxation] = Field(default_factory=list, description="what to loosen when nothing fits")
    explanation: str | None = Field(None, description="Korean hint for the NLG when nothing fits")


class Recommender:
    def __init__(
        self,
        catalogue: CatalogueIndex,
        artifacts: RankerArtifacts | None = None,
        store: FeatureStore | None = None,
        collab: CollabModel | None = None,
        fallback_reason: str | None = None,
        vocab: Vocab | None = None,
    ):
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
    ) -> tuple[ResolvedRequest, UserProfile]:
        profile = self.store.profile(user_id)
        return ResolvedRequest.resolve(user_id, filters, context, profile, semantic_query, open_only, now), profile

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
        else:
            masks = {}
            ok = np.zeros(len(cat), dtype=bool)
            ok[shown] = True
        return run_layer1(cat, self.store, self.collab, req, profile, ok, distance), masks

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
    ) -> RecommendationResult:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        req, profile = self.resolve(user_id, filters, context, semantic_query, open_only)
        layer1, masks = self.layer1(req, profile)
        cands = layer1.candidates
        if len(cands) == 0:
            relax = relaxations(self.catalogue, req, masks)
            hint = relax[0].suggestion if relax else "조건을 조금 바꿔서 다시 물어봐 주세요"
            return RecommendationResult(
                items=[], model_version=self.model_version, fallback=self.artifacts is None,
                fallback_reason=self.fallback_reason, eligible_count=int(layer1.eligible.sum()),
                relaxed=relax, explanation=f"조건에 맞는 가게가 없어요. {hint}.",
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
        items = [self._item(req, layer1, batch, int(j), float(final[j]), hints[int(j)]) for j in order[:k]]
        rank_of = {int(j): r + 1 for r, j in enumerate(order)}
        candidates = [
            CandidateLog(
                shop_id=str(self.catalogue.shop_ids[pos]),
                funnels={f: round(float(layer1.scores[i, pos]), 4) for i, f in enumerate(FUNNELS)},
                nominated_by=[f for i, f in enumerate(FUNNELS) if layer1.flags[pos, i]],
                ranker_score=None if ranker_scores is None else round(float(ranker_scores[j]), 6),
                score=round(float(final[j]), 6),
                rank=rank_of[j],
            )
            for j, pos in enumerate(cands.tolist())
        ]
        return RecommendationResult(
            items=items, candidates=candidates, model_version=self.model_version if ranker_scores is not None
            else FALLBACK_VERSION, fallback=ranker_scores is None, fallback_reason=None if ranker_scores is not None
            else fallback_reason, eligible_count=int(layer1.eligible.sum()),
        )

    def _hint(self, req: ResolvedRequest, pos: int) -> HintChoice | None:
        return self.catalogue.price_hint(pos, req.budget, req.filters.food_types, req.filters.category)

    def _order(self, req: ResolvedRequest, final: np.ndarray, cands: np.ndarray,
               k: int) -> tuple[np.ndarray, dict[int, HintChoice | None]]:
        """Best first, with the price hint of each shown candidate. When a food or category was
        asked for, shops where it fits the budget come before shops shown only for a
        same-category dish, and those before the rest (the hard filter lets a 치킨 shop in for
        its 감자튀김 and a burger shop for its over-budget 치킨; neither may come first)."""
        if not (req.filters.food_types or req.filters.category):
            order = np.argsort(-final, kind="stable")
            return order, {int(j): self._hint(req, int(cands[j])) for j in order[:k]}
        hints = {j: self._hint(req, int(pos)) for j, pos in enumerate(cands.tolist())}
        tier = np.array([_TIER.get(hints[j].kind if hints[j] else "other", 2) for j in range(len(cands))])
        return np.lexsort((-final, tier)), hints

    def _item(self, req: ResolvedRequest, layer1: Layer1, batch: FeatureBatch, j: int, score: float,
              hint: HintChoice | None) -> Recommendation:
        cat = self.catalogue
        pos = int(batch.positions[j])
        shop = cat.shops[pos]
        hint_item = hint.item if hint else None
        over = hint.asked_over if hint else None
        dist = int(round(float(layer1.distance[pos]))) if layer1.distance is not None else None
        price = hint_item.price if hint_item else None
        return Recommendation(
            shop_id=shop.shop_id,
            name=shop.name,
            category=shop.category,
            district=shop.district,
            distance_m=dist,
            price_hint=PriceHint(item=hint_item.name, price=hint_item.price, kind=hint.kind,
                                 asked_item=over.name if over else None, asked_price=over.price if over else None)
            if hint and hint_item else None,
            is_good_shop=shop.is_good_shop,
            accepts_meal_card=shop.accepts_meal_card,
            open_now=bool(cat.open_mask(req.at)[pos]),
            score=round(score, 6),
            reason=reason_for(batch.wide[j], dist, price, req.budget, shop.category, hint=hint,
                              foods=req.filters.food_types, asked_category=req.filters.category),
            funnels={f: round(float(layer1.scores[i, pos]), 4) for i, f in enumerate(FUNNELS)},
        )

