"""The operator's data as typed records: the seed's sheets shop, brand, menu, user,
product_order, userfavorite and review. The world generator writes them, the importer
validates them, storage persists them, the recommender reads them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nabiyam.domain.food import CATEGORIES
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.hours import Week, is_open, parse_hours


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Brand(Record):
    brand_id: str
    name: str
    category: str
    is_chain: bool


class Shop(Record):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    shop_id: str
    name: str
    brand_id: str | None = None
    category: str
    district: str
    dong: str
    address: str
    lat: float = Field(ge=33.0, le=39.0)
    lon: float = Field(ge=124.0, le=132.0)
    opening_hours: str
    accepts_meal_card: bool
    is_good_shop: bool
    rating: float = Field(ge=0.0, le=5.0)
    review_count: int = Field(ge=0)
    order_count: int = Field(ge=0)
    opened_on: date

    @field_validator("category")
    @classmethod
    def _known_category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown category {v!r}; expected one of {', '.join(CATEGORIES)}")
        return v

    @field_validator("district")
    @classmethod
    def _known_district(cls, v: str) -> str:
        if v not in DISTRICTS:
            raise ValueError(f"unknown district {v!r}; expected one of {', '.join(DISTRICTS)}")
        return v

    @field_validator("opening_hours")
    @classmethod
    def _valid_hours(cls, v: str) -> str:
        parse_hours(v)  # raises OpeningHoursError (a ValueError) with a readable message
        return v

    @cached_property
    def week(self) -> Week:
        return parse_hours(self.opening_hours)

    def is_open(self, at: datetime) -> bool:
        return is_open(self.week, at)


class MenuItem(Record):
    menu_id: str
    shop_id: str
    name: str
    food: str = Field(description="canonical food name from nabiyam.domain.food")
    price: int = Field(gt=0, le=200_000)
    is_spicy: bool = False


class Role(StrEnum):
    CHILD = "child"
    PARENT = "parent"


class User(Record):
    user_id: str
    role: Role
    birthday: date
    district: str
    lat: float = Field(ge=33.0, le=39.0)
    lon: float = Field(ge=124.0, le=132.0)
    meal_card_daily_limit: int = Field(ge=0, le=100_000, description="won per day")
    joined_on: date

    def age(self, on: date) -> int:
        return on.year - self.birthday.year - ((on.month, on.day) < (self.birthday.month, self.birthday.day))


class Order(Record):
    order_id: str
    user_id: str
    shop_id: str
    menu_id: str
    price: int = Field(gt=0)
    ordered_at: datetime
    session_id: str | None = None


class Favorite(Record):
    user_id: str
    shop_id: str
    created_at: datetime


class Review(Record):
    review_id: str
    user_id: str
    shop_id: str
    rating: int = Field(ge=1, le=5)
    text: str
    created_at: datetime
