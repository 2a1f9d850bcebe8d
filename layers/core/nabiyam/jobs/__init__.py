"""Scheduled jobs' core logic: one module per job, each with ``run(run: ScheduledRun) -> dict``.

The thin Lambda handlers in ``functions/jobs/`` (``nabiyam.infra.scheduled.make_handler``) and
the CLI (``nabiyam jobs <job>``) both dispatch here through ``nabiyam.infra.scheduled.JOB_MODULES``.
"""
