"""The typed contract of the daily-metrics job: what it stores, and how readers read it.

Who writes: :mod:`nabiyam.jobs.daily_metrics` (EventBridge 00:30 KST, or
``nabiyam jobs daily-metrics --date D``), from the learning-data lake partitions of one Korean
(Asia/Seoul) day. Who reads: the dashboard and Slack report (issue 12), the retrain trigger.

Where it is stored (both written by the same run, both replaced by a re-run of the day):

* the **DailyMetrics table** (:mod:`nabiyam.storage.daily_metrics`), one item per
  ``(day, scope)``; ``item.metrics`` is the JSON of the model named below:

  ========================================  =============================================
  scope                                      ``metrics`` validates as
  ========================================  =============================================
  ``global``                                 :class:`DailyMetrics` (whole day, + ``alerts``)
  ``variant#<variant>``                      :class:`DailyMetrics` (turns served by that arm)
  ``model#<model>#<version>``                :class:`DailyMetrics` (turns with that version)
  ``week_over_week``                         :class:`WeekOverWeek` (the 7 days ending ``day``
                                             against the 7 before)
  ``experiment``                             :class:`ExperimentAnalysis` (variants on ``day``
                                             and over the 7 days ending ``day``)
  ========================================  =============================================

* the **lake partition** ``s3://<learning-data bucket>/metrics/dt=YYYY-MM-DD/daily_metrics.jsonl``:
  one JSON line per scope, each a :class:`StoredScope` (``scope`` + ``metrics``) — the same
  content, for Athena or for a reader without DynamoDB.

How a reader should read (never by hand-parsing dicts)::

    from nabiyam.metrics.model import read_day
    day = read_day("2026-11-08", settings)            # DayMetrics (None parts when not computed)
    day.global_.ctr.value, day.global_.ctr.ci_low      # a Rate: value None when denominator 0
    day.week_over_week.kpis                            # list[KpiComparison], status + p-value
    day.global_.alerts                                 # list[Alert] raised on that day
    day.variants["B"].satisfaction.mean

Conventions: every rate is a :class:`Rate` (numerator, denominator, value, Wilson 95 % interval;
``value`` is ``None`` when there is no denominator — "no data", never 0); every distribution is a
:class:`Distribution` (count, mean, quantiles, histogram); nothing identifies a child (no user ids,
no messages — only counts, and conversation ids in violation evidence). ``schema_version`` bumps on
any change; readers refuse newer versions.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Bumped on any change to the stored models below.
METRICS_SCHEMA_VERSION = 1

#: Scope names (see the module docstring).
GLOBAL_SCOPE = "global"
WOW_SCOPE = "week_over_week"
EXPERIMENT_SCOPE = "experiment"
VARIANT_PREFIX = "variant#"
MODEL_PREFIX = "model#"


def variant_scope(variant: str) -> str:
    """The scope name of one experiment arm.

    >>> variant_scope("B")
    'variant#B'
    """
    return f"{VARIANT_PREFIX}{variant}"


def model_scope(model: str, version: str) -> str:
    """The scope name of one model version.

    >>> model_scope("ranker", "v3")
    'model#ranker#v3'
    """
    return f"{MODEL_PREFIX}{model}#{version}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rate(_Frozen):
    """``numerator / denominator`` with a Wilson 95 % interval; ``value`` None when nothing to divide."""

    numerator: int = Field(ge=0)
    denominator: int = Field(ge=0)
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


class Distribution(_Frozen):
    """Summary of a numeric sample. ``histogram`` maps a bucket label to its count: the exact value
    for small integer scales (satisfaction ``"1"``..``"5"``, evaluation ``"1"``..``"10"``), else a
    range label such as ``"<50"``, ``"50-100"``, ``">=400"`` (bucket edges documented per field)."""

    count: int = Field(ge=0)
    mean: float | None = None
    std: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    min: float | None = None
    max: float | None = None
    histogram: dict[str, int] = Field(default_factory=dict)


class TermCount(_Frozen):
    term: str
    count: int = Field(ge=0)


class Topics(_Frozen):
    """Top topics of the day's user messages (most frequent first, ties by term)."""

    intents: list[TermCount] = Field(default_factory=list)
    categories: list[TermCount] = Field(default_factory=list, description="asked categories (NLU filters)")
    foods: list[TermCount] = Field(default_factory=list, description="asked foods (NLU filters)")
    nouns: list[TermCount] = Field(default_factory=list,
                                   description="frequent Korean nouns (kiwipiepy NNG/NNP), stop words removed")
    tokenizer: str = Field("", description="e.g. 'kiwipiepy 0.21.0'; 'none' when it was unavailable")


