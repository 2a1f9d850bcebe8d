"""Logged recommendation turns from the lake: what was asked (the NLU filters and the request
context exactly as served), what was shown, and what the person did with it.

Only turns that recommended shops count (food intents with a shown set). The outcome is read
from the feedback rows of the same conversation: ``ordered`` = the shop chosen (the label the
ranker learns and is judged on), ``clicked``, ``favorited``, like/dislike. Feedback that
arrives after the end of the window being read is not seen (no leakage from the future).

Example::

    turns = logged_turns(read_range("conversations", a, b), read_range("feedback", a, b))
    chosen_share = sum(t.chosen is not None for t in turns) / len(turns)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from nabiyam.domain.hours import to_kst
from nabiyam.domain.nlu import Filters, Intent
from nabiyam.domain.recommendation import RequestContext
from nabiyam.storage.conversations import ConversationRecord
from nabiyam.storage.feedback import FeedbackRecord

FOOD_INTENTS = frozenset({Intent.FOOD_RECOMMENDATION.value, Intent.BUDGET_FOOD_INQUIRY.value})


@dataclass(frozen=True)
class LoggedTurn:
    conversation_id: str
    session: str = field(metadata={"doc": "bootstrap unit: the chat session (the user when none)"})
    user_id: str
    day: date
    at: datetime
    message: str
    intent: str
    nlu_confidence: float
    nlu_source: str
    filters: Filters
    context: RequestContext
    semantic_query: str
    shown: tuple[str, ...]
    shown_prices: tuple[int | None, ...]
    shown_distance_m: tuple[float | None, ...]
    candidates: tuple[str, ...]
    variant: str
    ranker_version: str | None
    chosen: str | None = None
    clicked: tuple[str, ...] = ()
    favorited: tuple[str, ...] = ()
    feedback: str | None = None
    satisfaction: int | None = None

    @property
    def went_well(self) -> bool:
        """The person acted on the answer (ordered, or liked it) and did not dislike it."""
        return self.feedback != "dislike" and (self.chosen is not None or self.feedback == "like")


def _context(record: ConversationRecord, at: datetime) -> RequestContext:
    raw = {k: v for k, v in (record.context or {}).items() if k in RequestContext.model_fields}
    raw.setdefault("at", at)
    return RequestContext.model_validate(raw)


def logged_turns(conversations: Iterable[ConversationRecord], feedback: Iterable[FeedbackRecord]) -> list[LoggedTurn]:
    """Recommendation turns with their outcomes, oldest first."""
    by_conv: dict[str, list[FeedbackRecord]] = defaultdict(list)
    for fb in feedback:
        by_conv[fb.conversation_id].append(fb)
    out: list[LoggedTurn] = []
    for rec in conversations:
        shown = tuple(rec.shown_shop_ids)
        if rec.intent not in FOOD_INTENTS or not shown:
            continue
        at = to_kst(datetime.fromisoformat(rec.created_at))
        nlu = rec.nlu or {}
        events = sorted(by_conv.get(rec.conversation_id, []), key=lambda f: f.created_at)
        ordered = [f.shop_id for f in events if f.feedback_type == "ordered" and f.shop_id in shown]
        response = [f for f in events if f.kind == "response"]
        feedback_value = next((f.feedback for f in reversed(response) if f.feedback), None)
        satisfaction = next((f.satisfaction for f in reversed(response) if f.satisfaction), None)
        out.append(LoggedTurn(
            conversation_id=rec.conversation_id, session=rec.session_id or f"user:{rec.user_id}", user_id=rec.user_id,
            day=date.fromisoformat(rec.day), at=at, message=rec.message, intent=rec.intent,
            nlu_confidence=rec.nlu_confidence, nlu_source=str(nlu.get("source", "")),
            filters=Filters.model_validate(nlu.get("filters") or {}), context=_context(rec, at),
            semantic_query=str(nlu.get("semantic_query") or ""), shown=shown,
            shown_prices=tuple((item.get("price_hint") or {}).get("price") for item in rec.shown),
            shown_distance_m=tuple(item.get("distance_m") for item in rec.shown),
            candidates=tuple(str(c.get("shop_id")) for c in rec.candidates if c.get("shop_id")),
            variant=rec.variant, ranker_version=(rec.model_versions or {}).get("ranker"),
            chosen=ordered[0] if ordered else None,
            clicked=tuple(f.shop_id for f in events if f.feedback_type == "clicked" and f.shop_id),
            favorited=tuple(f.shop_id for f in events if f.feedback_type == "favorited" and f.shop_id),
            feedback=feedback_value, satisfaction=satisfaction,
        ))
    out.sort(key=lambda t: (t.at, t.conversation_id))
    return out


def read_logged_turns(start: date | str, end: date | str, settings: object | None = None, *,
                      source: object | None = None) -> list[LoggedTurn]:
    """:func:`logged_turns` for the lake's days ``start..end`` (both included)."""
    from nabiyam.lake import read_range

    conv = read_range("conversations", start, end, settings, source=source)  # type: ignore[arg-type]
    fb = read_range("feedback", start, end, settings, source=source)  # type: ignore[arg-type]
    return logged_turns(conv, fb)
