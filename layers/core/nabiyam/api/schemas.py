"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these).

The schema says exactly what is enforced — a client (or schemathesis) that follows the
OpenAPI document is never refused, and one that breaks it is always refused:

- strict JSON types: no integer dates, no ``0`` for ``false``, no ``"5"`` for ``5``;
- ``at`` is an ISO 8601 date-time string whose calendar year lies in a window around the
  service clock (`Settings.at_window_past_years` / `at_window_future_years`); the
  window is written into the schema as a ``pattern`` that accepts only real calendar
  dates (no 30 February), so the schema and the validator are one regular expression;
- ``lat`` and ``lon`` come together (``dependentRequired``), never ``null``;
- free text: C0/C1 control characters (other than tab and newlines) and lone surrogates
  are refused; invisible formatting characters (bidi overrides such as U+202E, zero-width
  spaces and joiners, BOM: Unicode category Cf in the BMP) are stripped; at least one visible character must
  remain (the ``pattern`` says the same);
- ``reason`` only with ``dislike``; closed sets are enums.

Limits live here, next to the fields they protect, so a 422 names the field at fault.

>>> ChatContext.model_validate({"lat": 37.48, "lon": 126.93}).lat
37.48
>>> clean_text("\\u202e떡볶이\\u200b 먹고 싶어")
'떡볶이 먹고 싶어'
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, GetJsonSchemaHandler,
                      StrictBool, StrictFloat, Strict, Tag, model_validator)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from nabiyam.domain.food import CATEGORIES, FOOD_BY_NAME
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.nlu import Companion, Dietary, Entity, Filters, Intent, TimeOfDay
from nabiyam.domain.recommendation import PriceHint, RequestContext

MAX_MESSAGE_CHARS = 500
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$"

# --------------------------------------------------------------------------- free text

#: refused anywhere: C0/C1 controls except tab, LF, CR (lone surrogates too, by the validator: JSON
#: Schema patterns cannot name them, and no schema-valid JSON text carries one).
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
#: stripped: every BMP format character (Unicode category Cf) — bidi overrides and isolates,
#: zero-width space / joiners, word joiner, BOM, soft hyphen, ...
_STRIPPED_CHARS = "".join(chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf")
#: what `str.strip()` removes that is not refused already.
_SPACE_CHARS = "\t\n\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
               "\u2028\u2029\u202f\u205f\u3000"


def _class_escape(chars: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in chars)


_STRIP_RE = re.compile(f"[{_class_escape(_STRIPPED_CHARS)}]")
#: the JSON-schema pattern of free text: allowed characters only, at least one visible one.
TEXT_PATTERN = (f"^[^{_REFUSED}]*[^{_REFUSED}{_class_escape(_STRIPPED_CHARS + _SPACE_CHARS)}]"
                f"[^{_REFUSED}]*$")
#: the same for text that may be empty (`semantic_query`, `query`).
OPTIONAL_TEXT_PATTERN = f"^[^{_REFUSED}]*$"
_TEXT_RE = re.compile(TEXT_PATTERN)
_OPTIONAL_TEXT_RE = re.compile(OPTIONAL_TEXT_PATTERN)


def clean_text(value: str) -> str:
    """Refuse controls and surrogates, strip invisible formatting characters, NFC, trim.

    >>> clean_text("  만원으로 치킨\\u2066 ")
    '만원으로 치킨'
    """
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("contains an unpaired surrogate (invalid Unicode)")
    if not _TEXT_RE.search(value):
        if not _OPTIONAL_TEXT_RE.search(value):
            raise ValueError("contains control characters")
        raise ValueError("must contain at least one visible character (not only spaces or invisible characters)")
    value = unicodedata.normalize("NFC", _STRIP_RE.sub("", value)).strip()
    return value


def clean_optional_text(value: str) -> str:
    if not _OPTIONAL_TEXT_RE.search(value) or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("contains control characters or invalid Unicode")
    return unicodedata.normalize("NFC", _STRIP_RE.sub("", value)).strip()


def Text(max_length: int, description: str, *, optional: bool = False) -> Any:  # noqa: N802 - a type factory
    """A free-text field whose schema carries the exact pattern the validator enforces."""
    return Annotated[str, Field(max_length=max_length, description=description,
                                json_schema_extra={"pattern": OPTIONAL_TEXT_PATTERN if optional else TEXT_PATTERN}),
                     AfterValidator(clean_optional_text if optional else clean_text)]


Identifier = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]


