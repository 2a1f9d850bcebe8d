"""The safety re-check before NLG: every shown shop against every hard filter, computed
from the catalogue itself (the shop's own record, menu and hours), never from the flags
the recommender set on its answer. A recommender bug must never reach a child.

>>> from nabiyam.domain.nlu import Filters
>>> AnswerRequest(Filters(budget_max=15000), RequestContext(budget=9000), at=None).budget
9000
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from nabiyam.domain.catalogue import MenuItem, Shop
from nabiyam.domain.geo import DISTRICTS, haversine_m
from nabiyam.domain.hours import KST, to_kst
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import ChildSafety, Recommendation, RequestContext, effective_budget
from nabiyam.recsys.catalogue import CatalogueIndex, food_matches, is_spicy, wanted_categories

if TYPE_CHECKING:
    from nabiyam.storage.conversations import ConversationRecord

HARD_FILTERS: tuple[str, ...] = ("unknown_shop", "meal_card", "open_now", "budget", "price_hint", "district",
                                 "distance", "good_shop", "category", "diet")


@dataclass(frozen=True)
class PersonalFacts:
    """What the service knows about the person, for personal reasons ("즐겨찾기한 가게")."""

    favorite_shops: frozenset[str] = frozenset()
    frequent_shops: frozenset[str] = frozenset()
    favorite_brands: frozenset[str] = frozenset()
    usual_categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AnswerRequest:
    """One request as the checks see it: what was asked, where and when, and the policy."""

    filters: Filters
    context: RequestContext
    at: datetime | None
    origin: tuple[float, float] | None = None  # where the child was located (None: unknown)
    safety: ChildSafety = field(default_factory=ChildSafety)
    personal: PersonalFacts | None = None  # None: personal reasons are counted as unverified

    @property
    def budget(self) -> int | None:
        """The one effective budget: min(what was said, the card's balance)."""
        return effective_budget(self.filters.budget_max, self.context.budget)

    @property
    def when(self) -> datetime:
        return to_kst(self.at or self.context.at or datetime.now(KST))

    @property
    def late_night(self) -> bool:
        t = self.when
        return self.safety.is_late_night(t.hour * 60 + t.minute)

    @property
    def not_spicy(self) -> bool:
        return "not_spicy" in [str(d) for d in self.filters.dietary_preferences]

    @classmethod
    def from_record(cls, record: ConversationRecord, safety: ChildSafety | None = None) -> AnswerRequest:
        """From a logged turn (`nabiyam.storage.conversations.ConversationRecord`): the NLU's
        filters, the context, the request time and the located origin the pipeline logged."""
        context = dict(record.context or {})
        origin = context.pop("origin", None)
        filters = Filters.model_validate((record.nlu or {}).get("filters") or {})
        ctx = RequestContext.model_validate({k: v for k, v in context.items() if k in RequestContext.model_fields})
        at = ctx.at or datetime.fromisoformat(record.created_at)
        return cls(filters, ctx, at, (origin["lat"], origin["lon"]) if origin else None, safety or ChildSafety())


def shop_distance_m(req: AnswerRequest, shop: Shop) -> int | None:
    if req.origin is None:
        return None
    return int(round(haversine_m(req.origin[0], req.origin[1], shop.lat, shop.lon)))


def menu_item(catalogue: CatalogueIndex, pos: int, name: str, price: int) -> MenuItem | None:
    return next((m for m in catalogue.menus[pos] if m.name == name and m.price == price), None)


def asked_fits(req: AnswerRequest, catalogue: CatalogueIndex, pos: int) -> bool:
    """The asked food (or a main dish of the asked category) is on this shop's menu within budget."""
    budget = req.budget
    f = req.filters
    for m in catalogue.menus[pos]:
        if budget is not None and m.price > budget:
            continue
        if req.not_spicy and is_spicy(m):
            continue
        if any(food_matches(m.food, food, m.name) for food in f.food_types):
            return True
    return False


def allowed_distance_m(req: AnswerRequest) -> float | None:
    """The farthest a child may be sent for this request (None: no limit applies)."""
    if req.late_night:
        return req.safety.late_night_max_m
    if req.filters.district:
        return None  # inside the district the child named, any distance (said plainly)
    return req.safety.far_max_m


def shop_violations(rec: Recommendation, req: AnswerRequest, catalogue: CatalogueIndex) -> list[str]:
    """Every hard filter `rec` breaks, from the catalogue's own data ([] = safe to show)."""
    pos = catalogue.position.get(rec.shop_id)
    if pos is None:
        return ["unknown_shop"]
    shop = catalogue.shops[pos]
    f = req.filters
    problems: list[str] = []
    if not shop.accepts_meal_card:
        problems.append("meal_card")
    if not shop.is_open(req.when):
        problems.append("open_now")
    hint = rec.price_hint
    item = menu_item(catalogue, pos, hint.item, hint.price) if hint else None
    budget = req.budget
    if budget is not None and (item is None or item.price > budget):
        problems.append("budget")
    if hint is not None and item is None:
        problems.append("price_hint")  # the named item is not on this shop's menu at that price
    if f.district and shop.district != f.district:
        problems.append("district")
    limit = allowed_distance_m(req)
    dist = shop_distance_m(req, shop)
    if req.late_night and dist is None:
        problems.append("distance")  # late at night only shops we know are very near
    elif limit is not None and dist is not None and dist > limit:
        problems.append("distance")
    elif f.near_me and dist is not None and dist > req.safety.walk_max_m:
        problems.append("distance")
    if f.good_shop_only and not shop.is_good_shop:
        problems.append("good_shop")
    if f.category or f.food_types:
        wanted = wanted_categories(f.food_types, f.category)
        if shop.category not in wanted and not any(food_matches(m.food, food, m.name)
                                                   for m in catalogue.menus[pos] for food in f.food_types):
            problems.append("category")
    if req.not_spicy and ((item is not None and is_spicy(item)) or not any(
            not is_spicy(m) and (budget is None or m.price <= budget) for m in catalogue.menus[pos])):
        problems.append("diet")  # "매운 거 못 먹어요": a non-spicy dish, and the hint is one
    return problems


def violations_by_shop(items: Sequence[Recommendation], req: AnswerRequest,
                       catalogue: CatalogueIndex) -> dict[str, list[str]]:
    """shop_id → its violations, for the shops that break at least one hard filter."""
    out: dict[str, list[str]] = {}
    for rec in items:
        bad = shop_violations(rec, req, catalogue)
        if bad:
            out[rec.shop_id] = bad
    return out


def origin_of(context: RequestContext, filters: Filters) -> tuple[float, float] | None:
    """Where a request locates a child without a profile: its coordinates, else its district's centre."""
    if context.lat is not None and context.lon is not None:
        return context.lat, context.lon
    centre = DISTRICTS.get(context.district or "") or DISTRICTS.get(filters.district or "")
    return (centre.lat, centre.lon) if centre else None
