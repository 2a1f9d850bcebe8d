"""Scheduled jobs: parse the EventBridge event, then run the job's core function.

The handlers in ``functions/jobs/`` are thin: they call :func:`run_scheduled_job`. A job's
logic lives in ``nabiyam.jobs.<job>`` as ``run(run: ScheduledRun) -> dict``; until that
module exists the run is logged and reported as ``not_built`` (no metrics are invented).

Accepted events: the Scheduler payload set in template.yaml (``scheduled_time``,
``execution_id``, ``attempt``), a classic EventBridge "Scheduled Event" (``time``, ``id``),
or a manual run (``{"date": "YYYY-MM-DD"}``, from `nabiyam jobs ... --date`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from nabiyam.domain.hours import KST, to_kst
from nabiyam.observability import get_logger

logger = get_logger("scheduled")

#: job name → module with ``run(run: ScheduledRun) -> dict``. The CLI (`nabiyam jobs <name>`,
#: dashes for underscores) and the Lambda handlers (``make_handler``) both read this table.
JOB_MODULES: dict[str, str] = {
    "daily_metrics": "nabiyam.jobs.daily_metrics",
    "weekly_report": "nabiyam.jobs.weekly_report",
    "retrain_trigger": "nabiyam.jobs.retrain_trigger",
    "export_logs": "nabiyam.jobs.export_logs",
    "reconcile": "nabiyam.jobs.reconcile",
}


class ScheduledEventError(ValueError):
    """The event is not one a scheduled job understands."""


class ScheduledRun(BaseModel):
    job: str
    scheduled_time: datetime
    execution_id: str | None = None
    attempt: int = 1
    day: date | None = None
    week: str | None = None
    source: str
    params: dict[str, Any] = {}

    @property
    def kst_date(self) -> date:
        """The Korean calendar day of the scheduled slot (jobs decide which day they cover)."""
        return self.day or to_kst(self.scheduled_time).date()


def parse_event(job: str, event: Any, now: datetime | None = None) -> ScheduledRun:
    if job not in JOB_MODULES:
        raise ScheduledEventError(f"unknown job {job!r}; known: {', '.join(JOB_MODULES)}")
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise ScheduledEventError(f"a scheduled event must be a JSON object, got {type(event).__name__}")
    if event.get("job") not in (None, job):
        raise ScheduledEventError(f"event is for job {event['job']!r}, this handler runs {job!r}")
    try:
        if "scheduled_time" in event:
            return ScheduledRun(job=job, scheduled_time=event["scheduled_time"], execution_id=event.get("execution_id"),
                                attempt=int(event.get("attempt") or 1), day=event.get("date"), week=event.get("week"),
                                source="scheduler")
        if event.get("detail-type") == "Scheduled Event":
            return ScheduledRun(job=job, scheduled_time=event["time"], execution_id=event.get("id"),
                                day=event.get("date"), source="eventbridge")
        params = {k: v for k, v in event.items() if k not in ("job", "date", "week")}
        return ScheduledRun(job=job, scheduled_time=now or datetime.now(KST), day=event.get("date"),
                            week=event.get("week"), source="manual", params=params)
    except (ValidationError, ValueError, KeyError) as exc:
        raise ScheduledEventError(f"bad scheduled event for {job}: {exc}") from exc


def run_scheduled_job(job: str, event: Any) -> dict[str, Any]:
    """Run ``job`` for ``event``; returns a JSON-serialisable summary."""
    run = parse_event(job, event)
    summary: dict[str, Any] = {"job": job, "scheduled_time": run.scheduled_time.isoformat(),
                               "kst_date": run.kst_date.isoformat(), "attempt": run.attempt, "source": run.source}
    logger.info("scheduled job started", extra=summary)
    module_name = JOB_MODULES[job]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not exc.name or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise  # a dependency of the job is missing: a real failure, let it alarm
        message = f"job {job} is not built yet ({module_name} does not exist); nothing was computed"
        logger.warning(message, extra=summary)
        return {**summary, "status": "not_built", "message": message}
    result = module.run(run)
    logger.info("scheduled job finished", extra={**summary, "result": result})
    return {**summary, "status": "ok", "result": result}


def make_handler(job: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of one scheduled job: Powertools logging + EMF metrics around
    :func:`run_scheduled_job`. Every ``functions/jobs/<job>.py`` is one line over this.

    Example (``functions/jobs/daily_metrics.py``)::

        from nabiyam.infra.scheduled import make_handler

        handler = make_handler("daily_metrics")
    """
    if job not in JOB_MODULES:
        raise ScheduledEventError(f"unknown job {job!r}; known: {', '.join(JOB_MODULES)}")
    from aws_lambda_powertools.metrics import MetricUnit

    from nabiyam.observability import logger as root_logger
    from nabiyam.observability import metrics

    @root_logger.inject_lambda_context(correlation_id_path="execution_id || id", log_event=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = run_scheduled_job(job, event)
        metrics.add_dimension(name="job", value=job)
        metrics.add_metric(name="JobRuns", unit=MetricUnit.Count, value=1)
        return result

    handler.__name__ = f"{job}_handler"
    handler.__doc__ = f"Scheduled job {job!r} (EventBridge Scheduler payload → {JOB_MODULES[job]}.run)."
    return handler
