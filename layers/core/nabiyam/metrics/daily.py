"""One day's metrics from lake rows: pure functions, no I/O.

Two steps, so a day of 100,000 turns streams through in bounded memory:

1. :func:`turn_facts` turns each logged turn (a ``ConversationRecord`` / lake ``ConversationRow``)
   into a small :class:`TurnFacts` (what the metrics need, nothing else);
   :class:`FeedbackIndex` collects the feedback events per conversation.
2. :func:`aggregate` computes a :class:`~nabiyam.metrics.model.DailyMetrics` for any subset of the
   facts (the whole day, one variant, one model version).

Attribution: engagement, likes/dislikes and satisfaction belong to the *conversation's* day and
arm (a click at 00:05 on a turn of 23:58 counts for the day of the turn); the job therefore reads
the feedback of the day and of the next day when it exists, and keeps the events whose
conversation is one of the day's turns. A re-run of a day with the same lake input gives the same
rows (no clock, no randomness; ties sorted by name).

Example::

    facts = [turn_facts(r, check) for r in conversations]
    fb = FeedbackIndex.build(feedback)
    day = aggregate(date(2026, 11, 2), "global", facts, fb, Extras())
    day.ctr.value, day.satisfaction.mean, day.evaluation.mean
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from nabiyam.metrics.evaluation import RUBRIC_VERSION, score_turn
from nabiyam.metrics.model import (
    DailyMetrics,
    Distribution,
    Evaluation,
    Feedback,
    Rate,
    Recommendations,
    RetrainSignal,
    Sentiment,
    TermCount,
    Topics,
)
from nabiyam.metrics.stats import wilson
from nabiyam.nlg import style
from nabiyam.storage.conversations import ConversationRecord
from nabiyam.storage.feedback import FeedbackRecord

#: Intents whose turns ask for shops (the recommender runs; CTR's denominator is the ones that showed some).
FOOD_INTENTS = frozenset({"FOOD_RECOMMENDATION", "BUDGET_FOOD_INQUIRY"})
SAFE_FALLBACK_TEMPLATE = "safe_fallback"
TOP_N = 15
#: Stored violation examples per scope (the count is always complete).
MAX_VIOLATION_EXAMPLES = 20

#: A hard-filter check of one logged turn: the violated rules, '<shop_id>:<rule>' each ([] = safe).
HardFilterCheck = Callable[[ConversationRecord], list[str]]


def logged_flags_check(record: ConversationRecord) -> list[str]:
    """The check without a catalogue: the flags and price the turn logged for each shown shop
    (meal card accepted, open now, the price hint within the effective budget, a good shop when
    only good shops were asked for). The catalogue check (:func:`catalogue_check`) is stricter."""
    filters = (record.nlu or {}).get("filters") or {}
    said = filters.get("budget_max")
    card = (record.context or {}).get("budget")
    budgets = [b for b in (said, card) if isinstance(b, int)]
    budget = min(budgets) if budgets else None
    out = []
    for item in record.shown:
        shop = str(item.get("shop_id"))
        if item.get("accepts_meal_card") is False:
            out.append(f"{shop}:meal_card")
        if item.get("open_now") is False:
            out.append(f"{shop}:open_now")
        hint = item.get("price_hint") or {}
        if budget is not None and isinstance(hint.get("price"), int | float) and hint["price"] > budget:
            out.append(f"{shop}:budget")
        if filters.get("good_shop_only") and item.get("is_good_shop") is False:
            out.append(f"{shop}:good_shop")
    return out


def catalogue_check(catalogue: object) -> HardFilterCheck:
    """The safety module's check (issue 15: every shown shop against every hard filter from the
    catalogue's own record, menu and hours) as a :data:`HardFilterCheck`."""
    from nabiyam.domain.recommendation import Recommendation
    from nabiyam.safety.hard_filters import AnswerRequest, violations_by_shop

    def check(record: ConversationRecord) -> list[str]:
        if not record.shown:
            return []
        items = [Recommendation.model_validate({k: v for k, v in item.items() if k != "position"})
                 for item in record.shown]
        found = violations_by_shop(items, AnswerRequest.from_record(record), catalogue)  # type: ignore[arg-type]
        return [f"{shop}:{rule}" for shop, rules in sorted(found.items()) for rule in rules]

    return check


