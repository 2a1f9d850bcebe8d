"""Build the :class:`~dashboard_site.model.WeekReport` the weekly job renders.

Sources: the week's logged traffic (today the learning-data lake directly, see
:mod:`dashboard_site.from_lake`; the daily-metrics job's stored figures once it exists), the
week before it for the deltas, and the model registry for the AI-performance page
(:mod:`dashboard_site.sources`).

Example::

    report = load_week_report("2026-W45", get_settings())
"""

from __future__ import annotations

from datetime import date

from dashboard_site.from_lake import build_from_lake
from dashboard_site.model import WeekReport
from dashboard_site.sources import latest_comparisons, registry_events
from nabiyam.settings import Settings


class ReportDataMissing(LookupError):
    """There is no logged traffic for the week asked for."""


def load_week_report(week: str, settings: Settings) -> WeekReport:
    """The week's report; :class:`ReportDataMissing` names the week when nothing was logged."""
    report = build_from_lake(week, settings)
    if report is None:
        raise ReportDataMissing(f"no conversations are logged for {week} in the learning-data lake "
                                f"(bucket {settings.learning_data_bucket}): simulate traffic or run the export job first")
    ai = report.ai.model_copy(update={"registry": registry_events(settings, until=report.end),
                                      "comparisons": latest_comparisons(settings)})
    return report.model_copy(update={"ai": ai})


def available_weeks(settings: Settings) -> list[str]:
    """ISO weeks with logged conversations in the lake, oldest first."""
    from nabiyam.lake.reader import partitions

    weeks = {_week(d) for d in partitions("conversations", settings)}
    return sorted(weeks)


def _week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"
