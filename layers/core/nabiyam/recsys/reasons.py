"""Why each shop is shown, as structured reasons: a code and the facts it rests on.

The recommender writes no Korean: `nabiyam.nlg.reasons` renders these, and the claim
checker (`nabiyam.nlg.claims`) verifies every rendered sentence against the request and
the catalogue. A reason is only emitted when its fact is true for this request:

- `asked_food_fits` only when the child named a food and the hint item is that food;
- `asked_category` only when the child named the category and the shop is of it;
- `substitute` only when a food or category was asked and the hint is something else;
- `near` only within `ChildSafety.near_claim_m`;
- `good_shop`, `high_rating` (from `HIGH_RATING` up) and `diet_match` (at least `DIET_SHARE`
  of the menu) from the catalogue's own columns.

>>> from nabiyam.domain.recommendation import ReasonCode
>>> [r.code.value for r in pick_reasons(ReasonFacts(favourite_shop=True, good_shop=True, distance_m=300,
...                                                near_claim_m=800))]
['favourite_shop', 'near']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nabiyam.domain.recommendation import Reason, ReasonCode
from nabiyam.recsys.catalogue import HintChoice

MAX_REASONS = 2  # besides the price-hint reason: a child reads two reasons, not five
HIGH_RATING = 4.0  # "평점이 높아요" only from here up
DIET_SHARE = 0.5  # "원하는 식단에 잘 맞아요" only when at least half the menu matches


@dataclass(frozen=True)
class ReasonFacts:
    """The facts about one (request, shop) pair that reasons may rest on."""

    hint: HintChoice | None = None
    foods: Sequence[str] = ()
    asked_category: str | None = None
    shop_category: str = ""
    distance_m: int | None = None
    near_claim_m: float = 800.0
    favourite_shop: bool = False
    frequent_shop: bool = False
    favourite_brand: bool = False
    usual_category: bool = False
    good_shop: bool = False
    rating: float = 0.0
    diets: Sequence[str] = ()
    diet_share: float = 0.0


def hint_reason(f: ReasonFacts) -> Reason | None:
    """The reason the price hint carries: the asked food fits, or a substitute for it."""
    hint = f.hint
    if hint is None or not (f.foods or f.asked_category):
        return None
    asked = f.foods[0] if f.foods else f.asked_category
    if hint.kind == "asked":
        if f.foods:
            return Reason(code=ReasonCode.ASKED_FOOD_FITS, item=hint.item.name, price=hint.item.price, asked=asked)
        return None  # a category was asked: `asked_category` says it
    over = hint.asked_over
    return Reason(code=ReasonCode.SUBSTITUTE, item=hint.item.name, price=hint.item.price, asked=asked,
                  asked_item=over.name if over else None, asked_price=over.price if over else None)


def pick_reasons(f: ReasonFacts) -> list[Reason]:
    """The hint reason first (when there is one), then the strongest true others."""
    out: list[Reason] = []
    first = hint_reason(f)
    if first is not None:
        out.append(first)
    options: list[tuple[float, Reason]] = []
    if f.favourite_shop:
        options.append((1.0, Reason(code=ReasonCode.FAVOURITE_SHOP)))
    elif f.frequent_shop:
        options.append((0.9, Reason(code=ReasonCode.FREQUENT_SHOP)))
    if f.favourite_brand:
        options.append((0.8, Reason(code=ReasonCode.FAVOURITE_BRAND)))
    if f.asked_category and f.shop_category == f.asked_category and not f.foods:
        options.append((0.78, Reason(code=ReasonCode.ASKED_CATEGORY, category=f.shop_category)))
    if f.distance_m is not None and f.distance_m <= f.near_claim_m:
        options.append((0.75 - f.distance_m / 4000, Reason(code=ReasonCode.NEAR, distance_m=f.distance_m)))
    if f.diets and f.diet_share >= DIET_SHARE:
        options.append((0.65, Reason(code=ReasonCode.DIET_MATCH, diet=str(f.diets[0]))))
    if f.good_shop:
        options.append((0.55, Reason(code=ReasonCode.GOOD_SHOP)))
    if f.rating >= HIGH_RATING:
        options.append((0.45, Reason(code=ReasonCode.HIGH_RATING, rating=round(f.rating, 1))))
    if f.usual_category:
        options.append((0.4, Reason(code=ReasonCode.USUAL_CATEGORY, category=f.shop_category)))
    options.sort(key=lambda o: -o[0])
    out.extend(r for _, r in options[:MAX_REASONS])
    return out
