"""One /chat turn: NLU → candidates + ranking → NLG → one conversation-log write.

Intent decides the path: food intents go to the recommender, SHOP_INFO / MENU_INQUIRY
answer from the catalogue, GREETING / FEEDBACK / OUT_OF_SCOPE get fitting templates.
Every recommended item is re-checked against the hard filters before NLG sees it (a
recommender bug must never reach a child). Latency is measured per stage.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from nabiyam import clock as nabiyam_clock
from nabiyam.chat.errors import Unavailable
from nabiyam.chat.variant import CONTROL, TREATMENT, assign_variant
from nabiyam.domain.hours import DAYS, KST, to_kst
from nabiyam.domain.nlu import Filters, Intent, NluResult
from nabiyam.domain.recommendation import ChildSafety, Recommendation, RequestContext
from nabiyam.domain.recommendation import effective_budget as budget_of
from nabiyam.nlg import style, templates
from nabiyam.nlg.reasons import render_reasons
from nabiyam.nlg.templates import Answer, Situation
from nabiyam.nlu.moods import is_adult_only, is_sad
from nabiyam.observability import get_logger
from nabiyam.settings import get_settings
from nabiyam.storage.conversations import ConversationRecord

if TYPE_CHECKING:  # the recommender's package loads with the runtime; the pipeline only names its types
    from nabiyam.recsys.catalogue import CatalogueIndex
    from nabiyam.recsys.recommender import RecommendationResult

logger = get_logger("chat")

FOOD_INTENTS = {Intent.FOOD_RECOMMENDATION.value, Intent.BUDGET_FOOD_INQUIRY.value}
MAX_LOGGED_CANDIDATES = 60
_NEGATIVE_WORDS = ("별로", "싫", "아쉬", "비싸", "멀", "느려", "맛없", "실망", "안 좋", "최악")


class NluPort(Protocol):
    """What the pipeline needs of the NLU (`nabiyam.nlu.NluService`)."""

    @property
    def model_version(self) -> str | None: ...

    def parse(self, text: str) -> NluResult: ...


class RecommenderPort(Protocol):
    """What the pipeline needs of a recommender (`nabiyam.recsys.Recommender`)."""

    @property
    def model_version(self) -> str: ...

    def recommend(self, user_id: str, filters: Filters, context: RequestContext, semantic_query: str = "",
                  k: int = 5, open_only: bool = True, safety: ChildSafety | None = None) -> RecommendationResult: ...


class RuntimePort(Protocol):
    """What the pipeline reads of the loaded runtime (`nabiyam.runtime.Runtime`)."""

    nlu: NluPort | None
    recommender: RecommenderPort | None
    treatment: RecommenderPort | None
    catalogue: CatalogueIndex | None

    def reason(self, part: str) -> str: ...


class ConversationSink(Protocol):
    def put(self, record: ConversationRecord) -> None: ...


@dataclasses.dataclass
class ChatTurn:
    conversation_id: str
    session_id: str | None
    answer: Answer
    nlu: NluResult
    items: list[Recommendation]
    model_versions: dict[str, str | None]
    variant: str
    fallback: bool
    nothing_fits: bool
    latency_ms: dict[str, float]
    logged: bool
    origin: tuple[float, float] | None = None  # where the child was located for this answer
    at: datetime | None = None  # the request time the answer is about (KST)


@dataclasses.dataclass
class RecommendOutcome:
    items: list[Recommendation]
    candidates: list[dict[str, Any]]
    model_version: str | None
    fallback: bool
    suggestions: list[str]
    situation: Situation = dataclasses.field(default_factory=Situation)
    origin: tuple[float, float] | None = None
    dropped: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # shop_id → hard filters it broke


def effective_budget(filters: Filters, context: RequestContext) -> int | None:
    """The tighter of what was said ("만원으로") and what the app knows (card balance)."""
    return budget_of(filters.budget_max, context.budget)


class ChatPipeline:
    """Stateless per request; holds the loaded runtime and the conversation store."""

    def __init__(self, runtime: RuntimePort, conversations: ConversationSink | None, *,
                 experiment: str = "ranker-ab", treatment_share: float = 0.0,
                 clock: Callable[[], datetime] | None = None, safety: ChildSafety | None = None):
        self.runtime = runtime
        self.conversations = conversations
        self.experiment = experiment
        self.treatment_share = treatment_share
        self.clock = clock or nabiyam_clock.now
        self.safety = safety or ChildSafety.from_settings(get_settings())

    # ---- recommendation (also used by /recommendations) ----------------------------

    def recommender_for(self, user_id: str) -> tuple[RecommenderPort, str]:
        control = self.runtime.recommender
        treatment = self.runtime.treatment
        if control is None:
            raise Unavailable(f"recommender not available: {self.runtime.reason('recommender')}")
        if treatment is None or self.treatment_share <= 0:
            return control, CONTROL
        variant = assign_variant(user_id, self.experiment, self.treatment_share)
        return (treatment if variant == TREATMENT else control), variant

    def recommend(self, user_id: str, filters: Filters, context: RequestContext, semantic_query: str, k: int,
                  recommender: RecommenderPort | None = None, at: datetime | None = None) -> RecommendOutcome:
        """Recommend, then re-check every item against every hard filter from the catalogue
        (a recommender bug never reaches a child), and let the NLG word each item's reasons."""
        from nabiyam.safety.hard_filters import AnswerRequest, shop_violations  # with the recommender's package

        recommender = recommender or self.recommender_for(user_id)[0]
        if at is not None and context.at is None:
            context = context.model_copy(update={"at": at})
        result = recommender.recommend(user_id, filters, context, semantic_query=semantic_query, k=k,
                                       safety=self.safety)
        origin = (result.origin_lat, result.origin_lon) if result.origin_lat is not None \
            and result.origin_lon is not None else None
        check = AnswerRequest(filters, context, context.at or at or self.clock(), origin, self.safety)
        items: list[Recommendation] = []
        dropped: dict[str, list[str]] = {}
        catalogue = self.runtime.catalogue
        for rec in result.items:
            bad = shop_violations(rec, check, catalogue) if catalogue is not None else []
            if bad:  # never show it; shout, because this is a recommender bug
                logger.error("recommender returned a hard-filter violation; dropped",
                             extra={"shop_id": rec.shop_id, "violations": bad})
                dropped[rec.shop_id] = bad
                continue
            items.append(rec.model_copy(update={"reason": render_reasons(rec.reasons)}))
        suggestions = [templates.relaxation_tip(r.filter, r.need_budget) for r in result.relaxed]
        candidates = [c.as_log() for c in result.candidates[:MAX_LOGGED_CANDIDATES]]
        situation = Situation(budget=result.budget, card_limited=result.card_limited, late_night=result.late_night,
                              farther=result.farther and any(r.distance_m is not None
                                                             and r.distance_m > self.safety.walk_max_m for r in items))
        return RecommendOutcome(items, candidates, result.model_version, result.fallback, suggestions, situation,
                                origin, dropped)

    # ---- catalogue answers -----------------------------------------------------------

    def _find_shop(self, nlu: NluResult, message: str) -> int | None:
        """The shop the message names: the longest catalogue name it mentions (a precomputed
        name index, no per-request scan), or one a `shop_name` entity is part of."""
        cat = self.runtime.catalogue
        if cat is None:
            return None
        names = [str(e.value or e.text) for e in nlu.entities if e.type == "shop_name"]
        return cat.find_shop(message, names)

    def _shop_answer(self, nlu: NluResult, message: str, at: datetime, budget: int | None, seed: str) -> Answer:
        cat = self.runtime.catalogue
        if cat is None:
            return templates.unavailable()
        pos = self._find_shop(nlu, message)
        if pos is None:
            return templates.shop_not_found(seed)
        shop = cat.shops[pos]
        if nlu.intent == Intent.MENU_INQUIRY.value:
            items = [(m.name, m.price) for m in cat.menus[pos] if budget is None or m.price <= budget]
            return templates.menu(shop.name, items, budget)
        spans = shop.week.get(DAYS[to_kst(at).weekday()], [])
        if any(e - s >= 1440 for s, e in spans):
            hours = "하루 종일"
        else:
            hours = ", ".join(f"{s // 60:02d}:{s % 60:02d}~{(e // 60) % 24:02d}:{e % 60:02d}" for s, e in spans) or None
        return templates.shop_info(shop.name, shop.district, shop.dong, shop.is_open(at), shop.accepts_meal_card,
                                   shop.rating, shop.is_good_shop, hours)

    # ---- one turn ----------------------------------------------------------------------

    def handle(self, user_id: str, message: str, context: RequestContext, session_id: str | None = None,
               k: int = 5) -> ChatTurn:
        started = time.perf_counter()
        latency: dict[str, float] = {}
        conversation_id = "c_" + uuid.uuid4().hex
        now = self.clock()
        at = to_kst(context.at) if context.at else to_kst(now)
        nlu_service = self.runtime.nlu
        if nlu_service is None:
            raise Unavailable(f"NLU not available: {self.runtime.reason('nlu')}")

        t = time.perf_counter()
        nlu: NluResult = nlu_service.parse(message)
        nlu = self._with_catalogue_foods(nlu, message)
        latency["nlu"] = (time.perf_counter() - t) * 1000

        budget = effective_budget(nlu.filters, context)
        items: list[Recommendation] = []
        candidates: list[dict[str, Any]] = []
        fallback = nothing = False
        origin: tuple[float, float] | None = None
        versions: dict[str, str | None] = {"nlu": nlu_service.model_version}
        variant = CONTROL
        t = time.perf_counter()
        intent = nlu.intent
        wants_food = intent in FOOD_INTENTS or (intent == Intent.MENU_INQUIRY.value and not self._mentions_shop(nlu, message))
        if is_adult_only(message):  # before anything else: a clear, kind no
            latency["recommend"] = 0.0
            answer = templates.adult_only(conversation_id)
        elif wants_food:
            recommender, variant = self.recommender_for(user_id)
            outcome = self.recommend(user_id, nlu.filters, context, nlu.semantic_query, k, recommender, at=at)
            latency["recommend"] = (time.perf_counter() - t) * 1000
            items, candidates, fallback, origin = outcome.items, outcome.candidates, outcome.fallback, outcome.origin
            versions["ranker"] = outcome.model_version  # the model that served this arm
            t = time.perf_counter()
            if items:
                answer = templates.recommendations(nlu.filters, items, conversation_id, budget, outcome.situation)
                items = items[: answer.shown]  # the shops the answer lists (fewer when five do not fit a screen)
            else:
                nothing = True
                answer = templates.nothing_fits(nlu.filters, conversation_id, budget,
                                                [s.rstrip(".") + "." for s in outcome.suggestions], outcome.situation)
        else:
            latency["recommend"] = 0.0
            if intent in (Intent.SHOP_INFO.value, Intent.MENU_INQUIRY.value):
                answer = self._shop_answer(nlu, message, at, budget, conversation_id)
            elif intent == Intent.GREETING.value:
                answer = templates.greeting(conversation_id)
            elif intent == Intent.FEEDBACK.value:
                negative = any(w in message for w in _NEGATIVE_WORDS)
                answer = templates.feedback_thanks(not negative, conversation_id)
            elif is_sad(message):
                answer = templates.comfort(conversation_id)
            else:
                answer = templates.out_of_scope(conversation_id)
            recommender_now = self.runtime.recommender
            if recommender_now is not None:
                versions["ranker"] = recommender_now.model_version
        problems = style.check(answer.text)
        if problems:  # never only a warning: the child gets a safe answer, we get an error
            logger.error("answer breaks the style rules; replaced by the safe answer",
                         extra={"problems": [f"{p.rule}: {p.detail}" for p in problems], "template": answer.template,
                                "conversation_id": conversation_id})
            answer = templates.safe_fallback()
            items = []
        latency["nlg"] = (time.perf_counter() - t) * 1000

        turn = ChatTurn(conversation_id, session_id, answer, nlu, items, versions, variant, fallback, nothing,
                        latency, logged=False, origin=origin, at=at)
        latency["compute"] = (time.perf_counter() - started) * 1000
        t = time.perf_counter()
        # `total` is the whole turn up to the write; the log write itself is reported as `log`.
        latency["total"] = (t - started) * 1000
        turn.logged = self._log(turn, user_id, message, context, candidates, now)
        latency["log"] = (time.perf_counter() - t) * 1000
        latency["total"] = (time.perf_counter() - started) * 1000
        return turn

    def _with_catalogue_foods(self, nlu: NluResult, message: str) -> NluResult:
        """Foods neither the model nor the lexicon know, matched against the catalogue's own
        menu names (the food index), become `food_types`."""
        cat = self.runtime.catalogue
        if cat is None or nlu.filters.food_types or nlu.intent not in (*FOOD_INTENTS, Intent.OUT_OF_SCOPE.value):
            return nlu
        foods = cat.menu_foods_in(message)
        if not foods:
            return nlu
        intent = nlu.intent if nlu.intent in FOOD_INTENTS else Intent.FOOD_RECOMMENDATION.value
        filters = nlu.filters.model_copy(update={"food_types": foods})
        return nlu.model_copy(update={"filters": filters, "intent": intent})

    def _mentions_shop(self, nlu: NluResult, message: str) -> bool:
        return self.runtime.catalogue is not None and self._find_shop(nlu, message) is not None

    def _log(self, turn: ChatTurn, user_id: str, message: str, context: RequestContext,
             candidates: list[dict[str, Any]], now: datetime) -> bool:
        """The one synchronous write of the hot path. A failure is logged loudly, the child still gets an answer.
        The record's latency has every stage and `total` (the turn up to this write; the write itself is
        measured after it, so the record cannot hold it)."""
        if self.conversations is None:
            return False
        logged_context = context.model_dump(mode="json", exclude_none=True)
        if turn.origin is not None:  # where the child was located (the claim checker re-measures distances)
            logged_context["origin"] = {"lat": turn.origin[0], "lon": turn.origin[1]}
        record = ConversationRecord(
            conversation_id=turn.conversation_id, user_id=user_id, session_id=turn.session_id,
            created_at=now.isoformat(timespec="milliseconds"), day=now.date().isoformat(), message=message,
            context=logged_context, intent=str(turn.nlu.intent),
            nlu_confidence=turn.nlu.confidence, nlu=turn.nlu.model_dump(mode="json"), candidates=candidates,
            shown=[{**r.model_dump(mode="json"), "position": i}
                   for i, r in enumerate(turn.items, 1)],
            response=turn.answer.text, template=turn.answer.template, result_count=len(turn.items),
            latency_ms={k: round(v, 3) for k, v in turn.latency_ms.items()}, model_versions=turn.model_versions,
            variant=turn.variant, fallback=turn.fallback, nothing_fits=turn.nothing_fits,
        )
        try:
            self.conversations.put(record)
        except Exception as exc:  # noqa: BLE001 - any storage failure: answer anyway, shout
            logger.error("conversation log write failed", extra={"conversation_id": turn.conversation_id,
                                                                  "error": f"{type(exc).__name__}: {exc}"})
            return False
        return True
