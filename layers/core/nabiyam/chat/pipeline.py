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
from typing import Any

from nabiyam import clock as nabiyam_clock
from nabiyam.chat.errors import Unavailable
from nabiyam.chat.variant import CONTROL, TREATMENT, assign_variant
from nabiyam.domain.hours import DAYS, KST, to_kst
from nabiyam.domain.nlu import Filters, Intent, NluResult
from nabiyam.domain.recommendation import Recommendation, RequestContext
from nabiyam.nlg import style, templates
from nabiyam.nlg.templates import Answer
from nabiyam.observability import get_logger
from nabiyam.storage.conversations import ConversationRecord

logger = get_logger("chat")

FOOD_INTENTS = {Intent.FOOD_RECOMMENDATION.value, Intent.BUDGET_FOOD_INQUIRY.value}
MAX_LOGGED_CANDIDATES = 60
_NEGATIVE_WORDS = ("별로", "싫", "아쉬", "비싸", "멀", "느려", "맛없", "실망", "안 좋", "최악")


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


@dataclasses.dataclass
class RecommendOutcome:
    items: list[Recommendation]
    candidates: list[dict[str, Any]]
    model_version: str | None
    fallback: bool
    suggestions: list[str]


def _plain(obj: Any) -> Any:
    """Candidates from the recommender as JSON-friendly dicts, whatever their class."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 5)
    if hasattr(obj, "item"):  # numpy scalar
        return _plain(obj.item())
    return obj


def effective_budget(filters: Filters, context: RequestContext) -> int | None:
    """The tighter of what was said ("만원으로") and what the app knows (card balance)."""
    budgets = [b for b in (filters.budget_max, context.budget) if b is not None]
    return min(budgets) if budgets else None


def hard_filter_violations(rec: Recommendation, budget: int | None) -> list[str]:
    problems = []
    if not rec.accepts_meal_card:
        problems.append("meal_card")
    if not rec.open_now:
        problems.append("open_now")
    if budget is not None and (rec.price_hint is None or rec.price_hint.price > budget):
        problems.append("budget")
    return problems


class ChatPipeline:
    """Stateless per request; holds the loaded runtime and the conversation store."""

    def __init__(self, runtime: Any, conversations: Any | None, *, experiment: str = "ranker-ab",
                 treatment_share: float = 0.0, clock: Callable[[], datetime] | None = None):
        self.runtime = runtime
        self.conversations = conversations
        self.experiment = experiment
        self.treatment_share = treatment_share
        self.clock = clock or nabiyam_clock.now

    # ---- recommendation (also used by /recommendations) ----------------------------

    def recommender_for(self, user_id: str) -> tuple[Any, str]:
        control = self.runtime.recommender
        treatment = getattr(self.runtime, "treatment", None)
        if control is None:
            raise Unavailable(f"recommender not available: {self.runtime.reason('recommender')}")
        if treatment is None or self.treatment_share <= 0:
            return control, CONTROL
        variant = assign_variant(user_id, self.experiment, self.treatment_share)
        return (treatment if variant == TREATMENT else control), variant

    def recommend(self, user_id: str, filters: Filters, context: RequestContext, semantic_query: str, k: int,
                  recommender: Any | None = None) -> RecommendOutcome:
        recommender = recommender or self.recommender_for(user_id)[0]
        result = recommender.recommend(user_id, filters, context, semantic_query=semantic_query, k=k)
        budget = effective_budget(filters, context)
        items: list[Recommendation] = []
        for rec in result.items:
            bad = hard_filter_violations(rec, budget)
            if bad:  # never show it; shout, because this is a recommender bug
                logger.error("recommender returned a hard-filter violation; dropped",
                             extra={"shop_id": rec.shop_id, "violations": bad})
                continue
            items.append(rec)
        relax = getattr(result, "relaxations", None) or getattr(result, "relaxed", None) or []
        suggestions = [getattr(r, "suggestion", None) or str(r) for r in relax if r]
        candidates = _plain(list(getattr(result, "candidates", []) or [])[:MAX_LOGGED_CANDIDATES])
        return RecommendOutcome(items, candidates, getattr(result, "model_version", None),
                                bool(getattr(result, "fallback", False)), [s for s in suggestions if s])

    # ---- catalogue answers -----------------------------------------------------------

    def _find_shop(self, nlu: NluResult, message: str) -> int | None:
        cat = self.runtime.catalogue
        names = [str(e.value or e.text) for e in nlu.entities if e.type == "shop_name"]
        squeeze = message.replace(" ", "")
        best: tuple[int, int] | None = None  # (name length, position): the longest name mentioned wins
        for pos, shop in enumerate(cat.shops):
            name = shop.name.replace(" ", "")
            hit = any(n.replace(" ", "") and (n.replace(" ", "") in name or name in n.replace(" ", ""))
                      for n in names) or (len(name) >= 2 and name in squeeze)
            if hit and (best is None or len(name) > best[0]):
                best = (len(name), pos)
        return best[1] if best else None

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
        at = to_kst(context.at) if context.at else now
        if self.runtime.nlu is None:
            raise Unavailable(f"NLU not available: {self.runtime.reason('nlu')}")

        t = time.perf_counter()
        nlu: NluResult = self.runtime.nlu.parse(message)
        latency["nlu"] = (time.perf_counter() - t) * 1000

        budget = effective_budget(nlu.filters, context)
        items: list[Recommendation] = []
        candidates: list[dict[str, Any]] = []
        fallback = nothing = False
        versions: dict[str, str | None] = {"nlu": getattr(self.runtime.nlu, "model_version", None)}
        variant = CONTROL
        t = time.perf_counter()
        intent = nlu.intent
        wants_food = intent in FOOD_INTENTS or (intent == Intent.MENU_INQUIRY.value and not self._mentions_shop(nlu, message))
        if wants_food:
            recommender, variant = self.recommender_for(user_id)
            outcome = self.recommend(user_id, nlu.filters, context, nlu.semantic_query, k, recommender)
            latency["recommend"] = (time.perf_counter() - t) * 1000
            items, candidates, fallback = outcome.items, outcome.candidates, outcome.fallback
            versions["ranker"] = outcome.model_version
            t = time.perf_counter()
            if items:
                answer = templates.recommendations(nlu.filters, items, conversation_id, budget)
            else:
                nothing = True
                answer = templates.nothing_fits(nlu.filters, conversation_id, budget,
                                                [s.rstrip(".") + "." for s in outcome.suggestions])
        else:
            latency["recommend"] = 0.0
            if intent in (Intent.SHOP_INFO.value, Intent.MENU_INQUIRY.value):
                answer = self._shop_answer(nlu, message, at, budget, conversation_id)
            elif intent == Intent.GREETING.value:
                answer = templates.greeting(conversation_id)
            elif intent == Intent.FEEDBACK.value:
                negative = any(w in message for w in _NEGATIVE_WORDS)
                answer = templates.feedback_thanks(not negative, conversation_id)
            else:
                answer = templates.out_of_scope(conversation_id)
            if getattr(self.runtime, "recommender", None) is not None:
                versions["ranker"] = getattr(self.runtime.recommender, "model_version", None)
        latency["nlg"] = (time.perf_counter() - t) * 1000
        problems = style.check(answer.text)
        if problems:
            logger.warning("answer breaks the style rules", extra={"problems": [p.rule for p in problems]})

        turn = ChatTurn(conversation_id, session_id, answer, nlu, items, versions, variant, fallback, nothing,
                        latency, logged=False)
        t = time.perf_counter()
        turn.logged = self._log(turn, user_id, message, context, candidates, now)
        latency["log"] = (time.perf_counter() - t) * 1000
        latency["total"] = (time.perf_counter() - started) * 1000
        return turn

    def _mentions_shop(self, nlu: NluResult, message: str) -> bool:
        return self.runtime.catalogue is not None and self._find_shop(nlu, message) is not None

    def _log(self, turn: ChatTurn, user_id: str, message: str, context: RequestContext,
             candidates: list[dict[str, Any]], now: datetime) -> bool:
        """The one synchronous write of the hot path. A failure is logged loudly, the child still gets an answer."""
        if self.conversations is None:
            return False
        record = ConversationRecord(
            conversation_id=turn.conversation_id, user_id=user_id, session_id=turn.session_id,
            created_at=now.isoformat(timespec="milliseconds"), day=now.date().isoformat(), message=message,
            context=context.model_dump(mode="json", exclude_none=True), intent=str(turn.nlu.intent),
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