# --------------------------------------------------------------------------- request time


def _days_pattern(last: int) -> str:
    tail = {28: "2[0-8]", 29: "2[0-9]", 30: "[12][0-9]|30", 31: "[12][0-9]|3[01]"}[last]
    return f"(?:0[1-9]|1[0-9]|{tail})" if last in (28, 29) else f"(?:0[1-9]|{tail})"


def at_pattern(years: range) -> str:
    """ISO 8601 date-time whose year is in `years`, real calendar dates only.

    >>> bool(re.search(at_pattern(range(2026, 2027)), "2026-11-30T12:30:00+09:00"))
    True
    >>> bool(re.search(at_pattern(range(2026, 2027)), "2026-02-29T12:30:00+09:00"))
    False
    """
    alternatives = []
    for leap in (False, True):
        ys = [str(y) for y in years if calendar.isleap(y) == leap]
        if not ys:
            continue
        months = "|".join(f"{m:02d}-{_days_pattern(calendar.monthrange(2024 if leap else 2023, m)[1])}"
                          for m in range(1, 13))
        alternatives.append(f"(?:{'|'.join(ys)})-(?:{months})")
    date = "(?:" + "|".join(alternatives) + ")"
    time = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    offset = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
    return f"^{date}{time}{offset}$"


def at_window() -> range:
    """The calendar years `at` may name: around the service clock (simulated in dev/test)."""
    from nabiyam import clock
    from nabiyam.settings import get_settings

    settings = get_settings()
    year = clock.now().year
    return range(year - settings.at_window_past_years, year + settings.at_window_future_years + 1)


def _parse_at(value: Any) -> Any:
    if isinstance(value, datetime):  # built in code (e.g. GET parameters converted), not from JSON
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string such as 2026-11-30T12:30:00+09:00")
    years = at_window()
    if not re.search(at_pattern(years), value):
        raise ValueError(f"must be an ISO 8601 date-time such as 2026-11-30T12:30:00+09:00 with a real date "
                         f"in the years {years.start}–{years.stop - 1}")
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))


class _AtJsonSchema:
    """Writes the current window's pattern into the OpenAPI document (regenerated per year)."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        years = at_window()
        return {"type": "string", "pattern": at_pattern(years),
                "description": f"request time, ISO 8601 (Asia/Seoul when it has no offset), a real date in "
                               f"{years.start}–{years.stop - 1}; now if absent",
                "examples": ["2026-11-30T12:30:00+09:00"]}


AtTime = Annotated[datetime, BeforeValidator(_parse_at), _AtJsonSchema()]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


# --------------------------------------------------------------------------- context

DistrictName = Literal[*DISTRICTS]  # type: ignore[valid-type]
CategoryName = Literal[*CATEGORIES]  # type: ignore[valid-type]
FoodName = Literal[*FOOD_BY_NAME]  # type: ignore[valid-type]
Latitude = Annotated[StrictFloat, Field(ge=33.0, le=39.0, description="latitude (WGS84), Korea")]
Longitude = Annotated[StrictFloat, Field(ge=124.0, le=132.0, description="longitude (WGS84), Korea")]


def _json_int(value: Any) -> Any:
    """JSON Schema's integer: 8 and 8.0 alike; never a string or a boolean."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def JsonInt(ge: int, le: int, description: str | None = None) -> Any:  # noqa: N802 - a type factory
    """A strict JSON integer within [ge, le] (the bounds live in the schema as minimum/maximum)."""
    return Annotated[int, Strict(), Field(ge=ge, le=le, description=description), BeforeValidator(_json_int)]


