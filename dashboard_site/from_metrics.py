"""Build the :class:`~dashboard_site.model.WeekReport` the weekly job renders.

Source of every figure: the daily-metrics job's stored results (:mod:`nabiyam.metrics.model`,
read with :func:`~nabiyam.metrics.model.read_day`): per day the ``global`` scope (volume,
sentiment, topics, evaluation, feedback, latency, errors, alerts), the ``variant#``/``model#``
scopes (AI page), and on the week's Sunday the ``week_over_week`` scope (the 7 days ending
Sunday against the 7 before: exactly this ISO week against the last, with significance tests)
and the ``experiment`` scope (A/B lifts with intervals and the SRM check). The model
registry adds promotions, rollbacks and the newest champion/challenger report.

A week whose days have no stored metrics falls back to :mod:`dashboard_site.from_lake`
(counts straight from the lake, and the page says which figures are missing).

How a week is made of days: counts and rate numerators/denominators are summed; means are
weighted by their sample size; the week's latency percentiles are the request-weighted mean
of the daily percentiles (an approximation, stated on the System page); top-topic lists are
the sums of the daily top lists.

Example::

    report = load_week_report("2026-W45", get_settings())
"""

from __future__ import annotations

import importlib.util
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from dashboard_site.from_lake import build_from_lake, week_days
from dashboard_site.labels import DISLIKE_REASONS, INTENTS, STAGE_ORDER, STAGES, label
from dashboard_site.model import (ActivityDay, AiView, Alert, Counted, DailyValue, EvaluationView, ExperimentRow,
                                  FeedbackDay, FeedbackView, Kpi, ModelVersionRow, RubricItem, SentimentDay,
                                  StageLatency, SystemDay, SystemView, TopicsView, Unit, WeekReport)
from dashboard_site.sources import latest_comparisons, registry_events
from nabiyam.metrics.model import Alert as MetricsAlert
from nabiyam.metrics.model import DailyMetrics, DayMetrics, KpiComparison, Rate, read_day
from nabiyam.settings import Settings

TREND_WEEKS = 6

#: KPI of the metrics job → (label, unit, higher is better)
KPI_VIEW: dict[str, tuple[str, Unit, bool]] = {
    "conversations": ("대화 수", "count", True),
    "ctr": ("클릭률", "ratio", True),
    "conversion": ("주문 전환율", "ratio", True),
    "satisfaction": ("만족도", "score5", True),
    "like_ratio": ("좋아요 비율", "ratio", True),
    "evaluation": ("평균 평가 점수", "score", True),
    "positive_sentiment": ("긍정 메시지 비율", "ratio", True),
    "error_rate": ("오류율", "ratio", False),
    "latency_p95_total": ("응답 시간 p95", "ms", False),
}
METRIC_LABELS = {"ctr": "클릭률", "conversion": "주문 전환율", "satisfaction": "만족도"}
EXPERIMENT_METRICS_NOTE = "실험은 일별 지표 작업이 일요일까지 7일을 비교한 결과예요."


class ReportDataMissing(LookupError):
    """There is no logged traffic for the week asked for."""


def load_week_report(week: str, settings: Settings) -> WeekReport:
    """The week's report; :class:`ReportDataMissing` names the week when nothing was logged."""
    days = week_days(week)
    stored = [read_day(d, settings) for d in days]
    if any(m.global_ is not None for m in stored):
        report = build_from_metrics(week, stored, settings)
    else:
        counted = build_from_lake(week, settings)
        if counted is None:
            raise ReportDataMissing(f"no daily metrics and no logged conversations for {week} "
                                    f"(table {settings.daily_metrics_table}, bucket {settings.learning_data_bucket}): "
                                    "simulate traffic and run `nabiyam jobs daily-metrics --date D` first")
        report = counted
    ai = report.ai.model_copy(update={"registry": registry_events(settings, until=report.end),
                                      "comparisons": latest_comparisons(settings)})
    return report.model_copy(update={"ai": ai})


def available_weeks(settings: Settings) -> list[str]:
    """ISO weeks with logged conversations in the lake, oldest first."""
    from nabiyam.lake.reader import partitions

    return sorted({_week(d) for d in partitions("conversations", settings)})


