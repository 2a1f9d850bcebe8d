"""Learning-data export (EventBridge Scheduler, 00:10 KST). Thin handler: the logic is nabiyam.jobs.export_logs."""

from nabiyam.infra.scheduled import make_handler

handler = make_handler("export_logs")
