"""Nothing accepted is lost (issue 17): the durable spool, the dependency guard, and the reconcile
job that stores spooled writes and runs ``export_pending`` — through the real Lambda handler with
a Scheduler event and with a CloudWatch Logs subscription delivery, against the moto server."""

from __future__ import annotations

import base64
import gzip
import json
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nabiyam.domain.hours import KST
from nabiyam.resilience import Dependency, NotAttempted, OutcomeUnknown, request_budget
from nabiyam.storage.conversations import ConversationRecord, ConversationStore, DurableConversationLog
from nabiyam.storage.feedback import FeedbackRecord, FeedbackStore
from nabiyam.storage.spool import Spool

JOBS_DIR = Path(__file__).resolve().parents[2] / "functions" / "jobs"


def _conversation(i: int, day: str) -> ConversationRecord:
    return ConversationRecord(conversation_id=f"c_spool_{i}", user_id="u_spool", created_at=f"{day}T12:00:00.000+09:00",
                              day=day, message="떡볶이 먹고 싶어", intent="FOOD_RECOMMENDATION", nlu_confidence=0.9,
                              response="떡볶이 가게를 찾았어요!", template="recommendations", result_count=1,
                              shown=[{"shop_id": "S001", "position": 1}], variant="control")


def _feedback(event_id: str, day: str, conversation_id: str = "c_spool_0") -> FeedbackRecord:
    return FeedbackRecord(event_id=event_id, kind="response", conversation_id=conversation_id, user_id="u_spool",
                          created_at=f"{day}T12:01:00.000+09:00", day=day, feedback="like", satisfaction=5,
                          payload_hash="h-" + event_id)


# --------------------------------------------------------------------------- spool


def test_spool_survives_a_new_process_and_drains_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append("conversations", "c1", {"conversation_id": "c1"}, announce=False)
    spool.append("feedback", "e1", {"event_id": "e1"}, announce=False)
    reopened = Spool(tmp_path)  # another process: only the files
    assert reopened.find("conversations", "c1") == {"conversation_id": "c1"}
    assert [e.key for e in reopened.pending("feedback")] == ["e1"]
    with pytest.raises(RuntimeError):
        with reopened.draining("conversations") as entries:
            assert [e.key for e in entries] == ["c1"]
            raise RuntimeError("the table is still down")
    assert reopened.find("conversations", "c1") is not None  # a failed drain keeps everything
    spool.append("conversations", "c2", {"conversation_id": "c2"}, announce=False)  # while a drain file exists
    with reopened.draining("conversations") as entries:
        assert sorted(e.key for e in entries) == ["c1", "c2"]
    assert reopened.pending("conversations") == [] and reopened.find("conversations", "c1") is None
    with pytest.raises(ValueError, match="unknown spool kind"):
        spool.append("secrets", "x", {})


def test_concurrent_appends_and_a_drain_lose_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    seen: list[str] = []

    def writer(n: int) -> None:
        for i in range(50):
            Spool(tmp_path).append("feedback", f"e{n}-{i}", {"i": i}, announce=False)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for _ in range(5):  # drains racing the writers
        with spool.draining("feedback") as entries:
            seen += [e.key for e in entries]
    for t in threads:
        t.join()
    with spool.draining("feedback") as entries:
        seen += [e.key for e in entries]
    assert sorted(seen) == sorted(f"e{n}-{i}" for n in range(4) for i in range(50))


# --------------------------------------------------------------------------- dependency guard


def test_guard_deadline_bulkhead_and_breaker() -> None:
    dep = Dependency("slow", concurrency=2, failures_to_open=2, cooldown_s=0.3)
    release = threading.Event()
    assert dep.call(lambda: 7) == 7  # outside a request: direct
    with request_budget(0.2):
        with pytest.raises(OutcomeUnknown):
            dep.call(release.wait, 5)  # sent, no answer within the budget
    with request_budget(5):
        started = time.monotonic()
        with pytest.raises(OutcomeUnknown):
            dep.call(release.wait, 5, timeout=0.1)
        assert time.monotonic() - started < 1.0
        assert dep.status().state == "open"  # two outages in a row
        with pytest.raises(NotAttempted, match="circuit open"):
            dep.call(lambda: 1)
    release.set()
    time.sleep(0.4)  # the stuck calls finished (successfully): the breaker closed again
    with request_budget(5):
        assert dep.call(lambda: 2) == 2
        gate = threading.Event()

        def hold() -> None:
            with request_budget(5):  # each request thread has its own budget
                dep.call(gate.wait, 5)

        holders = [threading.Thread(target=hold) for _ in range(2)]
        for h in holders:
            h.start()
        time.sleep(0.1)
        with pytest.raises(NotAttempted, match="saturated"):
            dep.call(lambda: 3)  # the bulkhead is full: fail fast, never queue
        gate.set()
        for h in holders:
            h.join()
    with request_budget(0.01):
        time.sleep(0.02)
        with pytest.raises(NotAttempted, match="no time left"):
            dep.call(lambda: 4)


# --------------------------------------------------------------------------- durable log + reconcile


