"""A synthetic week of aggregates for renderer tests (seeded; not the service's numbers).

The end-to-end tests build the site from the simulated log instead; this is for the parts
of the renderer that must handle any numbers: suppression, empty weeks, long labels.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from dashboard_site.model import (ActivityDay, AiView, Alert, Counted, DailyValue, EvaluationView, ExperimentRow,
                                  FeedbackDay, FeedbackView, Kpi, ModelVersionRow, RegistryEvent, RubricItem,
                                  SentimentDay, StageLatency, SystemDay, SystemView, TopicsView, WeekReport)
from nabiyam.domain.hours import KST


def sample_report(week: str = "2026-W45", seed: int = 0) -> WeekReport:
    rng = random.Random(seed)
    year, wk = int(week[:4]), int(week[-2:])
    start = date.fromisocalendar(year, wk, 1)
    days = [start + timedelta(days=i) for i in range(7)]
    activity = [ActivityDay(day=d, conversations=rng.randint(120, 220), active_users=rng.randint(40, 90)) for d in days]
    sentiment = [SentimentDay(day=d, positive=rng.randint(40, 90), neutral=rng.randint(30, 70), negative=rng.randint(5, 25))
                 for d in days]
    sentiment[2] = SentimentDay(day=days[2], positive=2, neutral=1, negative=0)  # a tiny day: suppressed
    fdays = [FeedbackDay(day=d, likes=rng.randint(20, 60), dislikes=rng.randint(3, 20),
                         satisfaction_mean=round(rng.uniform(3.4, 4.4), 2)) for d in days]
    return WeekReport(
        week=week, start=days[0], end=days[-1], generated_at=datetime.combine(days[-1] + timedelta(days=1),
                                                                                datetime.min.time(), KST).replace(hour=9),
        kpis=[Kpi(key="conversations", label="대화 수", unit="count", value=1234, previous=1102),
              Kpi(key="active_users", label="이용자 수", unit="count", value=410, previous=433),
              Kpi(key="ctr", label="클릭률", unit="ratio", value=0.125, previous=0.133),
              Kpi(key="satisfaction", label="만족도", unit="score5", value=4.05, previous=4.02),
              Kpi(key="eval", label="평균 평가 점수", unit="score", value=7.4, previous=7.1),
              Kpi(key="p95", label="응답 시간 p95", unit="ms", value=820, previous=700, higher_is_better=False)],
        alerts=[Alert(severity="warning", title="클릭률이 지난주보다 6.0% 떨어졌어요", detail="최근 7일 12.5% vs 이전 7일 13.3% (기준 5%)")],
        activity=activity, sentiment=sentiment,
        topics=TopicsView(intents=[Counted(label="음식 추천", count=610), Counted(label="예산 문의", count=240),
                                   Counted(label="인사", count=80), Counted(label="가게 정보", count=3)],
                          categories=[Counted(label=c, count=rng.randint(5, 200)) for c in ["한식", "중식", "분식", "치킨", "피자", "카페·디저트"]],
                          foods=[Counted(label=f, count=rng.randint(5, 120)) for f in ["떡볶이", "짜장면", "치킨", "김밥", "돈가스"]],
                          words=[Counted(label=w, count=rng.randint(2, 90)) for w in ["추천", "만원", "근처", "맛있는", "저녁"]]),
        evaluation=EvaluationView(histogram=[Counted(label=str(s), count=max(0, int(200 - abs(s - 7.5) * 60))) for s in range(1, 11)],
                                  daily_mean=[DailyValue(day=d, value=round(rng.uniform(6.8, 7.9), 2)) for d in days],
                                  rubric=[RubricItem(criterion="조건 충족", points=4, description="보여 준 가게가 예산·영업·카드 조건을 지켰는지"),
                                          RubricItem(criterion="이해 확신", points=2, description="요청을 확신 있게 이해했는지")]),
        feedback=FeedbackView(days=fdays, reasons=[Counted(label="너무 멀어요", count=31), Counted(label="비싸요", count=22),
                                                   Counted(label="문을 닫았어요", count=4)],
                              satisfaction=[Counted(label=str(s), count=c) for s, c in zip(range(1, 6), [6, 12, 40, 90, 70])]),
        ai=AiView(models=[ModelVersionRow(model="ranker", version="v3", variant="control", conversations=640, ctr=0.121,
                                          satisfaction=4.0, eval_mean=7.3, dislike_ratio=0.18),
                          ModelVersionRow(model="ranker", version="v4", variant="treatment", conversations=594, ctr=0.129,
                                          satisfaction=4.1, eval_mean=7.5, dislike_ratio=0.16),
                          ModelVersionRow(model="ranker", version="v2", variant="holdout", conversations=3)],
                  experiments=[ExperimentRow(name="ranker-ab", metric="클릭률", control="v3", treatment="v4", n_control=640,
                                             n_treatment=594, control_value=0.121, treatment_value=0.129, diff=0.008,
                                             ci_low=-0.004, ci_high=0.020, srm_p_value=0.19)],
                  registry=[RegistryEvent(at=datetime(2026, 11, 3, 2, 10, tzinfo=KST), model="ranker", action="promote",
                                          version="v4", previous_version="v3", reason="NDCG@5 +0.012 [0.004, 0.020]")],
                  weekly_eval=[DailyValue(day=start - timedelta(weeks=i), value=round(7 + 0.1 * (3 - i), 2)) for i in range(4)][::-1]),
        system=SystemView(stages=[StageLatency(stage=s, p50=p, p95=p * 2.2, p99=p * 3.5) for s, p in
                                  [("NLU", 18), ("후보 생성", 35), ("랭킹", 22), ("답변 생성", 4), ("전체", 95)]],
                          days=[SystemDay(day=d, requests=a.conversations, errors=rng.randint(0, 4), fallbacks=rng.randint(0, 9))
                                for d, a in zip(days, activity)],
                          fallback_kinds=[Counted(label="규칙 기반 NLU", count=21), Counted(label="조건 완화", count=12)]),
    )