class Sentiment(_Frozen):
    """Sentiment of the user messages by the published sentiment model."""

    counts: dict[Literal["positive", "negative", "neutral"], int]
    positive: Rate
    negative: Rate
    neutral: Rate
    model_version: str | None = Field(None, description="registry version of the sentiment model")


class Feedback(_Frozen):
    likes: int = 0
    dislikes: int = 0
    like_ratio: Rate = Field(description="likes / (likes + dislikes)")
    dislike_reasons: dict[str, int] = Field(default_factory=dict)
    like_reasons: dict[str, int] = Field(default_factory=dict)


class RetrainSignal(_Frozen):
    """The seeds' dislike-ratio trigger input (issue 13's retrain trigger may read it)."""

    rated: int = Field(ge=0, description="likes + dislikes of the day")
    dislikes: int = Field(ge=0)
    dislike_ratio: float | None = None
    dislike_wilson_lower: float = Field(description="Wilson 95 % lower bound of the dislike ratio (0 when rated=0)")


class Recommendations(_Frozen):
    """What was shown: diversity, coverage and safety."""

    shown_conversations: int = Field(ge=0, description="turns that showed at least one shop")
    shown_items: int = Field(ge=0)
    distinct_shops: int = Field(ge=0)
    catalogue_size: int | None = Field(None, description="shops in the catalogue (None when unknown)")
    coverage: float | None = Field(None, description="distinct_shops / catalogue_size")
    diversity: float | None = Field(None, description="mean over shown lists of distinct categories / items shown")
    hard_filter_violations: int = Field(0, ge=0, description="shown items breaking a hard filter: must be 0")
    violation_examples: list[str] = Field(default_factory=list,
                                          description="'<conversation_id>: <rule>' for the first few violations")
    fallbacks: Rate = Field(description="turns answered by the recommender's fallback / food turns")
    nothing_fits: Rate = Field(description="food turns with no shop that fits / food turns")


class Evaluation(_Frozen):
    """The automatic 1–10 conversation evaluation (the seeds' ``conversation_evaluation``);
    the rubric is :data:`nabiyam.metrics.evaluation.RUBRIC` (docs/metrics.md)."""

    rubric_version: int
    score: Distribution
    mean: float | None = None


class DailyMetrics(_Frozen):
    """Everything measured for one day and one scope (global, a variant or a model version)."""

    schema_version: int = METRICS_SCHEMA_VERSION
    day: date
    scope: str
    # volume
    conversations: int = Field(ge=0, description="logged turns")
    sessions: int = Field(ge=0)
    daily_active_users: int = Field(ge=0)
    turns_per_session: Distribution
    intents: dict[str, int] = Field(default_factory=dict)
    # language
    sentiment: Sentiment | None = Field(None, description="None when the sentiment model was unavailable")
    topics: Topics
    response_chars: Distribution = Field(description="answer length in characters; buckets of 50")
    response_sentences: Distribution = Field(description="answer length in sentences")
    nlu_confidence: Distribution = Field(description="buckets of 0.1")
    rules_share: Rate = Field(description="turns whose NLU came from the rules path / turns")
    # engagement (per conversation that showed shops)
    ctr: Rate = Field(description="shown turns with ≥1 click on a shown shop / shown turns")
    conversion: Rate = Field(description="shown turns with ≥1 order of a shown shop / shown turns")
    favourite_rate: Rate = Field(description="shown turns with ≥1 favourite of a shown shop / shown turns")
    clicks: int = 0
    orders: int = 0
    favourites: int = 0
    feedback: Feedback
    satisfaction: Distribution = Field(description="1–5 ratings; histogram '1'..'5'")
    retrain: RetrainSignal
    recommendations: Recommendations
    latency_ms: dict[str, Distribution] = Field(default_factory=dict, description="per stage (nlu, recommend, nlg, "
                                                "log, total, ...), p50/p95/p99")
    errors: Rate = Field(description="turns answered by the safe fallback (an answer failed its check) / turns")
    evaluation: Evaluation
    model_versions: dict[str, list[str]] = Field(default_factory=dict, description="model → versions seen")
    variants: dict[str, int] = Field(default_factory=dict, description="variant → turns")
    alerts: list[Alert] = Field(default_factory=list, description="alerts raised on this day (global scope only)")
    input_digest: str = Field(description="sha256 over the day's row ids: same input, same digest")


