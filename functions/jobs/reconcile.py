"""Reconcile (EventBridge Scheduler every 5 minutes, and the API log group's subscription filter
on spooled writes). Thin handler: the logic is nabiyam.jobs.reconcile."""

from typing import Any

from nabiyam.infra.scheduled import make_handler
from nabiyam.jobs.reconcile import replay_log_subscription

scheduled = make_handler("reconcile")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "awslogs" in event:
        return replay_log_subscription(event)
    return scheduled(event, context)
