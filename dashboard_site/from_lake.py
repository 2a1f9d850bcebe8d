"""Interim: a week's :class:`WeekReport` straight from the learning-data lake.

Used by :func:`dashboard_site.from_metrics.load_week_report` while no daily metrics are
stored (the daily-metrics job of ``nabiyam.metrics`` computes the same figures and more:
sentiment, the evaluation score, words, experiment statistics; until it lands those tabs say
so). Only plain counts, shares and percentiles of logged fields are computed here:

* conversations, daily users; intents, asked categories and foods (from the NLU filters);
* CTR = conversations with a click on a shown shop / conversations that showed shops;
* likes, dislikes (reason codes only — the free-text ``reason_text`` is never read),
  satisfaction 1–5; per model version × variant; latency p50/p95/p99 per stage; fallbacks.

No message, answer, reason text or id leaves this module: the output type has no field for them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

import numpy as np

from dashboard_site.labels import DISLIKE_REASONS, INTENTS, STAGE_ORDER, STAGES, label
from dashboard_site.model import (ActivityDay, AiView, Counted, FeedbackDay, FeedbackView, Kpi,
                                  ModelVersionRow, StageLatency, SystemDay, SystemView, TopicsView, WeekReport)
from nabiyam.lake.schema import ConversationRow, FeedbackRow
from nabiyam.settings import Settings

PENDING_NOTE = ("감정 비율, 대화 평가 점수, 자주 쓴 낱말, 실험 통계는 일별 지표 작업이 계산해 저장하면 표시돼요. "
                "지금 수치는 학습 데이터 레이크의 기록을 바로 집계했어요.")


def week_days(week: str) -> list[date]:
    """The seven KST days (Mon–Sun) of ISO week ``YYYY-Www``."""
    year, number = int(week[:4]), int(week[-2:])
    monday = date.fromisocalendar(year, number, 1)
    return [monday + timedelta(days=i) for i in range(7)]


class _Week:
    """One week's rows, deduplicated, with the derived per-conversation facts."""

    def __init__(self, conversations: Iterable[ConversationRow], feedback: Iterable[FeedbackRow]) -> None:
        self.conv = {c.conversation_id: c for c in conversations}
        self.fb = list({f.event_id: f for f in feedback}.values())
        self.clicked = {f.conversation_id for f in self.fb if f.kind == "interaction" and f.feedback_type == "clicked"}
        self.showed = {cid for cid, c in self.conv.items() if c.result_count > 0}

    def ctr(self, ids: set[str] | None = None) -> float | None:
        showed = self.showed if ids is None else self.showed & ids
        return len(showed & self.clicked) / len(showed) if showed else None

    def responses(self, ids: set[str] | None = None) -> list[FeedbackRow]:
        return [f for f in self.fb if f.kind == "response" and (ids is None or f.conversation_id in ids)]

    def satisfaction(self, ids: set[str] | None = None) -> float | None:
        vals = [f.satisfaction for f in self.responses(ids) if f.satisfaction is not None]
        return float(np.mean(vals)) if vals else None

    def dislike_ratio(self, ids: set[str] | None = None) -> float | None:
        votes = [f.feedback for f in self.responses(ids) if f.feedback]
        return votes.count("dislike") / len(votes) if votes else None

    def p95_total(self) -> float | None:
        vals = [c.latency_ms["total"] for c in self.conv.values() if "total" in c.latency_ms]
        return float(np.percentile(vals, 95)) if vals else None


def _read(settings: Settings, days: list[date]) -> _Week:
    from nabiyam.lake.reader import read_range

    return _Week(read_range("conversations", days[0], days[-1], settings),  # type: ignore[arg-type]
                 read_range("feedback", days[0], days[-1], settings))  # type: ignore[arg-type]


def _counted(counter: Counter[str]) -> list[Counted]:
    return [Counted(label=k, count=v) for k, v in counter.most_common()]


