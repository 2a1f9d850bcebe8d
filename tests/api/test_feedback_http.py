"""Feedback end to end over real HTTP: chat → like/dislike → click/order → DynamoDB + S3.
Idempotent per event_id, loss-free under concurrency."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx

from nabiyam import aws
from nabiyam.domain.hours import KST
from nabiyam.settings import get_settings
from nabiyam.storage.feedback import FeedbackStore

from .conftest import chat


def _uid() -> str:
    return "u_" + uuid.uuid4().hex[:10]


def _evt() -> str:
    return "evt-" + uuid.uuid4().hex


def _learning_lines(prefix: str) -> list[dict]:
    settings = get_settings()
    s3 = aws.client("s3", settings)
    lines: list[dict] = []
    token: dict = {}
    for _ in range(1000):
        page = s3.list_objects_v2(Bucket=settings.learning_data_bucket, Prefix=prefix, **token)
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=settings.learning_data_bucket, Key=obj["Key"])["Body"].read().decode()
            lines.extend(json.loads(line) for line in body.splitlines() if line.strip())
        if not page.get("IsTruncated"):
            break
        token = {"ContinuationToken": page["NextContinuationToken"]}
    return lines


def _today() -> str:
    return datetime.now(KST).date().isoformat()


def test_chat_then_feedback_end_to_end(http: httpx.Client) -> None:
    user = _uid()
    turn = chat(http, user, "만원으로 떡볶이 먹고 싶어").json()
    cid, shop = turn["conversation_id"], turn["recommendations"][0]["shop_id"]
    events = [
        {"event_id": _evt(), "conversation_id": cid, "user_id": user, "feedback": "like", "satisfaction": 5},
        {"event_id": _evt(), "conversation_id": cid, "user_id": user, "feedback": "dislike", "reason": "too_far",
         "reason_text": "조금 멀어요 ㅠㅠ", "satisfaction": 3},
        {"event_id": _evt(), "conversation_id": cid, "user_id": user, "shop_id": shop, "feedback_type": "clicked"},
        {"event_id": _evt(), "conversation_id": cid, "user_id": user, "shop_id": shop, "feedback_type": "ordered"},
        {"event_id": _evt(), "conversation_id": cid, "user_id": user, "shop_id": shop, "feedback_type": "favorited"},
    ]
    for event in events:
        r = http.post("/feedback", json=event)
        assert r.status_code == 200, r.text
        assert r.json()["event_id"] == event["event_id"] and r.headers["idempotent-replay"] == "false"
    stored = {r.event_id: r for r in FeedbackStore().by_conversation(cid)}
    assert set(stored) == {e["event_id"] for e in events}
    assert stored[events[1]["event_id"]].reason == "too_far"
    assert stored[events[3]["event_id"]].feedback_type == "ordered"
    assert all(r.variant == "control" and r.user_id == user for r in stored.values())
    assert all(r.model_versions == turn["model_versions"] for r in stored.values())
    # Learning data: one JSON line per event, in today's date partition (Asia/Seoul).
    lines = [line for line in _learning_lines(f"feedback/dt={_today()}/") if line["conversation_id"] == cid]
    assert sorted(line["event_id"] for line in lines) == sorted(e["event_id"] for e in events)
    assert {line["type"] for line in lines} == {"feedback"}


def test_retry_is_stored_once_and_answered_the_same(http: httpx.Client) -> None:
    user = _uid()
    cid = chat(http, user, "치킨 먹고 싶어").json()["conversation_id"]
    event = {"event_id": _evt(), "conversation_id": cid, "user_id": user, "feedback": "like"}
    first = http.post("/feedback", json=event)
    again = [http.post("/feedback", json=event) for _ in range(3)]
    assert first.status_code == 200
    assert all(r.status_code == 200 and r.json() == first.json() for r in again)
    assert [r.headers["idempotent-replay"] for r in again] == ["true"] * 3
    assert len(FeedbackStore().by_conversation(cid)) == 1
    lines = [x for x in _learning_lines(f"feedback/dt={_today()}/{event['event_id']}") if x["event_id"] == event["event_id"]]
    assert len(lines) == 1


def test_same_event_id_with_other_content_is_a_conflict(http: httpx.Client) -> None:
    user = _uid()
    cid = chat(http, user, "피자 먹고 싶어").json()["conversation_id"]
    event = {"event_id": _evt(), "conversation_id": cid, "user_id": user, "feedback": "like"}
    assert http.post("/feedback", json=event).status_code == 200
    r = http.post("/feedback", json={**event, "feedback": "dislike"})
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "event_id"
    assert FeedbackStore().get(event["event_id"]).feedback == "like"


def test_unknown_conversation_other_user_and_unshown_shop_are_rejected(http: httpx.Client) -> None:
    owner, intruder = _uid(), _uid()
    turn = chat(http, owner, "만원으로 떡볶이 먹고 싶어").json()
    cid = turn["conversation_id"]
    unknown = http.post("/feedback", json={"event_id": _evt(), "conversation_id": "c_doesnotexist",
                                           "user_id": owner, "feedback": "like"})
    assert unknown.status_code == 404 and unknown.json()["error"]["fields"][0]["field"] == "conversation_id"
    other = http.post("/feedback", json={"event_id": _evt(), "conversation_id": cid, "user_id": intruder,
                                         "feedback": "dislike"})
    assert other.status_code == 403 and "another user" in other.json()["error"]["message"]
    shown = {r["shop_id"] for r in turn["recommendations"]}
    unshown = next(s for s in ("S001", "S003", "S004", "S008", "S009", "S010") if s not in shown)
    r = http.post("/feedback", json={"event_id": _evt(), "conversation_id": cid, "user_id": owner,
                                     "shop_id": unshown, "feedback_type": "ordered"})
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "shop_id"
    assert FeedbackStore().by_conversation(cid) == []


def test_concurrent_feedback_all_stored_none_lost_none_duplicated(http: httpx.Client, live_api) -> None:  # noqa: ANN001
    """500 distinct events from 8 threads, a fifth of them sent twice (retries): exactly 500 stored."""
    users = [_uid() for _ in range(6)]
    turns = {u: chat(http, u, "만원으로 떡볶이 먹고 싶어").json() for u in users}
    events = []
    for i in range(500):
        user = users[i % len(users)]
        turn = turns[user]
        if i % 2:
            events.append({"event_id": f"evt-load-{uuid.uuid4().hex}", "conversation_id": turn["conversation_id"],
                           "user_id": user, "shop_id": turn["recommendations"][0]["shop_id"],
                           "feedback_type": ("clicked", "ordered", "favorited")[i % 3]})
        else:
            events.append({"event_id": f"evt-load-{uuid.uuid4().hex}", "conversation_id": turn["conversation_id"],
                           "user_id": user, "feedback": ("like", "dislike")[i % 4 // 2], "satisfaction": 1 + i % 5})
    sends = events + events[::5]  # a fifth of the events are sent twice (client retries)

    local = threading.local()

    def send(event: dict) -> tuple[str, int, str]:
        if not hasattr(local, "client"):
            local.client = live_api.client()
            clients.append(local.client)
        for _ in range(5):  # bounded client retries on transport errors only
            try:
                r = local.client.post("/feedback", json=event)
                return event["event_id"], r.status_code, r.headers.get("idempotent-replay", "")
            except httpx.TransportError:
                continue
        return event["event_id"], 0, ""

    clients: list[httpx.Client] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, sends))
    for client in clients:
        client.close()
    assert all(status == 200 for _, status, _ in results), [r for r in results if r[1] != 200][:5]
    assert sum(replay == "false" for _, _, replay in results) == len(events)  # each stored by exactly one call
    store = FeedbackStore()
    stored = [r for turn in turns.values() for r in store.by_conversation(turn["conversation_id"])]
    assert len(stored) == len(events)
    assert sorted(r.event_id for r in stored) == sorted(e["event_id"] for e in events)
    lines = [x for x in _learning_lines(f"feedback/dt={_today()}/evt-load-") if x["event_id"].startswith("evt-load-")]
    ids = {e["event_id"] for e in events}
    mine = [x["event_id"] for x in lines if x["event_id"] in ids]
    assert len(mine) == len(ids) and set(mine) == ids


def test_conversation_log_exports_a_day_as_json_lines(http: httpx.Client) -> None:
    from nabiyam.storage.conversations import ConversationStore

    user = _uid()
    ids = [chat(http, user, m).json()["conversation_id"] for m in ("안녕", "떡볶이 먹고 싶어")]
    store = ConversationStore()
    assert [c.conversation_id for c in store.by_user(user)] == ids[::-1]  # newest first
    key = store.export_day(_today())
    assert key == f"conversations/dt={_today()}/conversations.jsonl"
    lines = [x for x in _learning_lines(key) if x["user_id"] == user]
    assert sorted(x["conversation_id"] for x in lines) == sorted(ids)
    assert {x["type"] for x in lines} == {"conversation"} and all(x["nlu"]["intent"] for x in lines)
    assert store.export_day(_today()) == key  # a re-run replaces the object, no duplicates
