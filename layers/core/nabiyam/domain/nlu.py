"""The NLU output contract: shared by the API, the conversation log and training."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Intent(StrEnum):
    FOOD_RECOMMENDATION = "FOOD_RECOMMENDATION"
    BUDGET_FOOD_INQUIRY = "BUDGET_FOOD_INQUIRY"
    MENU_INQUIRY = "MENU_INQUIRY"
    SHOP_INFO = "SHOP_INFO"
    GREETING = "GREETING"
    FEEDBACK = "FEEDBACK"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"


class EntityType(StrEnum):
    FOOD_TYPE = "food_type"
    CATEGORY = "category"
    BUDGET = "budget"
    COMPANION = "companion"
    TIME_OF_DAY = "time_of_day"
    DIETARY_PREFERENCE = "dietary_preference"
    LOCATION = "location"
    SHOP_NAME = "shop_name"


class Companion(StrEnum):
    FAMILY = "family"
    FRIENDS = "friends"
    ALONE = "alone"


class TimeOfDay(StrEnum):
    BREAKFAST = "breakfast"
    LUNCH = "lunch"
    DINNER = "dinner"
    LATE_NIGHT = "late_night"
    SNACK = "snack"


class Dietary(StrEnum):
    HEALTHY = "healthy"
    SPICY = "spicy"
    NOT_SPICY = "not_spicy"
    VEGETARIAN = "vegetarian"
    LARGE_PORTION = "large_portion"


class Entity(BaseModel):
    type: EntityType
    text: str = Field(description="the surface text, exactly text[start:end] of the input")
    value: str | int | None = Field(description="canonical value (e.g. 10000 for 만원)")
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Filters(BaseModel):
    model_config = ConfigDict(use_enum_values=True)

    category: str | None = None
    food_types: list[str] = Field(default_factory=list)
    budget_max: int | None = Field(None, ge=0, description="won")
    companion: Companion | None = None
    time_of_day: TimeOfDay | None = None
    dietary_preferences: list[Dietary] = Field(default_factory=list)
    district: str | None = None
    near_me: bool = False
    good_shop_only: bool = False


class NluResult(BaseModel):
    model_config = ConfigDict(use_enum_values=True)

    text: str
    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    entities: list[Entity] = Field(default_factory=list)
    filters: Filters = Field(default_factory=Filters)
    semantic_query: str = ""
    source: str = Field(description="'model' (ONNX) or 'rules' (fallback)", pattern="^(model|rules)$")
    model_version: str | None = None