Budget = JsonInt(1000, 100_000, "won available for this meal")
BudgetMax = JsonInt(0, 1_000_000, "won")
ShopCount = JsonInt(1, 20, "how many shops")
SearchText = Text(200, "what to look for, in words (may be empty)", optional=True)


def _no_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must be a number; leave the field out instead of sending null")
    return value


class ChatContext(ApiModel):
    """Where and when the child is asking; latitude and longitude come together or not at all."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"lat": 37.4842, "lon": 126.9297, "district": "관악구", "budget": 10000,
                      "at": "2026-11-30T12:30:00+09:00"}],
        "dependentRequired": {"lat": ["lon"], "lon": ["lat"]}})

    lat: Annotated[Latitude, BeforeValidator(_no_null)] = None  # type: ignore[assignment]
    lon: Annotated[Longitude, BeforeValidator(_no_null)] = None  # type: ignore[assignment]
    district: DistrictName | None = Field(None, description="구 name (Seoul), e.g. 관악구")
    at: AtTime | None = None
    budget: Budget | None = None

    @model_validator(mode="after")
    def _pair(self) -> ChatContext:
        if self.lat is None and self.lon is not None:
            raise ValueError("lat and lon must be given together (lat is missing)")
        if self.lon is None and self.lat is not None:
            raise ValueError("lat and lon must be given together (lon is missing)")
        return self

    def to_context(self) -> RequestContext:
        return RequestContext(lat=self.lat, lon=self.lon, district=self.district, at=self.at, budget=self.budget)



# --------------------------------------------------------------------------- chat

UserId = Annotated[Identifier, Field(description="who asks; in AWS (JWT mode) it comes from the token and may be "
                                                 "omitted, in dev it is required")]
Message = Text(MAX_MESSAGE_CHARS, "what the child typed (Korean), at most 500 characters")


class ChatRequest(ApiModel):
    """JWT mode: the user comes from the token, ``user_id`` may only repeat it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"user_id": "u_0001", "message": "만원으로 치킨 먹을 수 있는 곳 있어?",
         "context": {"lat": 37.4842, "lon": 126.9297, "district": "관악구", "budget": 10000},
         "session_id": "s_20261130_0001"},
        {"user_id": "u_0002", "message": "아이랑 갈만한 건강한 저녁 식당 추천해줘",
         "context": {"district": "관악구"}},
    ]})

    user_id: UserId | None = None
    message: Message
    context: ChatContext = Field(default_factory=ChatContext)
    session_id: Identifier | None = Field(None, description="groups turns of one chat session")


class DevChatRequest(ChatRequest):
    """Dev mode (``auth_mode=body``): the body names the user."""

    user_id: UserId


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


class Degradation(StrEnum):
    """What a degraded answer lacks (the answer itself is still true)."""

    CONVERSATION_LOG_SPOOLED = "conversation_log_spooled"
    CONVERSATION_LOG_FAILED = "conversation_log_failed"


class ChatResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "conversation_id": "c_5f0c2a1e9b7d4c3a",
        "session_id": "s_20261130_0001",
        "response": "10,000원으로 치킨을 먹을 수 있는 곳을 1곳 찾았어요! 😊\n1. 바삭치킨 · 치킨 · 걸어서 5분쯤\n"
                    "   닭강정 9,000원이면 먹을 수 있어요.\n   착한가게예요.\n모두 아동급식카드를 쓸 수 있어요. 맛있게 먹어요! 🍚",
        "recommendations": [{"shop_id": "S00012", "name": "바삭치킨", "category": "치킨", "district": "관악구",
                             "distance_m": 320, "price_hint": {"item": "닭강정", "price": 9000},
                             "is_good_shop": True, "accepts_meal_card": True, "open_now": True,
                             "score": 0.81, "reason": "착한가게예요."}],
        "nlu": {"intent": "BUDGET_FOOD_INQUIRY", "confidence": 0.97, "entities": [],
                "filters": {"category": "치킨", "food_types": ["치킨"], "budget_max": 10000},
                "semantic_query": "치킨", "source": "model", "model_version": "nlu-20261130"},
        "model_versions": {"nlu": "nlu-20261130", "ranker": "ranker-20261130"},
        "variant": "control",
        "latency_ms": {"nlu": 0.8, "recommend": 6.1, "nlg": 0.1, "log": 9.0, "total": 16.5},
        "degraded": [],
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
    degraded: list[Degradation] = Field(
        default_factory=list,
        description="empty when everything worked; `conversation_log_spooled`: the conversation table did not answer "
                    "in time, the turn was written to the durable spool and is reconciled by a job (feedback on it is "
                    "still accepted); `conversation_log_failed`: neither the table nor the spool took it (only the "
                    "structured log line has it)")


