"""Retrain trigger (EventBridge Scheduler, 02:00 KST). Thin handler: the logic is nabiyam.jobs.retrain_trigger."""

from nabiyam.infra.scheduled import make_handler

handler = make_handler("retrain_trigger")
