"""The DailyMetrics table (PK ``day`` YYYY-MM-DD, SK ``scope``): one item per day and scope.

Scopes name what was measured: ``global``, ``variant#<name>``, ``model#<name>#<version>``.
A recomputed day overwrites its item (the job is idempotent by construction).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from nabiyam.settings import Settings, get_settings
from nabiyam.storage.dynamo import TableRepository


class DailyMetric(BaseModel):
    day: str = Field(description="YYYY-MM-DD (Asia/Seoul)")
    scope: str = "global"
    metrics: dict[str, Any] = Field(default_factory=dict)
    computed_at: str | None = None

    @field_validator("day")
    @classmethod
    def _iso_day(cls, v: str) -> str:
        date.fromisoformat(v)  # raises ValueError naming the bad value
        return v


class DailyMetricsRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.repo = TableRepository(self.settings.daily_metrics_table, DailyMetric, hash_key="day", range_key="scope",
                                    settings=self.settings)

    def put(self, metric: DailyMetric) -> None:
        self.repo.put(metric)

    def put_many(self, metrics: Iterable[DailyMetric]) -> int:
        return self.repo.batch_put(metrics)

    def get(self, day: date | str, scope: str = "global") -> DailyMetric | None:
        return self.repo.get(str(day), scope)

    def for_day(self, day: date | str) -> list[DailyMetric]:
        return list(self.repo.query(str(day)))

    def series(self, start: date, end: date, scope: str = "global") -> list[DailyMetric]:
        """Stored metrics of ``scope`` for start..end inclusive, oldest first (missing days skipped)."""
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        if (end - start).days > 366:
            raise ValueError("a series spans at most 366 days")
        out = []
        for offset in range((end - start).days + 1):
            found = self.get(start + timedelta(days=offset), scope)
            if found is not None:
                out.append(found)
        return out


def replace_day(repo: DailyMetricsRepository, day: date | str, metrics: Iterable[DailyMetric]) -> dict[str, int]:
    """Make ``metrics`` the day's only items: write them, then delete the day's other scopes
    (a scope that disappeared since the last run, e.g. a model version no longer served).
    A re-run with the same input leaves exactly the same items: nothing double counts."""
    items = list(metrics)
    if any(m.day != str(day) for m in items):
        raise ValueError(f"replace_day({day}) was given items of another day")
    keep = {m.scope for m in items}
    written = repo.put_many(items) if items else 0
    stale = [m.scope for m in repo.for_day(day) if m.scope not in keep]
    for scope in stale:
        repo.repo.delete(str(day), scope)
    return {"written": written, "deleted": len(stale)}
