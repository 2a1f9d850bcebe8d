"""The champion/challenger comparison report: the schema the registry's audit trail points
at and the dashboard's AI-performance page shows (docs/learning_loop.md documents it).

Stored as JSON in the artifacts bucket::

    reports/learning/<model>/<YYYY-MM-DD>/<report_id>.json   one per comparison
    reports/learning/<model>/latest.json                     a copy of the newest

Example::

    >>> Interval(estimate=0.41, low=0.38, high=0.44).excludes_zero
    True
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1
REPORT_PREFIX = "reports/learning"
Decision = Literal["promote", "reject"]
Verdict = Literal["candidate", "production", "tie"]


class Interval(BaseModel):
    """A point estimate with its 95 % session-bootstrap percentile interval."""

    estimate: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0


class MetricComparison(BaseModel):
    name: str = Field(description="auc | ndcg@5 | hitrate@5 | coverage | diversity | …")
    production: Interval
    candidate: Interval
    difference: Interval = Field(description="candidate − production, paired bootstrap over the same sessions")
    verdict: Verdict = Field(description="who is better beyond the noise (the interval of the difference excludes 0)")


class Gate(BaseModel):
    """A hard gate: any failure blocks promotion whatever the metrics say."""

    name: str = Field(description="hard_filters | nlu | onnx_parity | loads_in_serving | latency | experiment …")
    passed: bool
    detail: str


class OracleReplay(BaseModel):
    """Each model's TRUE expected choice rate of its top 5 on held-out simulated requests:
    the world's oracle, P(the person chooses one of the 5 shown) under the true utilities."""

    requests: int
    production: Interval
    candidate: Interval
    difference: Interval
    verdict: Verdict


class HeldOut(BaseModel):
    start: str = Field(description="first Korean day of the held-out logged traffic")
    end: str
    turns: int = Field(description="logged turns with a shown set")
    sessions: int = Field(description="bootstrap units (users' sessions)")
    with_choice: int = Field(description="turns where the person ordered/clicked a shown shop")


class ComparisonReport(BaseModel):
    schema_version: int = SCHEMA_VERSION
    report_id: str
    created_at: datetime
    model_name: str
    production_version: str | None = Field(description="None: nothing in production (the fallback blend was compared)")
    candidate_version: str
    held_out: HeldOut
    primary_metric: str = Field(description="the metric that must be better beyond the noise")
    metrics: list[MetricComparison]
    gates: list[Gate]
    oracle: OracleReplay | None = Field(None, description="present when the world's truth is at hand (dev/test)")
    decision: Decision
    reasons: list[str] = Field(description="why, in plain words: the stored reason of the registry event")
    agrees_with_oracle: bool | None = Field(None, description="the logged-data decision vs the oracle's verdict")
    bias_handling: str = Field(description="how the logging policy's selection bias is dealt with")
    bootstrap: dict[str, int | float | str] = Field(default_factory=dict,
                                                    description="resamples, confidence, unit, seed")

    @property
    def key(self) -> str:
        return f"{REPORT_PREFIX}/{self.model_name}/{self.created_at.date().isoformat()}/{self.report_id}.json"

    @staticmethod
    def latest_key(model_name: str) -> str:
        return f"{REPORT_PREFIX}/{model_name}/latest.json"
