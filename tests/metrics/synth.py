"""Hand-built turns and feedback for the pure metric tests (no stack, no simulation): each turn
shows shops; a click / order / rating is drawn with the given probabilities."""

from __future__ import annotations

import random
from datetime import date

from nabiyam.metrics.daily import Extras, FeedbackIndex, TurnFacts, aggregate
from nabiyam.metrics.model import DailyMetrics
from nabiyam.storage.feedback import FeedbackRecord


def turn(cid: str, user: str, variant: str = "control", shown: tuple[str, ...] = ("s1", "s2", "s3")) -> TurnFacts:
    return TurnFacts(conversation_id=cid, user_id=user, session_id=f"sess-{cid}", intent="FOOD_RECOMMENDATION",
                     variant=variant, models=(("ranker", "r1"),), message="치킨 먹고 싶어", food_turn=True, shown=shown,
                     categories=("치킨", "피자", "치킨")[:len(shown)], violations=(), fallback=False,
                     nothing_fits=False, error=False, chars=120, sentences=4, style_ok=True, confidence=0.9,
                     rules=False, latency={"total": 100.0}, asked_category="치킨", asked_foods=("치킨",))


def event(cid: str, user: str, day: date, n: int, **kw: object) -> FeedbackRecord:
    kind = "interaction" if "feedback_type" in kw else "response"
    return FeedbackRecord(event_id=f"ev-{cid}-{n}", kind=kind, conversation_id=cid, user_id=user,
                          created_at=f"{day.isoformat()}T12:00:00+09:00", day=day.isoformat(),
                          payload_hash="h", **kw)


def synth_day(day: date, n: int, p_click: float, p_order: float, rng: random.Random, p_rate: float = 0.5,
              mean_sat: float = 4.0, variant_of=lambda u: "control") -> tuple[list[TurnFacts], list[FeedbackRecord]]:
    turns, events = [], []
    for i in range(n):
        user = f"u{rng.randrange(n * 2)}"
        cid = f"c-{day.isoformat()}-{i}"
        t = turn(cid, user, variant_of(user))
        turns.append(t)
        if rng.random() < p_click:
            events.append(event(cid, user, day, 0, feedback_type="clicked", shop_id="s2"))
            if rng.random() < p_order / p_click:
                events.append(event(cid, user, day, 1, feedback_type="ordered", shop_id="s2"))
        if rng.random() < p_rate:
            sat = min(5, max(1, round(rng.gauss(mean_sat, 0.9))))
            events.append(event(cid, user, day, 2, feedback="like" if sat >= 3 else "dislike", satisfaction=sat))
    return turns, events


def synth_metrics(day: date, n: int, p_click: float, p_order: float, rng: random.Random, **kw: object) -> DailyMetrics:
    turns, events = synth_day(day, n, p_click, p_order, rng, **kw)
    return aggregate(day, "global", turns, FeedbackIndex.build(events), Extras())
