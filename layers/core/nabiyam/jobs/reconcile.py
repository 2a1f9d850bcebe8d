"""Reconcile job: nothing accepted is lost.

Every 5 minutes (template.yaml ``ReconcileFunction``) and on demand
(``nabiyam jobs reconcile [--date D]``):

1. drains the durable spool (`nabiyam.storage.spool`): conversation turns whose log write
   missed the table are stored (a plain put — replays are idempotent); feedback events whose
   put had no answer in time are stored with the same idempotent put on the event id and
   exported to S3;
2. runs ``FeedbackService.export_pending`` for the run's Korean day and the day before, so
   every stored feedback event has its S3 learning-data copy (a copy that failed on the
   request path is redone here);
3. rewrites the lake partition (`nabiyam.lake.export.export_day`) of any *past* day that
   received reconciled turns or events, so the daily export that already ran is complete.

In AWS the spool's log lines reach the same code through a CloudWatch Logs subscription on
the API function's log group (:func:`replay_log_subscription`).

Example::

    nabiyam jobs reconcile --date 2026-11-30
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import date, timedelta
from typing import Any

from nabiyam.feedback.service import FeedbackService
from nabiyam.infra.scheduled import ScheduledRun
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.conversations import ConversationStore
from nabiyam.storage.feedback import FeedbackStore
from nabiyam.storage.spool import Spool, log_entries

logger = get_logger("reconcile")


def reconcile(today: date, settings: Settings | None = None, *, spool: Spool | None = None,
              relake: bool = True) -> dict[str, Any]:
    """Drain the spool, export pending feedback copies, refresh past lake partitions."""
    settings = settings or get_settings()
    spool = spool or Spool(settings.spool_path)
    conversations = ConversationStore(settings)
    feedback = FeedbackService(FeedbackStore(settings), conversations, spool=spool)
    conversation_days = conversations.reconcile(spool)
    counts = feedback.reconcile(spool)
    pending_days = sorted({today.isoformat(), (today - timedelta(days=1)).isoformat()})
    exported = {day: feedback.export_pending(day) for day in pending_days}
    touched = sorted({d for d in conversation_days if d < today.isoformat()})
    lake: list[str] = []
    if relake and touched:
        from nabiyam.lake.export import export_day

        for day in touched:
            export_day(day, settings)
            lake.append(day)
    return {"conversations_stored": len(conversation_days), "feedback": counts,
            "feedback_copies_exported": exported, "lake_days_rewritten": lake}


def run(run: ScheduledRun) -> dict[str, Any]:
    return reconcile(run.kst_date)


def replay_log_subscription(event: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """A CloudWatch Logs subscription delivery (``{"awslogs": {"data": <base64 gzip>}}``) of the
    API's ``"spool"`` log lines → the spool → stored like a scheduled run (without the lake step)."""
    settings = settings or get_settings()
    payload = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    lines = []
    for log_event in payload.get("logEvents", []):
        try:
            data = json.loads(log_event.get("message", ""))
        except ValueError:
            continue
        if isinstance(data, dict):
            lines.append(data)
    entries = log_entries(lines)
    spool = Spool(settings.spool_path)
    for entry in entries:
        spool.append(entry.kind, entry.key, entry.record, announce=False)
    from nabiyam import clock

    result = reconcile(clock.now().date(), settings, spool=spool, relake=False)
    logger.info("replayed spooled writes from the API log", extra={"entries": len(entries), "result": result})
    return {"entries": len(entries), **result}
