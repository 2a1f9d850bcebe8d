"""Fault injection: the AWS endpoint stalls (the moto server this test starts is SIGSTOPped for
longer than the API function's timeout, SIGCONT in a ``finally``) while real HTTP traffic hits
the real app under uvicorn.

What must hold (issue 17):

- ``/chat`` answers within the function's timeout, marked ``degraded: [conversation_log_spooled]``;
- ``/feedback`` answers 503 quickly with nothing stored, or 202 ``queued`` with the event kept
  durably — never a 503 for an event that is stored afterwards;
- ``/recommendations`` (no AWS) and ``/health`` stay fast while the stalled calls fill the
  dependency's bulkhead; ``/health`` says ``degraded`` within 3 s of the stall;
- after the stall, feedback on a turn answered during it is accepted (the spool serves the
  lookup), and after the reconcile job every answered conversation and every accepted event is
  in DynamoDB and S3.

The function timeout is 3 s here (``NABIYAM_API_TIMEOUT_S``, the same variable the template
sets), so the stall needs seconds, not the production 10 s. The latency bounds are generous
multiples of the budget (the point is "bounded by the budget", not a benchmark): a request that
waited on the stalled endpoint, as on today's code, takes the whole stall (≥ 4 s).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import AT, CONTEXT, start_live_server, stop_live_server

API_TIMEOUT_S = 3.0
STALL_S = API_TIMEOUT_S + 1.5  # longer than the function's timeout
FAST_S = 1.5  # /recommendations while the stall lasts (normally ~30 ms)
HEALTH_S = 2.5  # /health while the stall lasts: one probe timeout (0.5 s) and slack for a busy 2-core machine


@pytest.fixture()
def stalled_world(api_runtime: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A moto server of our own (so stopping it harms no other test) and the app pointed at it."""
    from nabiyam import aws
    from nabiyam.api import create_app
    from nabiyam.infra.local_stack import provision_stack, start_server, stop_process
    from nabiyam.settings import Settings, get_settings

    proc, endpoint = start_server(log_path=tmp_path / "moto.log")
    try:
        provision_stack(endpoint, Settings(state_dir=tmp_path, region="ap-northeast-2", stage="dev"), stage="dev")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("NABIYAM_API_TIMEOUT_S", str(API_TIMEOUT_S))
        monkeypatch.setenv("NABIYAM_ANSWER_RESERVE_S", "1.0")
        monkeypatch.setenv("NABIYAM_SPOOL_DIR", str(tmp_path / "spool"))
        get_settings.cache_clear()
        aws.reset_clients()
        settings = get_settings()
        live = start_live_server(create_app(api_runtime, settings))
        try:
            yield {"live": live, "pid": proc.pid, "settings": settings, "endpoint": endpoint}
        finally:
            stop_live_server(live)
    finally:
        os.kill(proc.pid, signal.SIGCONT)  # never leave it stopped, whatever happened
        stop_process(proc.pid)
        get_settings.cache_clear()
        aws.reset_clients()


def _chat(client: httpx.Client, user: str, message: str = "만원으로 치킨 먹을 수 있는 곳 있어?") -> httpx.Response:
    return client.post("/chat", json={"user_id": user, "message": message, "context": {**CONTEXT, "at": AT}})


def _like(client: httpx.Client, user: str, conversation_id: str) -> tuple[str, httpx.Response]:
    event_id = f"evt-{uuid.uuid4().hex[:16]}"
    return event_id, client.post("/feedback", json={"event_id": event_id, "conversation_id": conversation_id,
                                                    "user_id": user, "feedback": "like", "satisfaction": 5})


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.monotonic()
    result = fn(*args)
    return time.monotonic() - started, result


