"""Scheduled-job handlers: real Scheduler / EventBridge payloads through the thin handlers."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from nabiyam.infra import scheduled
from nabiyam.infra.scheduled import ScheduledEventError, parse_event, run_scheduled_job

JOBS_DIR = Path(__file__).resolve().parents[2] / "functions" / "jobs"
SCHEDULER_EVENT = {"job": "daily_metrics", "scheduled_time": "2026-03-01T15:30:00Z",
                   "execution_id": "exec-1", "attempt": "2"}


def test_scheduler_payload_gives_the_korean_day_and_attempt() -> None:
    run = parse_event("daily_metrics", SCHEDULER_EVENT)
    assert run.source == "scheduler" and run.attempt == 2 and run.execution_id == "exec-1"
    assert run.kst_date.isoformat() == "2026-03-02"  # 15:30 UTC is 00:30 KST the next day


def test_classic_eventbridge_and_manual_events() -> None:
    classic = {"version": "0", "id": "abc", "detail-type": "Scheduled Event", "source": "aws.events",
               "time": "2026-03-01T00:00:00Z", "detail": {}}
    assert parse_event("weekly_report", classic).execution_id == "abc"
    manual = parse_event("retrain_trigger", {"date": "2026-02-01"})
    assert manual.source == "manual" and manual.kst_date.isoformat() == "2026-02-01"


@pytest.mark.parametrize("job, event, message", [
    ("nope", {}, "unknown job"),
    ("daily_metrics", [], "must be a JSON object"),
    ("daily_metrics", {"job": "weekly_report"}, "is for job 'weekly_report'"),
    ("daily_metrics", {"scheduled_time": "yesterday"}, "bad scheduled event"),
    ("daily_metrics", {"date": "2026-02-31"}, "bad scheduled event"),
])
def test_bad_events_are_clear_errors(job: str, event: Any, message: str) -> None:
    with pytest.raises(ScheduledEventError, match=message):
        parse_event(job, event)


def test_missing_job_module_is_reported_as_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(scheduled.JOB_MODULES, "daily_metrics", "nabiyam.jobs_that_do_not_exist.daily")
    result = run_scheduled_job("daily_metrics", SCHEDULER_EVENT)
    assert result["status"] == "not_built" and "not built yet" in result["message"]
    assert "result" not in result  # nothing invented


def test_job_module_is_called_with_the_parsed_run(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("nabiyam_test_job")
    calls: list[Any] = []
    module.run = lambda run: calls.append(run) or {"rows": 3}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nabiyam_test_job", module)
    monkeypatch.setitem(scheduled.JOB_MODULES, "daily_metrics", "nabiyam_test_job")
    result = run_scheduled_job("daily_metrics", SCHEDULER_EVENT)
    assert result["status"] == "ok" and result["result"] == {"rows": 3}
    assert calls[0].kst_date.isoformat() == "2026-03-02"


def test_missing_dependency_of_a_built_job_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "nabiyam_broken_job.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(scheduled.JOB_MODULES, "daily_metrics", "nabiyam_broken_job")
    with pytest.raises(ModuleNotFoundError):
        run_scheduled_job("daily_metrics", SCHEDULER_EVENT)


_RUNNER = """
import json, sys
sys.path.insert(0, {jobs_dir!r})
sys.path.insert(0, {probe_dir!r})
from nabiyam.infra import scheduled
scheduled.JOB_MODULES[{job!r}] = "nabiyam_probe_job"
from {job} import handler
class Ctx:
    function_name = "nabiyam-dev-job"; memory_limit_in_mb = 512; aws_request_id = "req-1"
    invoked_function_arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:nabiyam-dev-job"
print("RESULT " + json.dumps(handler(json.loads(sys.argv[1]), Ctx())))
"""

_PROBE = """
def run(run):
    return {"probe": run.job, "kst_date": run.kst_date.isoformat(), "attempt": run.attempt}
"""


@pytest.mark.parametrize("job", sorted(scheduled.JOB_MODULES))
def test_handlers_run_a_scheduler_event(job: str, tmp_path: Path) -> None:
    """The wiring in a fresh interpreter, as in Lambda: handler → core (a probe module standing in
    for the job's logic, so this test checks the handler, not the job), JSON logs, EMF metric."""
    (tmp_path / "nabiyam_probe_job.py").write_text(_PROBE)
    event = json.dumps({**SCHEDULER_EVENT, "job": job})
    code = _RUNNER.format(jobs_dir=str(JOBS_DIR), probe_dir=str(tmp_path), job=job)
    proc = subprocess.run([sys.executable, "-c", code, event], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    result = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])
    assert result["job"] == job and result["status"] == "ok"
    assert result["result"] == {"probe": job, "kst_date": "2026-03-02", "attempt": 2}
    logs = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(log.get("correlation_id") == "exec-1" and log.get("message") == "scheduled job started" for log in logs)
    emf = [log for log in logs if "_aws" in log]
    assert emf and emf[0]["JobRuns"] == [1.0] and emf[0]["job"] == job


@pytest.mark.parametrize("job", sorted(scheduled.JOB_MODULES))
def test_every_job_is_built_and_has_a_handler(job: str) -> None:
    """No job is left `not_built`: its core module imports and has `run`, and its thin handler exists."""
    import importlib

    module = importlib.import_module(scheduled.JOB_MODULES[job])
    assert callable(getattr(module, "run", None)), f"{scheduled.JOB_MODULES[job]} has no run(run)"
    assert (JOBS_DIR / f"{job}.py").exists(), f"functions/jobs/{job}.py is missing"


def test_cli_jobs_group_rejects_a_bad_date() -> None:
    proc = subprocess.run([sys.executable, "-m", "nabiyam.cli.main", "jobs", "export-logs", "--date", "2026-02-31"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "is not a date in the form YYYY-MM-DD" in proc.stderr
