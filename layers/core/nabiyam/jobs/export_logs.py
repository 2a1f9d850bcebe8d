"""Learning-data export job: one Korean day of conversations and feedback → the lake.

Scheduled at 00:10 Asia/Seoul (template.yaml ``ExportLogsFunction``), it exports the day
that just ended; ``nabiyam jobs export-logs --date D`` (or an event with ``date``) exports D.
A re-run replaces the day's partitions (same rows → identical bytes), so a retried
schedule or a manual re-export never duplicates a row.

Example::

    nabiyam jobs export-logs --date 2026-11-02
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nabiyam.infra.scheduled import ScheduledRun
from nabiyam.lake.export import export_day


def day_to_export(run: ScheduledRun) -> str:
    """The given day, else (a scheduled slot just after midnight) the Korean day before the slot."""
    return (run.day or run.kst_date - timedelta(days=1)).isoformat()


def run(run: ScheduledRun) -> dict[str, Any]:
    return export_day(day_to_export(run))