@dataclass(slots=True)
class TurnFacts:
    """What the metrics need of one logged turn."""

    conversation_id: str
    user_id: str
    session_id: str
    intent: str
    variant: str
    models: tuple[tuple[str, str], ...]
    message: str
    food_turn: bool
    shown: tuple[str, ...]
    categories: tuple[str, ...]
    violations: tuple[str, ...]
    fallback: bool
    nothing_fits: bool
    error: bool
    chars: int
    sentences: int
    style_ok: bool
    confidence: float
    rules: bool
    latency: dict[str, float]
    asked_category: str | None
    asked_foods: tuple[str, ...]


def sentence_count(text: str) -> int:
    """Sentences of an answer, as the style checker splits them (line breaks and . ! ?)."""
    return len(style.sentences(text))


_style_cache: dict[str, bool] = {}


def _style_ok(text: str) -> bool:
    ok = _style_cache.get(text)
    if ok is None:
        if len(_style_cache) > 200_000:
            _style_cache.clear()
        ok = _style_cache[text] = not style.check(text)
    return ok


def turn_facts(record: ConversationRecord, check: HardFilterCheck = logged_flags_check) -> TurnFacts:
    nlu = record.nlu or {}
    filters = nlu.get("filters") or {}
    models = tuple(sorted((k, str(v)) for k, v in (record.model_versions or {}).items() if v))
    return TurnFacts(
        conversation_id=record.conversation_id, user_id=record.user_id,
        session_id=record.session_id or record.conversation_id, intent=record.intent, variant=record.variant,
        models=models, message=record.message,
        food_turn=record.intent in FOOD_INTENTS, shown=tuple(record.shown_shop_ids),
        categories=tuple(str(item.get("category")) for item in record.shown),
        violations=tuple(check(record)), fallback=record.fallback, nothing_fits=record.nothing_fits,
        error=record.template == SAFE_FALLBACK_TEMPLATE, chars=len(record.response),
        sentences=sentence_count(record.response), style_ok=_style_ok(record.response),
        confidence=float(record.nlu_confidence), rules=nlu.get("source") == "rules",
        latency={k: float(v) for k, v in (record.latency_ms or {}).items()},
        asked_category=filters.get("category"), asked_foods=tuple(filters.get("food_types") or ()))


@dataclass
class ConversationFeedback:
    clicked: set[str] = field(default_factory=set)
    ordered: set[str] = field(default_factory=set)
    favourited: set[str] = field(default_factory=set)
    clicks: int = 0
    orders: int = 0
    favourites: int = 0
    likes: int = 0
    dislikes: int = 0
    like_reasons: Counter = field(default_factory=Counter)
    dislike_reasons: Counter = field(default_factory=Counter)
    satisfaction: list[int] = field(default_factory=list)


@dataclass
class FeedbackIndex:
    """Feedback events per conversation (each accepted event once: the lake has one row per event id)."""

    by_conversation: dict[str, ConversationFeedback] = field(default_factory=dict)
    event_ids: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, events: Iterable[FeedbackRecord]) -> FeedbackIndex:
        index = cls()
        seen: set[str] = set()
        for e in events:
            if e.event_id in seen:
                continue
            seen.add(e.event_id)
            index.event_ids.append(e.event_id)
            fb = index.by_conversation.setdefault(e.conversation_id, ConversationFeedback())
            if e.kind == "interaction" and e.shop_id:
                if e.feedback_type == "clicked":
                    fb.clicked.add(e.shop_id)
                    fb.clicks += 1
                elif e.feedback_type == "ordered":
                    fb.ordered.add(e.shop_id)
                    fb.orders += 1
                elif e.feedback_type == "favorited":
                    fb.favourited.add(e.shop_id)
                    fb.favourites += 1
            elif e.kind == "response":
                if e.feedback == "like":
                    fb.likes += 1
                    fb.like_reasons[e.reason or "none"] += 1
                elif e.feedback == "dislike":
                    fb.dislikes += 1
                    fb.dislike_reasons[e.reason or "none"] += 1
                if e.satisfaction is not None:
                    fb.satisfaction.append(int(e.satisfaction))
        return index

    def get(self, conversation_id: str) -> ConversationFeedback | None:
        return self.by_conversation.get(conversation_id)


