"""The dashboard's view model: one week of aggregates, typed, ready to render.

The weekly-report job fills a :class:`WeekReport` from the stored daily metrics (see
``dashboard_site.from_metrics``); the renderer never sees a conversation, a message or a
user id — only counts, rates and percentiles. Groups smaller than
:data:`MIN_GROUP_SIZE` are removed by :func:`suppress_small_groups` before anything is
drawn, because the people behind these numbers are children.

Example::

    >>> kpi = Kpi(key="ctr", label="클릭률", unit="ratio", value=0.125, previous=0.117)
    >>> kpi.value_text, kpi.delta_text, kpi.verdict
    ('12.5%', '▲ +0.8%p', '개선')
    >>> Kpi(key="p95", label="응답 p95", unit="ms", value=820, previous=700, higher_is_better=False).verdict
    '악화'
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field, field_validator

#: A group (an intent, a reason, a variant, a day's cell …) with fewer people/events than
#: this is not shown: small counts can point at one child.
MIN_GROUP_SIZE = 5

#: |relative change| below this is "no change" (arrow ▬): noise, not news.
FLAT_THRESHOLD = 0.005
#: Without a significance test (no status from the metrics job), only a change of at least
#: this much is called 개선/악화 — the design's alert threshold; smaller ones are "작은 변화".
NOTABLE_CHANGE = 0.05

Unit = Literal["count", "ratio", "score", "score5", "ms", "chars"]


def format_value(value: float | None, unit: Unit) -> str:
    """Human text for a value: 1,234건 / 12.5% / 7.2점 / 4.1점(5점 만점) / 820ms."""
    if value is None:
        return "—"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "score":
        return f"{value:.2f}점"
    if unit == "score5":
        return f"{value:.2f} / 5"
    if unit == "ms":
        return f"{value:,.0f}ms"
    return f"{value:,.0f}자"


class Kpi(BaseModel):
    """A headline number with its week-over-week change (arrow + number, never colour alone)."""

    key: str
    label: str
    unit: Unit
    value: float | None
    previous: float | None = None
    higher_is_better: bool = True
    help: str = ""
    status: Literal["ok", "degraded", "improved", "changed", "no_data", "too_little_data"] | None = Field(
        None, description="the metrics job's week-over-week verdict (significance-tested); None: by direction only")
    p_value: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> float | None:
        """Relative change (0.05 = +5 %); for ratios the change in points is :attr:`points`."""
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous)

    @property
    def direction(self) -> Literal["up", "down", "flat", "none"]:
        if self.value is None or self.previous is None:
            return "none"
        diff = self.value - self.previous
        if self.unit == "ratio":  # compared in percentage points
            flat = abs(diff) < 0.0005
        elif self.previous == 0:
            flat = diff == 0
        else:
            flat = abs(diff / abs(self.previous)) < FLAT_THRESHOLD
        if flat:
            return "flat"
        return "up" if diff > 0 else "down"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "flat": "▬", "none": ""}[self.direction]

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def previous_text(self) -> str:
        return format_value(self.previous, self.unit)

    @property
    def delta_text(self) -> str:
        """'▲ +0.8%p' for ratios (percentage points), '▼ -12.0%' otherwise; '' without both weeks."""
        if self.value is None or self.previous is None:
            return ""
        if self.unit == "ratio":
            number = f"{(self.value - self.previous) * 100:+.1f}%p"
        elif self.change is not None:
            number = f"{self.change * 100:+.1f}%"
        else:  # from zero: the absolute change
            number = f"{self.value - self.previous:+,.0f}"
        return f"{self.arrow} {number}"

    @property
    def missing_text(self) -> str:
        """Why there is no delta: '이번 주 데이터 없음' / '지난주 데이터 없음' ('' when there is one)."""
        if self.value is None:
            return "이번 주 데이터 없음"
        return "지난주 데이터 없음" if self.previous is None else ""

    @property
    def verdict(self) -> str:
        """개선 / 악화 / 변화 없음 (the meaning of the arrow for this KPI), '' without both weeks.

        With the metrics job's ``status`` the verdict is its significance-tested one: a change
        within the noise reads "유의한 변화 없음", too few events "데이터 부족". Without it only a
        change of :data:`NOTABLE_CHANGE` or more is called 개선/악화.
        """
        if self.direction == "none":
            return ""
        if self.status is not None:
            return {"degraded": "악화", "improved": "개선", "ok": "유의한 변화 없음", "changed": "변화",
                    "too_little_data": "데이터 부족", "no_data": ""}[self.status]
        if self.direction == "flat":
            return "변화 없음"
        if self.change is not None and abs(self.change) < NOTABLE_CHANGE:
            return "작은 변화"
        better = (self.direction == "up") == self.higher_is_better
        return "개선" if better else "악화"


class Alert(BaseModel):
    severity: Literal["critical", "warning", "info"]
    title: str
    detail: str = ""

    @property
    def severity_label(self) -> str:
        return {"critical": "심각", "warning": "주의", "info": "참고"}[self.severity]


class Counted(BaseModel):
    """A labelled count (an intent, a category, a dislike reason …)."""

    label: str
    count: int = Field(ge=0)


class DailyValue(BaseModel):
    day: date
    value: float | None


class SentimentDay(BaseModel):
    day: date
    positive: int = Field(ge=0)
    neutral: int = Field(ge=0)
    negative: int = Field(ge=0)

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


class ActivityDay(BaseModel):
    day: date
    conversations: int = Field(ge=0)
    active_users: int = Field(ge=0)


class TopicsView(BaseModel):
    intents: list[Counted] = Field(default_factory=list)
    categories: list[Counted] = Field(default_factory=list)
    foods: list[Counted] = Field(default_factory=list)
    words: list[Counted] = Field(default_factory=list)


class RubricItem(BaseModel):
    criterion: str
    points: float
    description: str


class EvaluationView(BaseModel):
    histogram: list[Counted] = Field(default_factory=list, description="score 1..10 → conversations")
    daily_mean: list[DailyValue] = Field(default_factory=list)
    rubric: list[RubricItem] = Field(default_factory=list)


class FeedbackDay(BaseModel):
    day: date
    likes: int = Field(ge=0)
    dislikes: int = Field(ge=0)
    satisfaction_mean: float | None = None


class FeedbackView(BaseModel):
    days: list[FeedbackDay] = Field(default_factory=list)
    reasons: list[Counted] = Field(default_factory=list)
    satisfaction: list[Counted] = Field(default_factory=list, description="rating 1..5 → answers")


class ModelVersionRow(BaseModel):
    """Quality of one serving configuration (model version × experiment variant) this week."""

    model: str
    version: str
    variant: str
    conversations: int = Field(ge=0)
    ctr: float | None = None
    satisfaction: float | None = None
    eval_mean: float | None = None
    dislike_ratio: float | None = None


class ExperimentRow(BaseModel):
    """An A/B comparison with its confidence interval and the sample-ratio-mismatch check."""

    name: str
    metric: str
    control: str
    treatment: str
    n_control: int = Field(ge=0)
    n_treatment: int = Field(ge=0)
    control_value: float
    treatment_value: float
    diff: float
    ci_low: float
    ci_high: float
    confidence: float = 0.95
    expected_treatment_share: float = 0.5
    srm_p_value: float | None = None

    @property
    def srm_ok(self) -> bool | None:
        """False when the arms' sizes are implausible for the planned split (p < 0.001)."""
        return None if self.srm_p_value is None else self.srm_p_value >= 0.001

    @property
    def conclusion(self) -> str:
        if self.srm_ok is False:
            return "표본 비율 불일치: 결과를 믿을 수 없어요"
        if self.ci_low > 0:
            return "실험군이 더 좋아요 (신뢰구간이 0보다 큼)"
        if self.ci_high < 0:
            return "실험군이 더 나빠요 (신뢰구간이 0보다 작음)"
        return "차이가 잡음 범위 안이에요"


