"""Hard filters: the rules a recommendation may never break, applied before any scoring.

A shop is eligible only if every mask is true: accepts the meal card, open at the request
time (unless the caller opts out), has a menu item within the budget, lies in the
requested district / within `NEAR_ME_M` when `near_me`, is a good shop when asked,
serves the requested category or food, and (for "안 매운") has a non-spicy dish within
budget. Serving adds the child-safety distances (`ChildSafety`: walking distance by
default, only very near shops late at night; see `Recommender.layer1`). When nothing is
eligible, `relaxations` says which single filter to loosen and how many shops that would
give (for the NLG to suggest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import BaseModel

from nabiyam.domain.food import food_category
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.hours import KST, to_kst
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import ChildSafety, RequestContext, effective_budget
from nabiyam.recsys.catalogue import CatalogueIndex
from nabiyam.recsys.store import UserProfile, time_of_day

NEAR_ME_M = ChildSafety().walk_max_m  # "근처": walking distance for a child

FILTER_NAMES: tuple[str, ...] = ("meal_card", "open_now", "budget", "district", "near_me", "good_shop", "category",
                                 "diet", "distance")


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
    safety: ChildSafety | None = None  # serving's child-safety distances; None in training (see layer1)
    card_budget: int | None = None  # the card's balance when it is what limits the budget

    @property
    def late_night(self) -> bool:
        """22:00–06:00 KST (configurable): only very near, open shops, and a gentle word."""
        return self.safety is not None and self.safety.is_late_night(self.at.hour * 60 + self.at.minute)

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
        safety: ChildSafety | None = None,
    ) -> ResolvedRequest:
        """The child is located by the context's coordinates, else their home (when the
        context's district is theirs), else the context's district centre, else the centre of
        the district the request names. Only the request's district is a hard filter."""
        at = to_kst(context.at or now or datetime.now(KST))
        lat, lon = locate(filters, context, profile)
        budget = effective_budget(filters.budget_max, context.budget)
        return cls(
            user_id=user_id,
            filters=filters,
            at=at,
            lat=lat,
            lon=lon,
            budget=budget,
            time_of_day=str(filters.time_of_day) if filters.time_of_day else time_of_day(at),
            semantic_query=semantic_query or "",
            open_only=open_only,
            safety=safety,
            card_budget=context.budget if context.budget is not None and budget == context.budget
            and (filters.budget_max is None or context.budget < filters.budget_max) else None,
        )


def locate(filters: Filters, context: RequestContext, profile: UserProfile) -> tuple[float | None, float | None]:
    """Where the child is (see `ResolvedRequest.resolve`); (None, None) when unknown."""
    if context.lat is not None and context.lon is not None:
        return context.lat, context.lon
    if profile.lat is not None and profile.lon is not None and (
        context.district is None or context.district == profile.district
    ):
        return profile.lat, profile.lon
    centre = DISTRICTS.get(context.district or "") or DISTRICTS.get(filters.district or "")
    return (centre.lat, centre.lon) if centre else (None, None)


def wanted_categories(filters: Filters) -> set[str]:
    wanted = {filters.category} if filters.category else set()
    wanted |= {c for c in (food_category(f) for f in filters.food_types) if c}
    return wanted


def category_mask(cat: CatalogueIndex, filters: Filters) -> np.ndarray:
    """Serves the asked category, or one of the asked foods (by menu, through the catalogue's
    food index, or by the food's category)."""
    if not filters.category and not filters.food_types:
        return np.ones(len(cat), dtype=bool)
    wanted = wanted_categories(filters)
    out = cat.category_mask_of(wanted)
    for food in filters.food_types:
        out = out | cat.serves(food)
    return out


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
        "diet": cat.non_spicy_within(req.budget) if "not_spicy" in [str(d) for d in f.dietary_preferences]
        else everyone,
    }
    return masks


def eligible(masks: dict[str, np.ndarray]) -> np.ndarray:
    out = np.ones_like(next(iter(masks.values())))
    for m in masks.values():
        out &= m
    return out


class Relaxation(BaseModel):
    """Loosening one filter: which, and how many shops would then fit (the NLG words it)."""

    filter: str
    matches: int
    need_budget: int | None = None  # for "budget": the smallest budget that would give a shop
    suggestion: str = ""  # filled by the NLG (`nabiyam.nlg.templates.relaxation_tip`) for API readers


def relaxations(cat: CatalogueIndex, req: ResolvedRequest, masks: dict[str, np.ndarray]) -> list[Relaxation]:
    out: list[Relaxation] = []
    for name, mask in masks.items():
        if name == "meal_card" or mask.all():
            continue
        others = eligible({k: v for k, v in masks.items() if k != name})
        count = int(others.sum())
        if count == 0:
            continue
        need = int(cat.min_price[others].min()) if name == "budget" else None
        out.append(Relaxation(filter=name, matches=count, need_budget=need))
    out.sort(key=lambda r: -r.matches)
    return out
