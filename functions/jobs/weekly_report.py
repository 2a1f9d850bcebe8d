"""Weekly dashboard + Slack report (EventBridge Scheduler, Monday 09:00 KST). Thin handler: the logic is nabiyam.jobs.weekly_report."""

from nabiyam.infra.scheduled import make_handler

handler = make_handler("weekly_report")