class RegistryEvent(BaseModel):
    at: datetime
    model: str
    action: Literal["promote", "rollback", "reject"]
    version: str
    previous_version: str | None = None
    reason: str = ""

    @property
    def action_label(self) -> str:
        return {"promote": "승격", "rollback": "롤백", "reject": "승격 거절"}[self.action]


class IntervalRow(BaseModel):
    """One metric of a champion/challenger comparison: both models and the difference, with 95 % intervals."""

    metric: str
    production: float
    candidate: float
    diff: float
    diff_low: float
    diff_high: float
    verdict: Literal["candidate", "production", "tie"]

    @property
    def verdict_label(self) -> str:
        return {"candidate": "도전 모델이 더 좋음", "production": "현재 모델이 더 좋음", "tie": "차이 없음 (잡음 범위)"}[self.verdict]


class ComparisonRow(BaseModel):
    """The newest offline comparison of a candidate model with production (the registry's evidence)."""

    model: str
    created_at: datetime
    production_version: str | None
    candidate_version: str
    decision: Literal["promote", "reject"]
    primary_metric: str
    held_out: str = Field(description="e.g. '2026-10-26 – 2026-11-01, 1,234 turns'")
    metrics: list[IntervalRow] = Field(default_factory=list)
    failed_gates: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)

    @property
    def decision_label(self) -> str:
        return {"promote": "승격", "reject": "거절"}[self.decision]