def _week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def _sum_rates(rates: Iterable[Rate]) -> float | None:
    rates = list(rates)
    den = sum(r.denominator for r in rates)
    return sum(r.numerator for r in rates) / den if den else None


def _weighted(pairs: Iterable[tuple[float | None, int]]) -> float | None:
    pairs = [(v, n) for v, n in pairs if v is not None and n > 0]
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else None


def _counted(counter: Counter[str]) -> list[Counted]:
    return [Counted(label=k, count=v) for k, v in counter.most_common()]


def _kpi(c: KpiComparison) -> Kpi:
    name, unit, higher = KPI_VIEW[c.kpi]
    return Kpi(key=c.kpi, label=name, unit=unit, value=c.current, previous=c.previous, higher_is_better=higher,
               status=c.status, p_value=c.p_value,
               help="표본이 적어 유의성을 따지지 않아요" if c.status == "too_little_data" else "")


def _alert(a: MetricsAlert) -> Alert:
    e = a.evidence
    name, unit, _ = KPI_VIEW[a.kpi]
    fmt = (lambda v: "—" if v is None else f"{v * 100:.1f}%") if unit == "ratio" else (
        lambda v: "—" if v is None else f"{v:,.2f}")
    detail = (f"{a.current_window[0]:%m/%d}–{a.current_window[1]:%m/%d} {fmt(e.current)} (n={e.current_n:,}) vs "
              f"{a.previous_window[0]:%m/%d}–{a.previous_window[1]:%m/%d} {fmt(e.previous)} (n={e.previous_n:,})"
              + (f", p={e.p_value:.3g}" if e.p_value is not None else "") + f" · {a.day:%m/%d} 발생")
    return Alert(severity="warning", title=a.message, detail=detail)


def _pooled(days: list[DailyMetrics]) -> dict[str, float | None]:
    """The week's value of each KPI from its days (pooled rates, weighted means); None without data."""
    if not days:
        return dict.fromkeys(KPI_VIEW)
    likes = sum(d.feedback.likes for d in days)
    rated = likes + sum(d.feedback.dislikes for d in days)
    sentiment = [d.sentiment for d in days if d.sentiment is not None]
    return {
        "conversations": float(sum(d.conversations for d in days)),
        "ctr": _sum_rates(d.ctr for d in days),
        "conversion": _sum_rates(d.conversion for d in days),
        "satisfaction": _weighted((d.satisfaction.mean, d.satisfaction.count) for d in days),
        "like_ratio": likes / rated if rated else None,
        "evaluation": _weighted((d.evaluation.mean, d.evaluation.score.count) for d in days),
        "positive_sentiment": _sum_rates(s.positive for s in sentiment) if sentiment else None,
        "error_rate": _sum_rates(d.errors for d in days),
        "latency_p95_total": _weighted((d.latency_ms["total"].p95, d.latency_ms["total"].count)
                                       for d in days if "total" in d.latency_ms),
    }


def _pooled_kpis(current: list[DailyMetrics], previous: list[DailyMetrics]) -> list[Kpi]:
    now, before = _pooled(current), _pooled(previous)
    return [Kpi(key=key, label=name, unit=unit, value=now[key], previous=before[key], higher_is_better=higher)
            for key, (name, unit, higher) in KPI_VIEW.items() if now[key] is not None]


def _group_row(model: str, version: str, variant: str, days: list[DailyMetrics]) -> ModelVersionRow:
    likes = sum(d.feedback.likes for d in days)
    dislikes = sum(d.feedback.dislikes for d in days)
    return ModelVersionRow(
        model=model, version=version, variant=variant, conversations=sum(d.conversations for d in days),
        ctr=_sum_rates(d.ctr for d in days),
        satisfaction=_weighted((d.satisfaction.mean, d.satisfaction.count) for d in days),
        eval_mean=_weighted((d.evaluation.mean, d.evaluation.score.count) for d in days),
        dislike_ratio=dislikes / (likes + dislikes) if likes + dislikes else None)