KpiName = Literal["conversations", "ctr", "conversion", "like_ratio", "satisfaction", "evaluation", "positive_sentiment",
                  "error_rate", "latency_p95_total"]
KpiStatus = Literal["ok", "degraded", "improved", "changed", "no_data", "too_little_data"]


class KpiComparison(_Frozen):
    """One KPI, the current 7 days against the previous 7. ``change_pct`` is (current-previous)/previous·100.

    ``status``: ``no_data`` (a window has nothing), ``too_little_data`` (below the volume floor;
    stated, never alerted), ``degraded``/``improved`` (|change| > threshold and significant, in the
    bad / good direction), ``changed`` (for KPIs with no good direction), else ``ok``."""

    kpi: KpiName
    kind: Literal["rate", "mean", "count", "quantile"]
    current: float | None = None
    previous: float | None = None
    change_pct: float | None = None
    current_n: int
    previous_n: int
    p_value: float | None = Field(None, description="two-proportion z-test (rates) or bootstrap (means)")
    test: Literal["two_proportion_z", "bootstrap_mean", "none"] = "none"
    significant: bool = False
    status: KpiStatus


class WeekOverWeek(_Frozen):
    schema_version: int = METRICS_SCHEMA_VERSION
    day: date = Field(description="last day of the current window")
    current_start: date
    current_end: date
    previous_start: date
    previous_end: date
    days_with_data_current: int
    days_with_data_previous: int
    kpis: list[KpiComparison]
    threshold_pct: float = Field(description="a drop beyond this (e.g. 5.0) may alert")
    alpha: float
    min_volume: int = Field(description="per-window denominator floor for a rate / sample floor for a mean")


class Alert(_Frozen):
    """A week-over-week degradation, stored with its evidence on the day it was raised."""

    alert_id: str = Field(description="'wow#<kpi>#<day>' — stable: a re-run writes the same id")
    kind: Literal["week_over_week_degradation"] = "week_over_week_degradation"
    kpi: KpiName
    day: date
    evidence: KpiComparison
    current_window: tuple[date, date]
    previous_window: tuple[date, date]
    message: str = Field(description="one Korean sentence for the report, e.g. 'CTR 이 지난주보다 12.3% 낮아요'")
    cooldown_days: int = Field(description="no new alert for this KPI until this many days after this one")


class VariantStats(_Frozen):
    variant: str
    units: int = Field(description="users assigned (distinct users seen in the arm)")
    turns: int
    shown_turns: int
    configured_share: float | None = None
    observed_share: float | None = None
    ctr: Rate
    conversion: Rate
    satisfaction: Distribution
    satisfaction_ci: tuple[float, float] | None = Field(None, description="normal 95 % interval of the mean")


