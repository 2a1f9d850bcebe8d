"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these).

Limits live here, next to the fields they protect, so a 422 names the field at fault.
Free text is NFC-normalised and rejected when it holds control characters or lone
surrogates (those would break the conversation log and the learning data downstream).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator)

from nabiyam.domain.food import CATEGORIES, FOOD_BY_NAME
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.nlu import Entity, Filters, Intent
from nabiyam.domain.recommendation import PriceHint, RequestContext

MAX_MESSAGE_CHARS = 500
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: str) -> str:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("contains an unpaired surrogate (invalid Unicode)")
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be empty or only spaces")
    return value


CleanText = Annotated[str, AfterValidator(_clean_text)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


# --------------------------------------------------------------------------- context

DistrictName = Literal[*DISTRICTS]  # type: ignore[valid-type]
CategoryName = Literal[*CATEGORIES]  # type: ignore[valid-type]


class ChatContext(RequestContext):
    """Where and when the child is asking; latitude and longitude come together or not at all."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"lat": 37.4842, "lon": 126.9297, "district": "관악구", "budget": 10000}]})

    district: DistrictName | None = Field(None, description="구 name (Seoul), e.g. 관악구")

    @model_validator(mode="after")
    def _pair(self) -> ChatContext:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


# --------------------------------------------------------------------------- chat

class ChatRequest(ApiModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"user_id": "u_0001", "message": "만원으로 치킨 먹을 수 있는 곳 있어?",
         "context": {"lat": 37.4842, "lon": 126.9297, "district": "관악구", "budget": 10000},
         "session_id": "s_20250101_0001"},
        {"user_id": "u_0002", "message": "아이랑 갈만한 건강한 저녁 식당 추천해줘",
         "context": {"district": "관악구"}},
    ]})

    user_id: Identifier | None = Field(None, description="who asks; in AWS it comes from the JWT and may be omitted")
    message: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS,
                                  description="what the child typed (Korean), at most 500 characters"),
                       AfterValidator(_clean_text)]
    context: ChatContext = Field(default_factory=ChatContext)
    session_id: Identifier | None = Field(None, description="groups turns of one chat session")


class RecommendationOut(BaseModel):
    shop_id: str
    name: str
    category: str
    district: str
    distance_m: int | None
    price_hint: PriceHint | None = Field(description="a menu item and its price within the budget")
    is_good_shop: bool
    accepts_meal_card: bool
    open_now: bool
    score: float
    reason: str


class NluOut(BaseModel):
    intent: Intent
    confidence: float
    entities: list[Entity]
    filters: Filters
    semantic_query: str
    source: str
    model_version: str | None = None


class ChatResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "conversation_id": "c_5f0c2a1e9b7d4c3a",
        "session_id": "s_20250101_0001",
        "response": "10,000원으로 치킨을 먹을 수 있는 곳을 1곳 찾았어요! 😊\n1. 바삭치킨 · 치킨 · 걸어서 5분쯤\n"
                    "   닭강정 9,000원이면 먹을 수 있어요.\n   착한가게예요.\n모두 아동급식카드를 쓸 수 있어요. 맛있게 먹어요! 🍚",
        "recommendations": [{"shop_id": "S00012", "name": "바삭치킨", "category": "치킨", "district": "관악구",
                             "distance_m": 320, "price_hint": {"item": "닭강정", "price": 9000},
                             "is_good_shop": True, "accepts_meal_card": True, "open_now": True,
                             "score": 0.81, "reason": "착한가게예요."}],
        "nlu": {"intent": "BUDGET_FOOD_INQUIRY", "confidence": 0.97, "entities": [],
                "filters": {"category": "치킨", "food_types": ["치킨"], "budget_max": 10000},
                "semantic_query": "치킨", "source": "model", "model_version": "nlu-20250101"},
        "model_versions": {"nlu": "nlu-20250101", "ranker": "ranker-20250101"},
        "variant": "control",
        "latency_ms": {"nlu": 0.8, "recommend": 6.1, "nlg": 0.1, "log": 9.0, "total": 16.5},
    }]})

    conversation_id: str
    session_id: str | None
    response: str = Field(description="the child-friendly Korean answer")
    recommendations: list[RecommendationOut]
    nlu: NluOut
    model_versions: dict[str, str | None]
    variant: str
    fallback: bool = Field(False, description="the ranker was unavailable; a funnel-score blend ranked")
    latency_ms: dict[str, float]


# --------------------------------------------------------------------------- recommendations

class NluInput(ApiModel):
    intent: Intent | None = None
    filters: Filters = Field(default_factory=Filters)
    semantic_query: Annotated[str, Field(max_length=200)] = ""


class RecommendationsRequest(ApiModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "user_id": "u_0001",
        "nlu": {"filters": {"category": "분식", "food_types": ["떡볶이"], "budget_max": 8000},
                "semantic_query": "떡볶이"},
        "context": {"lat": 37.4842, "lon": 126.9297, "district": "관악구"},
        "k": 5}]})

    user_id: Identifier | None = None
    nlu: NluInput = Field(default_factory=NluInput)
    context: ChatContext = Field(default_factory=ChatContext)
    k: int = Field(5, ge=1, le=20)


class RecommendationsQuery(ApiModel):
    """GET /recommendations: the same request as query parameters (for links and simple clients)."""

    user_id: Identifier | None = None
    district: DistrictName | None = None
    lat: float | None = Field(None, ge=33.0, le=39.0)
    lon: float | None = Field(None, ge=124.0, le=132.0)
    at: datetime | None = None
    budget: int | None = Field(None, ge=1000, le=100_000, description="won")
    category: CategoryName | None = None
    food: Annotated[str, Field(max_length=20, description="a food name from the lexicon, e.g. 떡볶이")] | None = None
    query: Annotated[str, Field(max_length=200)] = ""
    good_shop_only: bool = False
    k: int = Field(5, ge=1, le=20)

    @model_validator(mode="after")
    def _check(self) -> RecommendationsQuery:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.food is not None and self.food not in FOOD_BY_NAME:
            raise ValueError(f"unknown food {self.food!r}; use a canonical food name such as 떡볶이, 치킨, 김밥")
        return self

    def to_request(self) -> tuple[Filters, ChatContext]:
        filters = Filters(category=self.category, food_types=[self.food] if self.food else [],
                          good_shop_only=self.good_shop_only)
        return filters, ChatContext(lat=self.lat, lon=self.lon, district=self.district, at=self.at, budget=self.budget)


class RecommendationsResponse(BaseModel):
    user_id: str
    recommendations: list[RecommendationOut]
    model_version: str | None
    fallback: bool
    nothing_fits: bool
    suggestions: list[str] = Field(default_factory=list, description="what to try when nothing fits")


# --------------------------------------------------------------------------- feedback

class DislikeReason(StrEnum):
    TOO_SLOW = "too_slow"
    IRRELEVANT = "irrelevant"
    TOO_EXPENSIVE = "too_expensive"
    CLOSED = "closed"
    TOO_FAR = "too_far"
    WRONG_FOOD = "wrong_food"
    NOT_CARD = "meal_card_refused"
    OTHER = "other"


class InteractionType(StrEnum):
    CLICKED = "clicked"
    ORDERED = "ordered"
    FAVORITED = "favorited"


EventId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,99}$",
                               description="client-made id of this event (8–100 chars); a retry reuses it")]


class ResponseFeedback(ApiModel):
    """A reaction to an answer: like or dislike, why, and how satisfied (1–5)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0001", "conversation_id": "c_5f0c2a1e9b7d4c3a", "user_id": "u_0001",
         "feedback": "dislike", "reason": "too_expensive", "reason_text": "너무 비싸요 ㅠㅠ", "satisfaction": 2}]})

    event_id: EventId
    conversation_id: Identifier
    user_id: Identifier | None = None
    feedback: Literal["like", "dislike"]
    reason: DislikeReason | None = None
    reason_text: Annotated[str, Field(max_length=300), AfterValidator(_clean_text)] | None = None
    satisfaction: int | None = Field(None, ge=1, le=5)
    client_ts: datetime | None = None