# --------------------------------------------------------------------------- recommendations

class FiltersIn(ApiModel):
    """Canonical filters (what NLU produces); every closed set is an enum."""

    category: CategoryName | None = None
    food_types: list[FoodName] = Field(default_factory=list, max_length=10)
    budget_max: BudgetMax | None = None  # type: ignore[valid-type]
    companion: Companion | None = None
    time_of_day: TimeOfDay | None = None
    dietary_preferences: list[Dietary] = Field(default_factory=list, max_length=len(Dietary))
    district: DistrictName | None = None
    near_me: StrictBool = False
    good_shop_only: StrictBool = False

    def to_filters(self) -> Filters:
        return Filters.model_validate(self.model_dump())


class NluInput(ApiModel):
    intent: Intent | None = None
    filters: FiltersIn = Field(default_factory=FiltersIn)
    semantic_query: SearchText = ""  # type: ignore[valid-type]


class RecommendationsRequest(ApiModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "user_id": "u_0001",
        "nlu": {"filters": {"category": "분식", "food_types": ["떡볶이"], "budget_max": 8000},
                "semantic_query": "떡볶이"},
        "context": {"lat": 37.4842, "lon": 126.9297, "district": "관악구"},
        "k": 5}]})

    user_id: UserId | None = None
    nlu: NluInput = Field(default_factory=NluInput)
    context: ChatContext = Field(default_factory=ChatContext)
    k: ShopCount = 5  # type: ignore[valid-type]


class DevRecommendationsRequest(RecommendationsRequest):
    user_id: UserId


def _query_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


class RecommendationsQuery(ApiModel):
    """GET /recommendations: the same request as query parameters (for links and simple clients).

    ``lat`` and ``lon`` are one OpenAPI parameter ``location`` (an object, form style,
    exploded: ``?lat=37.48&lon=126.93``), so the schema can say they come together.
    """

    user_id: UserId | None = None
    district: DistrictName | None = None
    lat: float | None = Field(None, ge=33.0, le=39.0)
    lon: float | None = Field(None, ge=124.0, le=132.0)
    at: AtTime | None = None
    budget: Annotated[int, Field(ge=1000, le=100_000, description="won")] | None = None
    category: CategoryName | None = None
    food: FoodName | None = Field(None, description="a food name from the lexicon, e.g. 떡볶이")
    query: SearchText = ""  # type: ignore[valid-type]
    good_shop_only: Annotated[bool, BeforeValidator(_query_bool)] = False
    k: Annotated[int, Field(ge=1, le=20)] = 5

    @model_validator(mode="after")
    def _check(self) -> RecommendationsQuery:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self

    def to_request(self) -> tuple[Filters, RequestContext]:
        filters = Filters(category=self.category, food_types=[self.food] if self.food else [],
                          good_shop_only=self.good_shop_only)
        return filters, RequestContext(lat=self.lat, lon=self.lon, district=self.district, at=self.at,
                                       budget=self.budget)