class AiView(BaseModel):
    models: list[ModelVersionRow] = Field(default_factory=list)
    experiments: list[ExperimentRow] = Field(default_factory=list)
    registry: list[RegistryEvent] = Field(default_factory=list)
    comparisons: list[ComparisonRow] = Field(default_factory=list)
    weekly_eval: list[DailyValue] = Field(default_factory=list, description="mean evaluation score per past week start")


class StageLatency(BaseModel):
    stage: str
    p50: float
    p95: float
    p99: float


class SystemDay(BaseModel):
    day: date
    requests: int = Field(ge=0)
    errors: int | None = Field(None, ge=0, description="None: not measured (shown as —, never as 0)")
    fallbacks: int = Field(ge=0)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests and self.errors is not None else None


class SystemView(BaseModel):
    stages: list[StageLatency] = Field(default_factory=list)
    days: list[SystemDay] = Field(default_factory=list)
    fallback_kinds: list[Counted] = Field(default_factory=list)


class WeekReport(BaseModel):
    """Everything one week's dashboard shows. Aggregates only — there is no field for text or ids."""

    week: str = Field(pattern=r"^\d{4}-W\d{2}$")
    start: date
    end: date
    generated_at: datetime
    kpis: list[Kpi]
    alerts: list[Alert] = Field(default_factory=list)
    activity: list[ActivityDay] = Field(default_factory=list)
    sentiment: list[SentimentDay] = Field(default_factory=list)
    topics: TopicsView = Field(default_factory=TopicsView)
    evaluation: EvaluationView = Field(default_factory=EvaluationView)
    feedback: FeedbackView = Field(default_factory=FeedbackView)
    ai: AiView = Field(default_factory=AiView)
    system: SystemView = Field(default_factory=SystemView)
    min_group_size: int = MIN_GROUP_SIZE
    suppressed_groups: int = Field(0, description="how many small groups were hidden")
    data_note: str = ""

    @field_validator("generated_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("generated_at needs a time zone (the page shows it in KST)")
        return v

    @property
    def period_label(self) -> str:
        return f"{self.week} ({self.start:%m/%d}–{self.end:%m/%d})"


def _keep(items: list[Counted], k: int) -> tuple[list[Counted], int]:
    kept = [c for c in items if c.count >= k]
    return kept, len(items) - len(kept)


def suppress_small_groups(report: WeekReport) -> WeekReport:
    """A copy of ``report`` without groups smaller than ``report.min_group_size``.

    Removed: labelled counts (intents, categories, foods, words, dislike reasons, fallback
    kinds, score and rating buckets) below k; model/variant rows with fewer than k
    conversations; experiments with an arm below k; sentiment days with fewer than k
    messages; feedback days with fewer than k reactions (their satisfaction too).
    ``suppressed_groups`` counts what was hidden, so the page can say so.
    """
    k = report.min_group_size
    hidden = 0

    def keep(items: list[Counted]) -> list[Counted]:
        nonlocal hidden
        kept, n = _keep(items, k)
        hidden += n
        return kept

    topics = TopicsView(intents=keep(report.topics.intents), categories=keep(report.topics.categories),
                        foods=keep(report.topics.foods), words=keep(report.topics.words))
    sentiment = []
    for day in report.sentiment:
        if day.total >= k:
            sentiment.append(day)
        else:
            hidden += 1
    feedback_days = []
    for fd in report.feedback.days:
        if fd.likes + fd.dislikes >= k:
            feedback_days.append(fd)
        else:
            hidden += 1
    models = [m for m in report.ai.models if m.conversations >= k]
    experiments = [e for e in report.ai.experiments if min(e.n_control, e.n_treatment) >= k]
    hidden += len(report.ai.models) - len(models) + len(report.ai.experiments) - len(experiments)
    return report.model_copy(update={
        "topics": topics,
        "sentiment": sentiment,
        "evaluation": report.evaluation.model_copy(update={"histogram": keep(report.evaluation.histogram)}),
        "feedback": FeedbackView(days=feedback_days, reasons=keep(report.feedback.reasons),
                                 satisfaction=keep(report.feedback.satisfaction)),
        "ai": report.ai.model_copy(update={"models": models, "experiments": experiments}),
        "system": report.system.model_copy(update={"fallback_kinds": keep(report.system.fallback_kinds)}),
        "suppressed_groups": report.suppressed_groups + hidden,
    })