class NounExtractor(Protocol):
    """Korean nouns of a message (kiwipiepy in the jobs: :class:`nabiyam.metrics.topics.KiwiNouns`)."""

    name: str

    def nouns(self, texts: Sequence[str]) -> list[list[str]]: ...


@dataclass
class Extras:
    """Per-message results computed once per day (unique texts) and the day's context."""

    sentiment: dict[str, str] | None = None  # message → positive | negative | neutral
    sentiment_version: str | None = None
    nouns: dict[str, list[str]] | None = None  # message → nouns
    tokenizer: str = "none"
    catalogue_size: int | None = None


# ------------------------------------------------------------------------ building blocks
def rate(numerator: int, denominator: int) -> Rate:
    if denominator <= 0:
        return Rate(numerator=numerator, denominator=0, value=None)
    lo, hi = wilson(numerator, denominator)
    return Rate(numerator=numerator, denominator=denominator, value=round(numerator / denominator, 6),
                ci_low=round(lo, 6), ci_high=round(hi, 6))


def _r(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 4)


def distribution(values: Sequence[float] | np.ndarray, bucket: Callable[[float], str] | None = None) -> Distribution:
    """Summary of ``values``; quantiles by numpy's default (linear) rule; ``bucket`` names each value's bin."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return Distribution(count=0)
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    hist: dict[str, int] = {}
    if bucket is not None:
        counts = Counter(bucket(float(v)) for v in arr)
        hist = dict(sorted(counts.items(), key=lambda kv: _bucket_order(kv[0])))
    return Distribution(count=int(arr.size), mean=_r(arr.mean()), std=_r(arr.std()), p50=_r(p50), p95=_r(p95),
                        p99=_r(p99), min=_r(arr.min()), max=_r(arr.max()), histogram=hist)


def _bucket_order(label: str) -> float:
    m = re.search(r"-?\d+(\.\d+)?", label)
    base = float(m.group()) if m else 0.0
    return base - 0.5 if label.startswith("<") else base + 0.5 if label.startswith(">=") else base


def exact_bucket(v: float) -> str:
    return str(int(v))


def width_bucket(width: float, top: float) -> Callable[[float], str]:
    """Bins ``[k·width, (k+1)·width)`` up to ``top`` (``">=top"`` beyond)."""
    def bucket(v: float) -> str:
        if v >= top:
            return f">={top:g}"
        lo = math.floor(v / width) * width
        return f"{lo:g}-{lo + width:g}"
    return bucket


def confidence_bucket(v: float) -> str:
    lo = min(int(v * 10), 9) / 10
    return f"{lo:.1f}-{lo + 0.1:.1f}"


def top_terms(counter: Counter, n: int = TOP_N) -> list[TermCount]:
    return [TermCount(term=t, count=c) for t, c in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def digest(ids: Iterable[str]) -> str:
    h = hashlib.sha256()
    for i in sorted(ids):
        h.update(i.encode())
        h.update(b"\n")
    return h.hexdigest()


# ------------------------------------------------------------------------ aggregation
def aggregate(day: date, scope: str, facts: Sequence[TurnFacts], fb: FeedbackIndex, extras: Extras) -> DailyMetrics:
    """The metrics of ``facts`` (any subset of one day's turns) with their feedback."""
    sessions: Counter = Counter(f.session_id for f in facts)
    users = {f.user_id for f in facts}
    intents = Counter(f.intent for f in facts)
    shown_turns = [f for f in facts if f.shown]
    food_turns = [f for f in facts if f.food_turn]
    clicks = orders = favourites = likes = dislikes = 0
    ctr_hits = conv_hits = fav_hits = 0
    like_reasons: Counter = Counter()
    dislike_reasons: Counter = Counter()
    satisfaction: list[int] = []
    scores: list[int] = []
    for f in facts:
        c = fb.get(f.conversation_id)
        if c is not None:
            clicks, orders, favourites = clicks + c.clicks, orders + c.orders, favourites + c.favourites
            likes, dislikes = likes + c.likes, dislikes + c.dislikes
            like_reasons.update(c.like_reasons)
            dislike_reasons.update(c.dislike_reasons)
            satisfaction.extend(c.satisfaction)
            if f.shown:
                shown = set(f.shown)
                ctr_hits += bool(c.clicked & shown)
                conv_hits += bool(c.ordered & shown)
                fav_hits += bool(c.favourited & shown)
        scores.append(score_turn(f, c))
    rated = likes + dislikes
    violations = [f"{f.conversation_id}: {v}" for f in facts for v in f.violations]
    distinct_shops = {s for f in shown_turns for s in f.shown}
    diversity = [len(set(f.categories)) / len(f.categories) for f in shown_turns if len(f.categories) >= 2]

    stages = sorted({k for f in facts for k in f.latency})
    latency = {s: distribution([f.latency[s] for f in facts if s in f.latency]) for s in stages}

    sentiment = None
    if extras.sentiment is not None:
        counts = Counter(extras.sentiment.get(f.message, "neutral") for f in facts)
        n = len(facts)
        sentiment = Sentiment(counts={k: counts.get(k, 0) for k in ("positive", "negative", "neutral")},
                              positive=rate(counts.get("positive", 0), n), negative=rate(counts.get("negative", 0), n),
                              neutral=rate(counts.get("neutral", 0), n), model_version=extras.sentiment_version)
    nouns: Counter = Counter()
    if extras.nouns is not None:
        for f in facts:
            nouns.update(extras.nouns.get(f.message, ()))
    topics = Topics(intents=top_terms(intents), categories=top_terms(Counter(f.asked_category for f in facts
                                                                              if f.asked_category)),
                    foods=top_terms(Counter(food for f in facts for food in f.asked_foods)),
                    nouns=top_terms(nouns), tokenizer=extras.tokenizer)
    models: dict[str, set[str]] = defaultdict(set)
    for f in facts:
        for name, version in f.models:
            models[name].add(version)
    return DailyMetrics(
        day=day, scope=scope, conversations=len(facts), sessions=len(sessions), daily_active_users=len(users),
        turns_per_session=distribution(list(sessions.values()), exact_bucket),
        intents=dict(sorted(intents.items())), sentiment=sentiment, topics=topics,
        response_chars=distribution([f.chars for f in facts], width_bucket(50, 400)),
        response_sentences=distribution([f.sentences for f in facts], exact_bucket),
        nlu_confidence=distribution([f.confidence for f in facts], confidence_bucket),
        rules_share=rate(sum(f.rules for f in facts), len(facts)),
        ctr=rate(ctr_hits, len(shown_turns)), conversion=rate(conv_hits, len(shown_turns)),
        favourite_rate=rate(fav_hits, len(shown_turns)), clicks=clicks, orders=orders, favourites=favourites,
        feedback=Feedback(likes=likes, dislikes=dislikes, like_ratio=rate(likes, rated),
                          dislike_reasons=dict(sorted(dislike_reasons.items())),
                          like_reasons=dict(sorted(like_reasons.items()))),
        satisfaction=distribution(satisfaction, exact_bucket),
        retrain=RetrainSignal(rated=rated, dislikes=dislikes,
                              dislike_ratio=round(dislikes / rated, 6) if rated else None,
                              dislike_wilson_lower=round(wilson(dislikes, rated)[0], 6) if rated else 0.0),
        recommendations=Recommendations(
            shown_conversations=len(shown_turns), shown_items=sum(len(f.shown) for f in shown_turns),
            distinct_shops=len(distinct_shops), catalogue_size=extras.catalogue_size,
            coverage=(round(len(distinct_shops) / extras.catalogue_size, 6) if extras.catalogue_size else None),
            diversity=round(float(np.mean(diversity)), 6) if diversity else None,
            hard_filter_violations=len(violations), violation_examples=violations[:MAX_VIOLATION_EXAMPLES],
            fallbacks=rate(sum(f.fallback for f in food_turns), len(food_turns)),
            nothing_fits=rate(sum(f.nothing_fits for f in food_turns), len(food_turns))),
        latency_ms=latency, errors=rate(sum(f.error for f in facts), len(facts)),
        evaluation=Evaluation(rubric_version=RUBRIC_VERSION, score=distribution(scores, exact_bucket),
                              mean=_r(float(np.mean(scores))) if scores else None),
        model_versions={k: sorted(v) for k, v in sorted(models.items())},
        variants=dict(sorted(Counter(f.variant for f in facts).items())),
        input_digest=digest([f.conversation_id for f in facts]))