class VariantComparison(_Frozen):
    """``variant`` against ``control`` on one metric; lifts are absolute differences (variant − control)."""

    variant: str
    control: str
    metric: Literal["ctr", "conversion", "satisfaction"]
    control_value: float | None = None
    variant_value: float | None = None
    lift: float | None = None
    lift_ci: tuple[float, float] | None = Field(None, description="95 % interval of the absolute lift")
    relative_lift: float | None = None
    p_value: float | None = Field(None, description="two-proportion z-test (rates) / Welch z (satisfaction)")
    significant: bool = False
    mde: float | None = Field(None, description="absolute minimum detectable effect at this volume (α=0.05, power 0.8)")


class SrmCheck(_Frozen):
    """Sample-ratio mismatch: observed users per arm against the configured shares (χ² test)."""

    expected_shares: dict[str, float]
    observed_units: dict[str, int]
    chi2: float | None = None
    p_value: float | None = None
    mismatch: bool = Field(description="p < 0.001: the split is broken; do not trust the comparison")


class ExperimentWindow(_Frozen):
    start: date
    end: date
    variants: list[VariantStats]
    comparisons: list[VariantComparison]
    srm: SrmCheck | None = None


class ExperimentAnalysis(_Frozen):
    schema_version: int = METRICS_SCHEMA_VERSION
    day: date
    control: str
    experiment: str | None = Field(None, description="experiment name from settings, if any")
    today: ExperimentWindow
    last_7_days: ExperimentWindow | None = None


class StoredScope(_Frozen):
    """One line of the lake partition ``metrics/dt=<day>/daily_metrics.jsonl``."""

    day: date
    scope: str
    metrics: dict


class DayMetrics(BaseModel):
    """Everything stored for one day, parsed: what the dashboard reads (see :func:`read_day`)."""

    day: date
    global_: DailyMetrics | None = None
    variants: dict[str, DailyMetrics] = Field(default_factory=dict)
    models: dict[str, DailyMetrics] = Field(default_factory=dict, description="'<model>#<version>' → metrics")
    week_over_week: WeekOverWeek | None = None
    experiment: ExperimentAnalysis | None = None


def parse_scope(scope: str, metrics: dict) -> DailyMetrics | WeekOverWeek | ExperimentAnalysis:
    """The typed value of one stored ``(scope, metrics)`` item."""
    version = metrics.get("schema_version", 1)
    if not isinstance(version, int) or version > METRICS_SCHEMA_VERSION:
        raise ValueError(f"daily metrics schema_version {version!r} is newer than this reader "
                         f"({METRICS_SCHEMA_VERSION}); upgrade nabiyam")
    if scope == WOW_SCOPE:
        return WeekOverWeek.model_validate(metrics)
    if scope == EXPERIMENT_SCOPE:
        return ExperimentAnalysis.model_validate(metrics)
    return DailyMetrics.model_validate(metrics)


def assemble(day: date, items: list[tuple[str, dict]]) -> DayMetrics:
    """Group stored ``(scope, metrics)`` items of one day into a :class:`DayMetrics`."""
    out = DayMetrics(day=day)
    for scope, metrics in items:
        value = parse_scope(scope, metrics)
        if isinstance(value, WeekOverWeek):
            out.week_over_week = value
        elif isinstance(value, ExperimentAnalysis):
            out.experiment = value
        elif scope == GLOBAL_SCOPE:
            out.global_ = value
        elif scope.startswith(VARIANT_PREFIX):
            out.variants[scope[len(VARIANT_PREFIX):]] = value
        elif scope.startswith(MODEL_PREFIX):
            out.models[scope[len(MODEL_PREFIX):]] = value
    return out


def read_day(day: date | str, settings=None) -> DayMetrics:  # noqa: ANN001 - Settings, imported lazily
    """The stored metrics of ``day`` from the DailyMetrics table (empty parts when not computed)."""
    from nabiyam.storage.daily_metrics import DailyMetricsRepository

    d = date.fromisoformat(day) if isinstance(day, str) else day
    items = DailyMetricsRepository(settings).for_day(d)
    return assemble(d, [(item.scope, item.metrics) for item in items])


DailyMetrics.model_rebuild()