class DevRecommendationsQuery(RecommendationsQuery):
    user_id: UserId


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
Satisfaction = JsonInt(1, 5, "1 (bad) … 5 (great)")
ReasonText = Text(300, "the child's own words about the answer")


class LikeFeedback(ApiModel):
    """The answer was liked (no reason code: the codes say what was wrong)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0003", "conversation_id": "c_5f0c2a1e9b7d4c3a", "user_id": "u_0001",
         "feedback": "like", "reason_text": "떡볶이 맛있었어요!", "satisfaction": 5}]})

    event_id: EventId
    conversation_id: Identifier
    user_id: UserId | None = None
    feedback: Literal["like"]
    reason_text: ReasonText | None = None  # type: ignore[valid-type]
    satisfaction: Satisfaction | None = None
    client_ts: AtTime | None = None


class ResponseFeedback(ApiModel):
    """A dislike of an answer: why (a reason code and/or words), and how satisfied (1–5)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0001", "conversation_id": "c_5f0c2a1e9b7d4c3a", "user_id": "u_0001",
         "feedback": "dislike", "reason": "too_expensive", "reason_text": "너무 비싸요 ㅠㅠ", "satisfaction": 2}]})

    event_id: EventId
    conversation_id: Identifier
    user_id: UserId | None = None
    feedback: Literal["dislike"]
    reason: DislikeReason | None = None
    reason_text: ReasonText | None = None  # type: ignore[valid-type]
    satisfaction: Satisfaction | None = None
    client_ts: AtTime | None = None


class InteractionFeedback(ApiModel):
    """What the child did with a shown shop: clicked, ordered or favorited it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0002", "conversation_id": "c_5f0c2a1e9b7d4c3a", "user_id": "u_0001",
         "shop_id": "S00012", "feedback_type": "ordered"}]})

    event_id: EventId
    conversation_id: Identifier
    user_id: UserId | None = None
    shop_id: Identifier
    feedback_type: InteractionType
    client_ts: AtTime | None = None


class DevLikeFeedback(LikeFeedback):
    user_id: UserId


class DevResponseFeedback(ResponseFeedback):
    user_id: UserId


class DevInteractionFeedback(InteractionFeedback):
    user_id: UserId


def _feedback_kind(value: Any) -> str:
    if isinstance(value, dict):
        if "feedback_type" in value or "shop_id" in value:
            return "interaction"
        return "like" if value.get("feedback") == "like" else "dislike"
    if hasattr(value, "feedback_type"):
        return "interaction"
    return "like" if getattr(value, "feedback", None) == "like" else "dislike"


def feedback_union(auth_mode: str) -> Any:
    """The /feedback body: like | dislike | interaction (``user_id`` required in dev)."""
    dev = auth_mode == "body"
    like, dislike, interaction = ((DevLikeFeedback, DevResponseFeedback, DevInteractionFeedback) if dev else
                                  (LikeFeedback, ResponseFeedback, InteractionFeedback))
    return Annotated[Annotated[like, Tag("like")] | Annotated[dislike, Tag("dislike")]
                     | Annotated[interaction, Tag("interaction")], Discriminator(_feedback_kind)]


FeedbackRequest = feedback_union("jwt")


class FeedbackAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"event_id": "evt-3f1c9a7e-0001", "status": "stored", "kind": "response",
         "conversation_id": "c_5f0c2a1e9b7d4c3a", "stored_at": "2026-11-30T12:00:00.000+09:00"}]})

    event_id: str
    status: Literal["stored", "queued"] = Field(
        "stored", description="stored: in the feedback table; queued (HTTP 202): the table did not answer in time, "
                              "the event is in the durable spool and a job stores it (a retry with the same event_id "
                              "is safe)")
    kind: Literal["response", "interaction"]
    conversation_id: str
    stored_at: str


# --------------------------------------------------------------------------- health & errors

class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "down"] = Field(
        description="ok (200); degraded (200): a dependency is slow or down, answers still flow (logs are spooled); "
                    "down (503): a critical part (NLU, catalogue, recommender) is missing")
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