def build_from_lake(week: str, settings: Settings, *, generated_at: datetime | None = None) -> WeekReport | None:
    """The week's report from the lake, or None when the lake has no conversation that week."""
    days = week_days(week)
    cur = _read(settings, days)
    if not cur.conv:
        return None
    prev = _read(settings, [d - timedelta(days=7) for d in days])
    rows = list(cur.conv.values())
    by_day: dict[str, list[ConversationRow]] = defaultdict(list)
    for c in rows:
        by_day[c.day].append(c)

    def users(w: _Week) -> int:
        return len({c.user_id for c in w.conv.values()})

    def val(w: _Week, f: str) -> float | None:
        if not w.conv:
            return None
        return {"conversations": float(len(w.conv)), "users": float(users(w)), "ctr": w.ctr(),
                "satisfaction": w.satisfaction(), "dislike": w.dislike_ratio(), "p95": w.p95_total()}[f]

    kpis = [Kpi(key="conversations", label="대화 수", unit="count", value=val(cur, "conversations"),
                previous=val(prev, "conversations")),
            Kpi(key="active_users", label="이용자 수", unit="count", value=val(cur, "users"), previous=val(prev, "users")),
            Kpi(key="ctr", label="클릭률", unit="ratio", value=val(cur, "ctr"), previous=val(prev, "ctr"),
                help="가게를 보여 준 대화 중 하나라도 눌러 본 비율"),
            Kpi(key="satisfaction", label="만족도", unit="score5", value=val(cur, "satisfaction"),
                previous=val(prev, "satisfaction")),
            Kpi(key="dislike_ratio", label="싫어요 비율", unit="ratio", value=val(cur, "dislike"),
                previous=val(prev, "dislike"), higher_is_better=False),
            Kpi(key="latency_p95", label="응답 시간 p95", unit="ms", value=val(cur, "p95"), previous=val(prev, "p95"),
                higher_is_better=False)]

    categories: Counter[str] = Counter()
    foods: Counter[str] = Counter()
    for c in rows:
        filters = (c.nlu or {}).get("filters") or {}
        if isinstance(filters.get("category"), str):
            categories[filters["category"]] += 1
        for food in filters.get("food_types") or []:
            if isinstance(food, str):
                foods[food] += 1

    logged = [d for d in days if by_day[d.isoformat()]]  # a day without a partition is "no data", not 0
    fdays = []
    for d in logged:
        resp = [f for f in cur.responses() if f.day == d.isoformat()]
        sats = [f.satisfaction for f in resp if f.satisfaction is not None]
        fdays.append(FeedbackDay(day=d, likes=sum(f.feedback == "like" for f in resp),
                                 dislikes=sum(f.feedback == "dislike" for f in resp),
                                 satisfaction_mean=float(np.mean(sats)) if sats else None))

    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in rows:
        groups[(str(c.model_versions.get("ranker") or "없음"), c.variant)].add(c.conversation_id)
    models = [ModelVersionRow(model="ranker", version=version, variant=variant, conversations=len(ids),
                              ctr=cur.ctr(ids), satisfaction=cur.satisfaction(ids), dislike_ratio=cur.dislike_ratio(ids))
              for (version, variant), ids in sorted(groups.items())]

    stages = []
    for stage in STAGE_ORDER:
        vals = [c.latency_ms[stage] for c in rows if stage in c.latency_ms]
        if vals:
            p50, p95, p99 = np.percentile(vals, [50, 95, 99])
            stages.append(StageLatency(stage=STAGES[stage], p50=float(p50), p95=float(p95), p99=float(p99)))

    return WeekReport(
        week=week, start=days[0], end=days[-1], generated_at=generated_at or datetime.now(timezone.utc),
        kpis=kpis,
        activity=[ActivityDay(day=d, conversations=len(by_day[d.isoformat()]),
                              active_users=len({c.user_id for c in by_day[d.isoformat()]})) for d in logged],
        topics=TopicsView(intents=_counted(Counter(label(INTENTS, c.intent) for c in rows)),
                          categories=_counted(categories), foods=_counted(foods)),
        feedback=FeedbackView(days=fdays,
                              reasons=_counted(Counter(label(DISLIKE_REASONS, f.reason) for f in cur.responses()
                                                       if f.feedback == "dislike" and f.reason)),
                              satisfaction=[Counted(label=str(s), count=sum(f.satisfaction == s for f in cur.responses()))
                                            for s in range(1, 6)]),
        ai=AiView(models=models),
        system=SystemView(stages=stages, days=[SystemDay(day=d, requests=len(by_day[d.isoformat()]), errors=None,
                                                         fallbacks=sum(c.fallback for c in by_day[d.isoformat()]))
                                               for d in logged],
                          fallback_kinds=_counted(Counter("대체 경로 사용 (fallback)" for c in rows if c.fallback))),
        data_note=PENDING_NOTE,
    )
