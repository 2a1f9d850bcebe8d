"""Daily quality metrics (EventBridge Scheduler, 00:30 KST). Thin handler: the logic is nabiyam.jobs.daily_metrics."""

from nabiyam.infra.scheduled import make_handler

handler = make_handler("daily_metrics")