def test_durable_log_spools_on_outage_and_serves_reads(clean_stack: Any, tmp_path: Path) -> None:
    store = ConversationStore()
    spool = Spool(tmp_path)
    down = Dependency("dynamodb-down", failures_to_open=1, cooldown_s=60)
    with request_budget(1), pytest.raises(OutcomeUnknown):
        down.call(time.sleep, 2)  # opens the breaker
    log = DurableConversationLog(store, spool, down)
    record = _conversation(1, "2026-11-30")
    with request_budget(1):
        with pytest.raises(Exception, match="spooled"):
            log.put(record)
        assert log.get(record.conversation_id) == record  # from the spool, the table is "down"
    assert store.get(record.conversation_id) is None
    up = DurableConversationLog(store, spool, Dependency("dynamodb-up"))
    assert up.get(record.conversation_id) == record  # table says none yet: the spool answers
    assert store.reconcile(spool) == ["2026-11-30"]
    assert store.get(record.conversation_id) == record and spool.pending("conversations") == []


def _run_handler(event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """functions/jobs/reconcile.py in a fresh interpreter, as Lambda runs it."""
    import os
    import subprocess

    code = (f"import json, sys; sys.path.insert(0, {str(JOBS_DIR)!r}); from reconcile import handler\n"
            "class Ctx:\n"
            "    function_name = 'nabiyam-dev-reconcile'; memory_limit_in_mb = 1024; aws_request_id = 'req-r'\n"
            "    invoked_function_arn = 'arn:aws:lambda:ap-northeast-2:123456789012:function:nabiyam-dev-reconcile'\n"
            "print('RESULT ' + json.dumps(handler(json.loads(sys.argv[1]), Ctx())))")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(event)], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[7:])


def test_scheduled_reconcile_stores_spooled_writes_and_exports_pending(clean_stack: Any, tmp_path: Path) -> None:
    today = datetime.now(KST).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    conversations, feedback = ConversationStore(), FeedbackStore()
    conversations.put(_conversation(0, yesterday))
    # An event stored whose S3 copy failed on the request path (export_pending's job) ...
    lost_copy = _feedback("evt-lost-copy-1", yesterday)
    assert feedback.put_if_absent(lost_copy) and not feedback.is_exported(lost_copy)
    # ... a turn and an event that only reached the spool ...
    spool = Spool(tmp_path / "spool")
    spool.append("conversations", "c_spool_1", _conversation(1, yesterday).model_dump(mode="json"), announce=False)
    queued = _feedback("evt-queued-0001", yesterday, "c_spool_1")
    spool.append("feedback", queued.event_id, queued.model_dump(mode="json"), announce=False)
    # ... and a queued event whose original put landed after all (the same id: stored once).
    landed = _feedback("evt-landed-0001", yesterday)
    assert feedback.put_if_absent(landed)
    spool.append("feedback", landed.event_id, landed.model_dump(mode="json"), announce=False)

    scheduler = {"job": "reconcile", "scheduled_time": datetime.now(KST).isoformat(), "execution_id": "exec-r1",
                 "attempt": "1"}
    result = _run_handler(scheduler, {"NABIYAM_SPOOL_DIR": str(tmp_path / "spool")})
    assert result["status"] == "ok", result
    summary = result["result"]
    assert summary["conversations_stored"] == 1
    assert summary["feedback"] == {"stored": 1, "already_stored": 1, "conflicts": 0}
    assert summary["lake_days_rewritten"] == [yesterday]
    assert conversations.get("c_spool_1") is not None
    for event_id in ("evt-lost-copy-1", "evt-queued-0001", "evt-landed-0001"):
        stored = feedback.get(event_id)
        assert stored is not None and feedback.is_exported(stored), event_id
    assert feedback.pending_exports(yesterday) == []
    assert Spool(tmp_path / "spool").pending("feedback") == []
    again = _run_handler(scheduler, {"NABIYAM_SPOOL_DIR": str(tmp_path / "spool")})["result"]
    assert again["conversations_stored"] == 0 and again["feedback"]["stored"] == 0  # a retried run is a no-op


def test_log_subscription_delivery_is_replayed(clean_stack: Any, tmp_path: Path) -> None:
    """The AWS path: the API's spool log line, delivered by the subscription filter, is stored."""
    day = datetime.now(KST).date().isoformat()
    record = _conversation(7, day)
    line = {"level": "WARNING", "message": "write spooled for reconciliation", "spool": "conversations",
            "spool_key": record.conversation_id, "record": record.model_dump(mode="json")}
    payload = {"messageType": "DATA_MESSAGE", "logGroup": "/aws/lambda/nabiyam-dev-api",
               "logEvents": [{"id": "1", "timestamp": 0, "message": json.dumps(line, ensure_ascii=False)},
                             {"id": "2", "timestamp": 0, "message": "START RequestId: x"}]}
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}
    result = _run_handler(event, {"NABIYAM_SPOOL_DIR": str(tmp_path / "lambda-tmp")})
    assert result["entries"] == 1 and result["conversations_stored"] == 1
    assert ConversationStore().get(record.conversation_id) == record


def test_reconcile_runs_on_a_schedule_in_the_template() -> None:
    from nabiyam.infra.scheduled import JOB_MODULES
    from nabiyam.infra.template import load_template

    resources = load_template()["Resources"]
    fn = resources["ReconcileFunction"]["Properties"]
    schedule = next(iter(fn["Events"].values()))
    assert schedule["Type"] == "ScheduleV2" and schedule["Properties"]["ScheduleExpression"].startswith("rate(")
    assert json.loads(schedule["Properties"]["Input"])["job"] == "reconcile"
    assert fn["Handler"] == "reconcile.handler" and JOB_MODULES["reconcile"] == "nabiyam.jobs.reconcile"
    subscription = resources["ApiSpoolSubscription"]["Properties"]
    assert subscription["LogGroupName"] == {"Ref": "ApiFunctionLogs"} and "spool" in subscription["FilterPattern"]
