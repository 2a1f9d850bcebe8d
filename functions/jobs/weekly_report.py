"""Weekly dashboard + Slack report (EventBridge Scheduler, Monday 09:00 KST). Thin handler: the logic is nabiyam.jobs.weekly_report."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from nabiyam.infra.scheduled import run_scheduled_job
from nabiyam.observability import logger, metrics

JOB = "weekly_report"


@logger.inject_lambda_context(correlation_id_path="execution_id || id", log_event=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = run_scheduled_job(JOB, event)
    metrics.add_dimension(name="job", value=JOB)
    metrics.add_metric(name="JobRuns", unit=MetricUnit.Count, value=1)
    return result