class InteractionFeedback(ApiModel):
    """What the child did with a shown shop: clicked, ordered or favorited it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0002", "conversation_id": "c_5f0c2a1e9b7d4c3a", "user_id": "u_0001",
         "shop_id": "S00012", "feedback_type": "ordered"}]})

    event_id: EventId
    conversation_id: Identifier
    user_id: Identifier | None = None
    shop_id: Identifier
    feedback_type: InteractionType
    client_ts: datetime | None = None


def _feedback_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "interaction" if "feedback_type" in value or "shop_id" in value else "response"
    return "interaction" if hasattr(value, "feedback_type") else "response"


FeedbackRequest = Annotated[
    Annotated[ResponseFeedback, Tag("response")] | Annotated[InteractionFeedback, Tag("interaction")],
    Discriminator(_feedback_kind),
]


class FeedbackAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0001", "status": "stored", "kind": "response",
         "conversation_id": "c_5f0c2a1e9b7d4c3a", "stored_at": "2025-01-01T12:00:00+09:00"}]})

    event_id: str
    status: Literal["stored"] = "stored"
    kind: Literal["response", "interaction"]
    conversation_id: str
    stored_at: str


# --------------------------------------------------------------------------- health & errors

class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "down"]
    stage: str
    models: dict[str, str | None] = Field(description="model name → loaded version (null: rules/fallback)")
    sources: dict[str, str] = Field(description="where each part was loaded from")
    catalogue: dict[str, Any]
    stack: dict[str, str] = Field(description="resource → 'ok' or the reason it is unavailable")
    problems: list[str]


class FieldProblem(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "error": {"code": "validation_error", "message": "message: String should have at most 500 characters",
                  "fields": [{"field": "message", "problem": "String should have at most 500 characters"}]},
        "correlation_id": "0b6c3f0e-6d2a-4c1b-9a8e-3f3f0d0e9b11"}]})

    error: ErrorBody
    correlation_id: str | None = None
