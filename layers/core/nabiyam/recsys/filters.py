"""Hard filters: the rules a recommendation may never break, applied before any scoring.

A shop is eligible only if every mask is true: accepts the meal card, open at the request
time (unless the caller opts out), has a menu item within the budget, lies in the
requested district / within `NEAR_ME_M` when `near_me`, is a good shop when asked, and
serves the requested category or food. When nothing is eligible, `relaxations` says which
single filter to loosen and how many shops that would give (for the NLG to suggest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import BaseModel

from nabiyam.domain.food import FOOD_BY_NAME
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.hours import KST, to_kst
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import RequestContext
from nabiyam.recsys.catalogue import CatalogueIndex
from nabiyam.recsys.store import UserProfile, time_of_day

NEAR_ME_M = 2_000.0  # "근처": walking distance for a child

FILTER_LABELS_KO: dict[str, str] = {
    "meal_card": "급식카드 사용 가능",
    "open_now": "지금 영업 중",
    "budget": "예산 안",
    "district": "요청한 동네",
    "near_me": "가까운 거리",
    "good_shop": "착한가게",
    "category": "원하는 음식 종류",
}


@dataclass(frozen=True)
class ResolvedRequest:
    """One request with every default decided (time, place, budget, meal slot)."""

    user_id: str
    filters: Filters
    at: datetime
    lat: float | None
    lon: float | None
    budget: int | None
    time_of_day: str
    semantic_query: str
    open_only: bool = True

    @classmethod
    def resolve(
        cls,
        user_id: str,
        filters: Filters,
        context: RequestContext,
        profile: UserProfile,
        semantic_query: str = "",
        open_only: bool = True,
        now: datetime | None = None,
    ) -> ResolvedRequest:
        at = to_kst(context.at or now or datetime.now(KST))
        lat, lon = context.lat, context.lon
        if lat is None or lon is None:
            if profile.lat is not None and profile.lon is not None and (
                context.district is None or context.district == profile.district
            ):
                lat, lon = profile.lat, profile.lon
            else:
                centre = DISTRICTS.get(context.district or "") or DISTRICTS.get(filters.district or "")
                lat, lon = (centre.lat, centre.lon) if centre else (None, None)
        budgets = [b for b in (filters.budget_max, context.budget) if b is not None]
        return cls(
            user_id=user_id,
            filters=filters,
            at=at,
            lat=lat,
            lon=lon,
            budget=min(budgets) if budgets else None,
            time_of_day=str(filters.time_of_day) if filters.time_of_day else time_of_day(at),
            semantic_query=semantic_query or "",
            open_only=open_only,
        )


def wanted_categories(filters: Filters) -> set[str]:
    wanted = {filters.category} if filters.category else set()
    wanted |= {FOOD_BY_NAME[f].category for f in filters.food_types if f in FOOD_BY_NAME}
    return wanted


def category_mask(cat: CatalogueIndex, filters: Filters) -> np.ndarray:
    """Serves the asked category, or one of the asked foods (by menu or by the food's category)."""
    if not filters.category and not filters.food_types:
        return np.ones(len(cat), dtype=bool)
    wanted = wanted_categories(filters)
    foods = set(filters.food_types)
    by_cat = np.array([s.category in wanted for s in cat.shops], dtype=bool)
    by_food = np.array([bool(foods & f) for f in cat.foods], dtype=bool) if foods else np.zeros(len(cat), bool)
    return by_cat | by_food


def filter_masks(cat: CatalogueIndex, req: ResolvedRequest, distance: np.ndarray | None) -> dict[str, np.ndarray]:
    n = len(cat)
    everyone = np.ones(n, dtype=bool)
    f = req.filters
    masks = {
        "meal_card": cat.accepts_card.copy(),
        "open_now": cat.open_mask(req.at) if req.open_only else everyone,
        "budget": cat.min_price <= req.budget if req.budget is not None else cat.menu_count > 0,
        "district": cat.district == f.district if f.district else everyone,
        "near_me": distance <= NEAR_ME_M if f.near_me and distance is not None else everyone,
        "good_shop": cat.good_shop.copy() if f.good_shop_only else everyone,
        "category": category_mask(cat, f),
    }
    return masks


def eligible(masks: dict[str, np.ndarray]) -> np.ndarray:
    out = np.ones_like(next(iter(masks.values())))
    for m in masks.values():
        out &= m
    return out


class Relaxation(BaseModel):
    """Loosening one filter: what to change and how many shops would then fit."""

    filter: str
    label: str
    matches: int
    suggestion: str


def relaxations(cat: CatalogueIndex, req: ResolvedRequest, masks: dict[str, np.ndarray]) -> list[Relaxation]:
    out: list[Relaxation] = []
    for name, mask in masks.items():
        if name == "meal_card" or mask.all():
            continue
        others = eligible({k: v for k, v in masks.items() if k != name})
        count = int(others.sum())
        if count == 0:
            continue
        if name == "budget":
            need = int(cat.min_price[others].min())
            suggestion = f"예산을 {need:,}원 이상으로 올려 보세요"
        elif name == "open_now":
            suggestion = "다른 시간에 다시 찾아 보세요"
        elif name == "district":
            suggestion = "다른 동네도 함께 찾아 보세요"
        elif name == "near_me":
            suggestion = "조금 더 먼 곳까지 찾아 보세요"
        elif name == "good_shop":
            suggestion = "착한가게가 아닌 곳도 함께 찾아 보세요"
        else:
            suggestion = "다른 음식 종류도 찾아 보세요"
        out.append(Relaxation(filter=name, label=FILTER_LABELS_KO[name], matches=count, suggestion=suggestion))
    out.sort(key=lambda r: -r.matches)
    return out