def _experiments(last: DayMetrics) -> list[ExperimentRow]:
    exp = last.experiment
    window = exp.last_7_days or exp.today if exp else None
    if exp is None or window is None:
        return []
    units = {v.variant: v.units for v in window.variants}
    srm = window.srm
    rows = []
    for c in window.comparisons:
        if c.lift is None or c.lift_ci is None or c.control_value is None or c.variant_value is None:
            continue
        share = srm.expected_shares.get(c.variant) if srm else None
        rows.append(ExperimentRow(
            name=exp.experiment or "A/B", metric=METRIC_LABELS[c.metric], control=c.control, treatment=c.variant,
            n_control=units.get(c.control, 0), n_treatment=units.get(c.variant, 0), control_value=c.control_value,
            treatment_value=c.variant_value, diff=c.lift, ci_low=c.lift_ci[0], ci_high=c.lift_ci[1],
            expected_treatment_share=share if share is not None else 0.5,
            srm_p_value=srm.p_value if srm else None))
    return rows


#: the rubric version the Korean descriptions below explain (nabiyam.metrics.evaluation.RUBRIC_VERSION)
RUBRIC_DESCRIBED = 1


def _rubric() -> list[RubricItem]:
    """The evaluation rubric for stakeholders, in Korean, with the thresholds read from the metrics
    job's own constants (a different rubric version is not described with stale words)."""
    if importlib.util.find_spec("nabiyam.metrics.evaluation") is None:  # the metrics job's scorer not installed
        return []
    from nabiyam.metrics import evaluation as ev

    if ev.RUBRIC_VERSION != RUBRIC_DESCRIBED:
        return [RubricItem(criterion=f"채점 기준 버전 {ev.RUBRIC_VERSION}", points=10,
                           description="이 버전의 설명은 docs/metrics.md에 있어요.")]
    return [
        RubricItem(criterion="기본", points=1, description="기록된 모든 대화가 받는 점수예요."),
        RubricItem(criterion="안전", points=2, description="보여 준 가게가 모두 조건(급식카드·예산·영업 중 등)을 지켰으면 2점, "
                   "맞는 가게가 없다고 솔직히 답했으면 1점, 조건을 어기거나 안전 답변으로 대체됐으면 0점이에요."),
        RubricItem(criterion="이해", points=2, description=f"요청을 이해한 확신도가 {ev.CONFIDENT:g} 이상이면 2점, "
                   f"{ev.UNSURE:g} 이상이면 1점이에요."),
        RubricItem(criterion="말투", points=2, description="답변이 아이에게 맞는 말투 검사(해요체, 문장 길이, 이모지, 금지어)를 "
                   "통과하면 2점이에요."),
        RubricItem(criterion="길이", points=1, description=f"답변이 {ev.MIN_CHARS}–{ev.MAX_CHARS}자, "
                   f"{ev.MIN_SENTENCES}–{ev.MAX_SENTENCES}문장이면 1점이에요."),
        RubricItem(criterion="행동", points=2, description="아이가 보여 준 가게를 눌러 보거나 주문·찜했거나 답변에 좋아요를 "
                   "눌렀으면 2점이에요 (싫어요를 누르면 0점)."),
    ]


