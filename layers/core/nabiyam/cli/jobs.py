"""`nabiyam jobs <job> --date YYYY-MM-DD`: run a scheduled job by hand, locally or in a shell.

The same code path as the Lambda handler (``nabiyam.infra.scheduled.run_scheduled_job`` with a
manual event), so a job that works here works on its EventBridge schedule. One subcommand per
entry of ``JOB_MODULES`` (underscores become dashes): ``daily-metrics``, ``weekly-report``,
``retrain-trigger``, ``export-logs``, …

Example::

    nabiyam jobs export-logs --date 2026-11-02
    nabiyam jobs weekly-report --week 2026-W45
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _iso_day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def _iso_week(text: str) -> str:
    match = _WEEK.match(text)
    try:
        if not match:
            raise ValueError
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO week in the form YYYY-Www (e.g. 2026-W45)") from None
    return text


def register(sub: argparse._SubParsersAction) -> None:
    from nabiyam.infra.scheduled import JOB_MODULES

    parser = sub.add_parser("jobs", help="run a scheduled job by hand (the Lambda handlers' code)",
                            description="Run one scheduled job for a given day, exactly as its schedule would.")
    jobs = parser.add_subparsers(dest="job", required=True, metavar="JOB")
    for name in JOB_MODULES:
        cmd = jobs.add_parser(name.replace("_", "-"), help=f"the {name} job ({JOB_MODULES[name]})")
        cmd.add_argument("--date", type=_iso_day, default=None,
                         help="the Korean (Asia/Seoul) day to run for, YYYY-MM-DD (default: the job's own choice)")
        cmd.add_argument("--week", type=_iso_week, default=None, help="an ISO week YYYY-Www (weekly jobs)")
        cmd.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                         help="an extra event field for the job (repeatable)")
        cmd.set_defaults(func=run, job_name=name)


def run(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.infra.scheduled import ScheduledEventError, run_scheduled_job

    event: dict[str, object] = {}
    if args.date:
        event["date"] = args.date
    if args.week:
        event["week"] = args.week
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--param {item!r} must look like KEY=VALUE")
        event[key] = value
    try:
        result = run_scheduled_job(args.job_name, event)
    except ScheduledEventError as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0 if result.get("status") == "ok" else 1
