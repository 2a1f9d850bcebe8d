"""The local story: simulated weeks → daily metrics → the site folder (``make site`` / ``make run``).

:func:`ensure_traffic` simulates the world's people using the service for the given days
unless the local stack's lake already holds them (the simulator's data is in the moto
server, not in a file, so the stack itself is asked); :func:`ensure_daily_metrics` runs the
daily-metrics job for each day that has no stored metrics (when that job exists);
:func:`build_site` renders every week into a folder with the site bucket's layout.

Example::

    ensure_traffic(Path("var/world-small"), date(2026, 11, 2), days=14, per_day=40, settings=s)
    ensure_daily_metrics(date(2026, 11, 2), 14, s)
    build_site(Path("var/site"), s)
"""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

from dashboard_site.from_metrics import available_weeks, load_week_report
from dashboard_site.publish import LocalSite, PublishedWeek, publish_week
from nabiyam.settings import Settings

DAILY_METRICS_JOB = "nabiyam.jobs.daily_metrics"


def _days(start: date, days: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(days)]


def ensure_traffic(world: Path, start: date, *, days: int, per_day: int, settings: Settings, seed: int = 7,
                   out: Path = Path("var/sim/dashboard")) -> bool:
    """Simulate ``days`` from ``start`` unless the lake already has them; True when it simulated."""
    from nabiyam.lake.reader import partitions
    from nabiyam.simulate import Scenario, SimConfig, simulate

    have = set(partitions("conversations", settings))
    if all(d in have for d in _days(start, days)):
        return False
    simulate(SimConfig(world=world, days=days, start=start, out=out, per_day=per_day, scenario=Scenario("steady"),
                       seed=seed, progress=True))
    return True


def ensure_daily_metrics(start: date, days: int, settings: Settings) -> list[str]:
    """Run the daily-metrics job for each day without stored metrics; returns the days it ran.

    Nothing runs while that job is not built (the site then counts from the lake and says so).
    """
    if importlib.util.find_spec(DAILY_METRICS_JOB) is None:
        return []
    from nabiyam.infra.scheduled import run_scheduled_job
    from nabiyam.metrics.model import read_day

    ran = []
    for d in _days(start, days):
        if read_day(d, settings).global_ is None:
            run_scheduled_job("daily_metrics", {"date": d.isoformat()})
            ran.append(d.isoformat())
    return ran


def build_site(out: Path, settings: Settings, weeks: list[str] | None = None) -> list[PublishedWeek]:
    """Render ``weeks`` (default: every week with logged traffic) into the site folder ``out``."""
    site = LocalSite(out)
    work = out.parent / (out.name + ".work")
    return [publish_week(load_week_report(week, settings), site, work_dir=work)
            for week in (weeks or available_weeks(settings))]