def build_from_metrics(week: str, stored: list[DayMetrics], settings: Settings, *,
                       generated_at: datetime | None = None) -> WeekReport:
    """The week's report from its seven :class:`DayMetrics` (Monday first)."""
    days = [m.day for m in stored]
    g = [m.global_ for m in stored if m.global_ is not None]
    last = stored[-1]
    prev_week = [read_day(d - timedelta(days=7), settings).global_ for d in days]
    prev_g = [d for d in prev_week if d is not None]
    kpis = [_kpi(c) for c in last.week_over_week.kpis if c.kpi in KPI_VIEW] if last.week_over_week else []
    if not kpis:  # no week-over-week stored for Sunday (a partial week): pooled here, without a significance test
        kpis = _pooled_kpis(g, prev_g)
    prev_dau = [d.daily_active_users for d in prev_g]
    kpis.insert(1, Kpi(key="daily_users", label="하루 평균 이용자", unit="count",
                       value=sum(d.daily_active_users for d in g) / len(g),
                       previous=sum(prev_dau) / len(prev_dau) if prev_dau else None))

    intents: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    foods: Counter[str] = Counter()
    words: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    satisfaction: Counter[str] = Counter()
    scores: Counter[str] = Counter()
    fallbacks: Counter[str] = Counter()
    latency: dict[str, list[tuple[float, float, float, int]]] = defaultdict(list)
    for d in g:
        intents.update({label(INTENTS, k): v for k, v in d.intents.items()})
        categories.update({t.term: t.count for t in d.topics.categories})
        foods.update({t.term: t.count for t in d.topics.foods})
        words.update({t.term: t.count for t in d.topics.nouns})
        reasons.update({label(DISLIKE_REASONS, k): v for k, v in d.feedback.dislike_reasons.items()})
        satisfaction.update(d.satisfaction.histogram)
        scores.update(d.evaluation.score.histogram)
        fallbacks.update({"추천 대체 경로": d.recommendations.fallbacks.numerator,
                          "맞는 가게 없음": d.recommendations.nothing_fits.numerator,
                          "규칙 기반 이해(NLU)": d.rules_share.numerator})
        for stage, dist in d.latency_ms.items():
            if dist.count and dist.p50 is not None and dist.p95 is not None and dist.p99 is not None:
                latency[stage].append((dist.p50, dist.p95, dist.p99, dist.count))
    stages = []
    for stage in [s for s in STAGE_ORDER if s in latency] + sorted(s for s in latency if s not in STAGE_ORDER):
        rows = latency[stage]
        n = sum(r[3] for r in rows)
        stages.append(StageLatency(stage=label(STAGES, stage), p50=sum(r[0] * r[3] for r in rows) / n,
                                   p95=sum(r[1] * r[3] for r in rows) / n, p99=sum(r[2] * r[3] for r in rows) / n))

    models: dict[str, list[DailyMetrics]] = defaultdict(list)
    variants: dict[str, list[DailyMetrics]] = defaultdict(list)
    for m in stored:
        for key, dm in m.models.items():
            models[key].append(dm)
        for key, dm in m.variants.items():
            variants[key].append(dm)
    rows = [_group_row(*key.split("#", 1), "전체", ds) for key, ds in sorted(models.items())]
    rows += [_group_row("전체", "—", key, ds) for key, ds in sorted(variants.items())]

    trend = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        start = days[0] - timedelta(weeks=back)
        week_days_ = [read_day(start + timedelta(days=i), settings).global_ for i in range(7)] if back else g
        present = [d for d in week_days_ if d is not None]
        mean = _weighted((d.evaluation.mean, d.evaluation.score.count) for d in present)
        if mean is not None:
            trend.append(DailyValue(day=start, value=mean))

    alerts = [_alert(a) for d in g for a in d.alerts]
    return WeekReport(
        week=week, start=days[0], end=days[-1], generated_at=generated_at or datetime.now(timezone.utc),
        kpis=kpis, alerts=alerts,
        activity=[ActivityDay(day=d.day, conversations=d.conversations, active_users=d.daily_active_users) for d in g],
        sentiment=[SentimentDay(day=d.day, positive=d.sentiment.counts.get("positive", 0),
                                neutral=d.sentiment.counts.get("neutral", 0), negative=d.sentiment.counts.get("negative", 0))
                   for d in g if d.sentiment is not None],
        topics=TopicsView(intents=_counted(intents), categories=_counted(categories), foods=_counted(foods),
                          words=_counted(words)),
        evaluation=EvaluationView(histogram=[Counted(label=str(s), count=scores.get(str(s), 0)) for s in range(1, 11)]
                                  if scores else [],
                                  daily_mean=[DailyValue(day=d.day, value=d.evaluation.mean) for d in g],
                                  rubric=_rubric()),
        feedback=FeedbackView(days=[FeedbackDay(day=d.day, likes=d.feedback.likes, dislikes=d.feedback.dislikes,
                                                satisfaction_mean=d.satisfaction.mean) for d in g],
                              reasons=_counted(reasons),
                              satisfaction=[Counted(label=str(s), count=satisfaction.get(str(s), 0)) for s in range(1, 6)]
                              if satisfaction else []),
        ai=AiView(models=rows, experiments=_experiments(last), weekly_eval=trend),
        system=SystemView(stages=stages,
                          days=[SystemDay(day=d.day, requests=d.conversations, errors=d.errors.numerator,
                                          fallbacks=d.recommendations.fallbacks.numerator) for d in g],
                          fallback_kinds=[c for c in _counted(fallbacks) if c.count > 0]),
        data_note=("주간 응답 시간 백분위수는 일별 백분위수를 요청 수로 가중 평균한 근사값이에요. "
                   "주제 목록은 일별 상위 목록을 더한 값이에요."),
    )
