"""Typed rows of the world's behaviour files (sessions, impressions) and hidden truth."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Session(BaseModel):
    """One request of one person: its context, its text with the truth behind it, the outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    user_id: str
    at: datetime = Field(description="request time, ISO with +09:00")
    lat: float
    lon: float
    district: str = Field(description="district of the request location")
    budget: int = Field(gt=0, description="won available for this meal")
    companion: str = Field(description="alone | friends | family")
    time_of_day: str = Field(description="breakfast | lunch | snack | dinner | late_night")
    request_text: str
    intent: str
    want_category: str | None = Field(None, description="category asked for (or the asked food's category)")
    want_food: str | None = Field(None, description="canonical food asked for")
    dietary: str = Field("", description="comma-separated dietary preferences asked for")
    good_shop_only: bool = False
    budget_mentioned: int | None = Field(None, description="the budget in won when the text says it")
    companion_mentioned: str | None = None
    time_mentioned: str | None = None
    location_mentioned: str | None = Field(None, description="district or dong named, 'near_me' for 근처")
    entities: str = Field("[]", description="JSON list of {type, text, value, start, end} in request_text")
    n_candidates: int = Field(ge=0)
    chosen_shop_id: str | None = None
    feedback: str | None = Field(None, description="like | dislike | none given")
    feedback_reason: str | None = None
    satisfaction: int = Field(ge=1, le=5)

    @field_validator("want_category", "want_food", "chosen_shop_id", "feedback", "feedback_reason",
                     "companion_mentioned", "time_mentioned", "location_mentioned", "budget_mentioned",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @property
    def dietary_list(self) -> list[str]:
        return [d for d in self.dietary.split(",") if d]


class Impression(BaseModel):
    """A shop the person considered in a session (its choice set), with the oracle's truth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    shop_id: str
    position: int = Field(ge=0, description="rank in the list the person saw (nearest first)")
    distance_m: int = Field(ge=0)
    utility: float
    oracle_prob: float = Field(ge=0.0, le=1.0, description="true probability of choosing this shop in this set")
    clicked: bool
    ordered: bool