@pytest.mark.xdist_group("faults")
def test_stalled_aws_keeps_answers_honest_and_loses_nothing(stalled_world: dict[str, Any]) -> None:
    from nabiyam.jobs.reconcile import reconcile
    from nabiyam.storage.conversations import ConversationStore
    from nabiyam.storage.feedback import FeedbackStore

    live, pid, settings = stalled_world["live"], stalled_world["pid"], stalled_world["settings"]
    client = httpx.Client(base_url=live.base_url, timeout=30.0)
    answered: dict[str, str] = {}  # conversation_id → user
    accepted: list[str] = []  # event ids answered 200/202
    refused: list[str] = []  # event ids answered 503

    # Warm (the first request builds the services, as a Lambda init would) and healthy.
    deadline = time.monotonic() + 15  # bounded: a cold, busy machine may miss the first probe
    while set((health := client.get("/health").json())["stack"].values()) != {"ok"}:
        assert time.monotonic() < deadline, health  # (the rules-only NLU is a degradation of its own)
        time.sleep(0.3)
    # Before the stall: one turn whose conversation the feedback service has cached, one it has not.
    first = _chat(client, "u_fault_1")
    assert first.status_code == 200 and first.json()["degraded"] == []
    cached_conv = first.json()["conversation_id"]
    answered[cached_conv] = "u_fault_1"
    event_id, r = _like(client, "u_fault_1", cached_conv)
    assert r.status_code == 200 and r.json()["status"] == "stored"
    accepted.append(event_id)
    second = _chat(client, "u_fault_2")
    uncached_conv = second.json()["conversation_id"]
    answered[uncached_conv] = "u_fault_2"

    health_marks: list[tuple[float, str, float]] = []
    chats: list[tuple[float, httpx.Response]] = []
    feedback: list[tuple[float, str, str, httpx.Response]] = []
    recs: list[float] = []
    stop = threading.Event()

    def poll_health(started: float) -> None:
        with httpx.Client(base_url=live.base_url, timeout=30.0) as c:
            while not stop.is_set():
                took, resp = _timed(c.get, "/health")
                body = resp.json()
                stack_down = body["status"] == "degraded" and any(v != "ok" for v in body["stack"].values())
                health_marks.append((time.monotonic() - started, "stack-degraded" if stack_down else body["status"],
                                     took))
                time.sleep(0.1)

    def one_chat(i: int) -> None:
        with httpx.Client(base_url=live.base_url, timeout=30.0) as c:
            chats.append(_timed(_chat, c, f"u_fault_c{i}"))

    def one_feedback(user: str, conv: str) -> None:
        with httpx.Client(base_url=live.base_url, timeout=30.0) as c:
            took, (eid, resp) = _timed(_like, c, user, conv)
            feedback.append((took, eid, conv, resp))

    os.kill(pid, signal.SIGSTOP)
    stalled_at = time.monotonic()
    try:
        poller = threading.Thread(target=poll_health, args=(stalled_at,), daemon=True)
        poller.start()
        # First, alone: a feedback whose put is sent and never answered (it may land later) → 202 queued.
        took, (solo_id, solo) = _timed(_like, client, "u_fault_1", cached_conv)
        assert solo.status_code == 202 and solo.json()["status"] == "queued", solo.text
        assert took < API_TIMEOUT_S, took
        accepted.append(solo_id)
        with ThreadPoolExecutor(max_workers=16) as pool:
            # A burst larger than the bulkhead (8 in flight per dependency) ...
            jobs = [pool.submit(one_chat, i) for i in range(12)]
            jobs += [pool.submit(one_feedback, "u_fault_1", cached_conv) for _ in range(3)]
            jobs += [pool.submit(one_feedback, "u_fault_2", uncached_conv) for _ in range(2)]
            # ... while requests that need no AWS keep coming.
            with httpx.Client(base_url=live.base_url, timeout=30.0) as c:
                for _ in range(8):
                    took, resp = _timed(lambda: c.get("/recommendations", params={
                        "user_id": "u_fault_r", "district": "관악구", "at": AT}))
                    assert resp.status_code == 200, resp.text
                    recs.append(took)
                    time.sleep(0.2)
            for job in jobs:
                job.result()
        time.sleep(max(0.0, STALL_S - (time.monotonic() - stalled_at)))
        stop.set()
        poller.join(timeout=10)
        stall_seen = time.monotonic() - stalled_at
    finally:
        stop.set()
        os.kill(pid, signal.SIGCONT)
    assert stall_seen >= API_TIMEOUT_S  # the endpoint really was gone longer than the function may run

    # /chat: answered within the function's timeout, degraded and marked.
    assert len(chats) == 12
    for took, resp in chats:
        assert resp.status_code == 200, resp.text
        assert took < API_TIMEOUT_S, took
        body = resp.json()
        assert body["degraded"] == ["conversation_log_spooled"], body["degraded"]
        assert body["response"]
        answered[body["conversation_id"]] = _user_of(resp)

    # /feedback: 503 quickly (nothing stored) or 202 queued — and within the budget.
    assert len(feedback) == 5
    for took, eid, conv, resp in feedback:
        assert took < API_TIMEOUT_S, (took, resp.status_code)
        assert resp.status_code in (202, 503), resp.text
        if resp.status_code == 503:
            assert resp.headers.get("Retry-After")
            assert "nothing was stored" in resp.json()["error"]["message"]
            refused.append(eid)
        else:
            assert resp.json()["status"] == "queued"
            accepted.append(eid)
    # The turn not in the feedback service's cache cannot be checked while the table is gone: 503.
    assert all(resp.status_code == 503 for _, _, conv, resp in feedback if conv == uncached_conv)

    print(f"stall {stall_seen:.1f}s; chat max {max(t for t, _ in chats):.2f}s; feedback "
          f"{sorted((r.status_code, round(t, 2)) for t, _, _, r in feedback)}; recommendations max {max(recs):.3f}s; "
          f"health max {max(t for _, _, t in health_marks):.3f}s, stack degraded at "
          f"{next((round(t, 2) for t, st, _ in health_marks if st == 'stack-degraded'), None)}s")
    # Isolation: no-AWS requests and /health stayed fast; /health said degraded within 3 s.
    assert max(recs) < FAST_S, recs
    assert health_marks and max(took for _, _, took in health_marks) < HEALTH_S, health_marks
    degraded_at = next((t for t, status, _ in health_marks if status == "stack-degraded"), None)
    assert degraded_at is not None and degraded_at <= 3.0, health_marks

    # After the stall: in-flight writes land; /health recovers; feedback on a spooled turn is accepted.
    deadline = time.monotonic() + 15
    while set(client.get("/health").json()["stack"].values()) != {"ok"}:
        assert time.monotonic() < deadline, "health did not recover within 15 s of the stall"
        time.sleep(0.3)
    spooled_conv = chats[0][1].json()["conversation_id"]
    event_id, r = _like(client, _user_of(chats[0][1]), spooled_conv)
    assert r.status_code == 200 and r.json()["status"] == "stored", r.text
    accepted.append(event_id)

    result = reconcile(date_today(), settings)
    assert result["conversations_stored"] == 12  # every spooled turn (an in-flight copy may also have landed)

    conversations, feedback_store = ConversationStore(settings), FeedbackStore(settings)
    days = set()
    for conv_id, user in answered.items():
        record = conversations.get(conv_id)
        assert record is not None and record.user_id == user, conv_id
        days.add(record.day)
    for day in days:
        conversations.export_day(day)
    exported = {str(line["conversation_id"]) for day in days for line in _jsonl(settings, f"conversations/dt={day}/")}
    assert set(answered) <= exported
    for eid in accepted:
        record = feedback_store.get(eid)
        assert record is not None, eid
        assert feedback_store.is_exported(record), eid
    for eid in refused:
        assert feedback_store.get(eid) is None, f"{eid} was answered 503 but stored"
    client.close()


def _user_of(resp: httpx.Response) -> str:
    import json

    return json.loads(resp.request.content)["user_id"]


def date_today() -> Any:
    from nabiyam import clock

    return clock.now().date()


def _jsonl(settings: Any, prefix: str) -> list[dict[str, Any]]:
    import json

    from nabiyam.storage.blobs import BlobStore

    store = BlobStore(settings.learning_data_bucket, settings)
    lines = []
    for info in store.list(prefix):
        raw = store.get_bytes(info.key)
        if info.key.endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        lines += [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    return lines
