"""What a recommendation request carries and what comes back: the same objects in the
CLI (`nabiyam recommend`), `/recommendations` and `/chat`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class RequestContext(BaseModel):
    lat: float | None = Field(None, ge=33.0, le=39.0, description="latitude (WGS84), Korea")
    lon: float | None = Field(None, ge=124.0, le=132.0, description="longitude (WGS84), Korea")
    district: str | None = Field(None, description="구 name, e.g. 관악구")
    at: datetime | None = Field(None, description="request time (Asia/Seoul when naive); now if absent")
    budget: int | None = Field(None, ge=1000, le=100_000, description="won available for this meal")


class PriceHint(BaseModel):
    item: str
    price: int
    kind: Literal["asked", "same_category", "other"] | None = Field(
        None, description="what the item is: the asked-for food, a same-category main dish, or something else")
    asked_item: str | None = Field(None, description="the shop's cheapest asked-for food when it is over budget")
    asked_price: int | None = Field(None, description="its price (how much budget the asked food would need)")


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
    reason: str
    funnels: dict[str, float] = Field(default_factory=dict, description="Layer-1 funnel → score")
