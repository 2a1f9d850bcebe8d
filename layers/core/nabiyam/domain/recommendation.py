"""What a recommendation request carries and what comes back: the same objects in the
CLI (`nabiyam recommend`), `/recommendations` and `/chat`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from nabiyam.settings import Settings


class RequestContext(BaseModel):
    lat: float | None = Field(None, ge=33.0, le=39.0, description="latitude (WGS84), Korea")
    lon: float | None = Field(None, ge=124.0, le=132.0, description="longitude (WGS84), Korea")
    district: str | None = Field(None, description="구 name, e.g. 관악구")
    at: datetime | None = Field(None, description="request time (Asia/Seoul when naive); now if absent")
    budget: int | None = Field(None, ge=1000, le=100_000, description="won available for this meal")


# The request's meal slot and companion, in the order the ranker's lift tables and the
# world's behaviour model index them (one list for both).
TIMES_OF_DAY: tuple[str, ...] = ("breakfast", "lunch", "snack", "dinner", "late_night")
COMPANIONS: tuple[str, ...] = ("alone", "friends", "family")


def effective_budget(said: int | None, card: int | None) -> int | None:
    """One budget everywhere: the smaller of what the child said and the card's balance.

    >>> effective_budget(15000, 9000), effective_budget(None, 9000), effective_budget(7000, None)
    (9000, 9000, 7000)
    """
    budgets = [b for b in (said, card) if b is not None]
    return min(budgets) if budgets else None


@dataclass(frozen=True)
class ChildSafety:
    """The distances and hours a child is sent to (configurable in `Settings`).

    >>> ChildSafety().is_late_night(23 * 60), ChildSafety().is_late_night(12 * 60)
    (True, False)
    """

    walk_max_m: float = 1_500.0  # the default: walking distance for a child
    far_max_m: float = 4_000.0  # farther only when nothing within walking distance fits, and said plainly
    near_claim_m: float = 800.0  # "가까워요" only this close
    late_night_start_min: int = 22 * 60  # KST minute of the day
    late_night_end_min: int = 6 * 60
    late_night_max_m: float = 700.0  # late at night only very near shops

    @classmethod
    def from_settings(cls, settings: Settings) -> ChildSafety:
        """From the one settings object (its child_* and late_night_* fields)."""
        return cls(walk_max_m=settings.child_walk_max_m, far_max_m=settings.child_far_max_m,
                   late_night_start_min=settings.late_night_start_hour * 60,
                   late_night_end_min=settings.late_night_end_hour * 60, late_night_max_m=settings.late_night_max_m)

    def is_late_night(self, minute_of_day: int) -> bool:
        start, end = self.late_night_start_min, self.late_night_end_min
        if start <= end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end


class PriceHint(BaseModel):
    item: str
    price: int
    kind: Literal["asked", "same_category", "other"] | None = Field(
        None, description="what the item is: the asked-for food, a same-category main dish, or something else")
    asked_item: str | None = Field(None, description="the shop's cheapest asked-for food when it is over budget")
    asked_price: int | None = Field(None, description="its price (how much budget the asked food would need)")
    is_side: bool = Field(False, description="a side dish, drink or snack (only these fit the budget here)")


class ReasonCode(StrEnum):
    """Why a shop is shown. The recommender hands over codes with their facts; only the
    NLG (`nabiyam.nlg.reasons`) turns them into Korean, and the claim checker verifies them."""

    ASKED_FOOD_FITS = "asked_food_fits"  # the asked food, `item` at `price`, within the budget
    ASKED_CATEGORY = "asked_category"  # the shop's category is the asked one
    SUBSTITUTE = "substitute"  # the asked food is over budget (`asked_item` at `asked_price`) or absent
    NEAR = "near"  # within `ChildSafety.near_claim_m` (`distance_m`)
    FAVOURITE_SHOP = "favourite_shop"
    FREQUENT_SHOP = "frequent_shop"
    FAVOURITE_BRAND = "favourite_brand"
    USUAL_CATEGORY = "usual_category"
    GOOD_SHOP = "good_shop"
    HIGH_RATING = "high_rating"  # `rating` ≥ 4.0
    DIET_MATCH = "diet_match"  # `diet`: at least half the menu matches


class Reason(BaseModel):
    """One reason code and the facts it rests on (only the ones its code needs)."""

    code: ReasonCode
    item: str | None = None
    price: int | None = None
    asked: str | None = Field(None, description="the asked food or category, as the request named it")
    asked_item: str | None = None
    asked_price: int | None = None
    distance_m: int | None = None
    category: str | None = None
    rating: float | None = None
    diet: str | None = None


class Recommendation(BaseModel):
    shop_id: str
    name: str
    category: str
    district: str
    distance_m: int | None
    price_hint: PriceHint | None
    is_good_shop: bool
    accepts_meal_card: bool
    open_now: bool
    score: float
    reason: str = Field("", description="the reasons in Korean (written by the NLG from `reasons`)")
    reasons: list[Reason] = Field(default_factory=list, description="structured reasons, strongest first")
    funnels: dict[str, float] = Field(default_factory=dict, description="Layer-1 funnel → score")
