"""Bad input over real HTTP: a clear 4xx naming the field, never a 5xx or a stack trace."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import CONTEXT

JSON = {"content-type": "application/json"}


def _error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "correlation_id"}
    assert "Traceback" not in r.text and "File \"" not in r.text
    return body["error"]


def _fields(err: dict) -> set[str]:
    return {f["field"] for f in err["fields"]}


def test_malformed_json_is_400(http: httpx.Client) -> None:
    err = _error(http.post("/chat", content=b'{"user_id": "u1", "message": ', headers=JSON), 400)
    assert err["code"] == "malformed_json" and "JSON" in err["message"]


def test_non_json_content_type_is_415(http: httpx.Client) -> None:
    err = _error(http.post("/chat", content=b"message=hi", headers={"content-type": "text/plain"}), 415)
    assert "application/json" in err["message"]


@pytest.mark.parametrize("payload", [[], "text", 42, None])
def test_body_must_be_an_object(http: httpx.Client, payload: object) -> None:
    err = _error(http.post("/chat", content=json.dumps(payload).encode(), headers=JSON), 422)
    assert _fields(err) == {"body"}


@pytest.mark.parametrize(("payload", "field"), [
    ({"message": "안녕"}, "user_id"),
    ({"user_id": "u1"}, "message"),
    ({"user_id": "u1", "message": ""}, "message"),
    ({"user_id": "u1", "message": "   "}, "message"),
    ({"user_id": "u1", "message": "가" * 501}, "message"),
    ({"user_id": "u1", "message": 123}, "message"),
    ({"user_id": "u1", "message": ["a"]}, "message"),
    ({"user_id": "u 1", "message": "안녕"}, "user_id"),
    ({"user_id": "u1", "message": "안녕", "context": {"lat": 10.0, "lon": 126.9}}, "context.lat"),
    ({"user_id": "u1", "message": "안녕", "context": {"lat": 37.5}}, "context"),
    ({"user_id": "u1", "message": "안녕", "context": {"lat": "north", "lon": 126.9}}, "context.lat"),
    ({"user_id": "u1", "message": "안녕", "context": {"budget": 50}}, "context.budget"),
    ({"user_id": "u1", "message": "안녕", "context": {"budget": 10**9}}, "context.budget"),
    ({"user_id": "u1", "message": "안녕", "context": {"at": "yesterday"}}, "context.at"),
    ({"user_id": "u1", "message": "안녕", "context": "관악구"}, "context"),
    ({"user_id": "u1", "message": "안녕", "context": {"district": "부산구"}}, "context.district"),
    ({"user_id": "u1", "message": "안녕", "surprise": 1}, "surprise"),
])
def test_invalid_chat_fields_are_named(http: httpx.Client, payload: dict, field: str) -> None:
    err = _error(http.post("/chat", json=payload), 422)
    assert err["code"] == "validation_error"
    assert field in _fields(err), err


@pytest.mark.parametrize("raw", [
    b'{"user_id": "u1", "message": "\\ud800 lone surrogate"}',
    b'{"user_id": "u1", "message": "nul \\u0000 byte"}',
    b'{"user_id": "u1", "message": "bell \\u0007"}',
])
def test_unicode_edge_cases_are_rejected_cleanly(http: httpx.Client, raw: bytes) -> None:
    err = _error(http.post("/chat", content=raw, headers=JSON), 422)
    assert _fields(err) == {"message"}


def test_invalid_utf8_bytes_are_a_clean_4xx(http: httpx.Client) -> None:
    r = http.post("/chat", content=b'{"user_id": "u1", "message": "\xff\xfe"}', headers=JSON)
    assert 400 <= r.status_code < 500 and "Traceback" not in r.text


@pytest.mark.parametrize("message", ["ㅋㅋㅋㅋ", "🍗🍕🍔", "치킨\n먹고싶어", "Ｃｈｉｃｋｅｎ 치킨", "ᄒᆞᆫ글 조합형", "a" * 500,
                                     "떡볶이" + "\u200b" * 3, "مرحبا", "'; DROP TABLE shops; --"])
def test_odd_but_valid_messages_are_answered(http: httpx.Client, message: str) -> None:
    r = http.post("/chat", json={"user_id": "u_odd", "message": message, "context": CONTEXT})
    assert r.status_code == 200, r.text
    assert r.json()["response"]


def test_huge_body_is_413(http: httpx.Client) -> None:
    payload = json.dumps({"user_id": "u1", "message": "가" * 40_000}).encode()
    err = _error(http.post("/chat", content=payload, headers=JSON), 413)
    assert err["code"] == "payload_too_large"


def test_unknown_route_and_method(http: httpx.Client) -> None:
    assert _error(http.get("/nope"), 404)["code"] == "not_found"
    assert _error(http.get("/chat"), 405)["code"] == "method_not_allowed"


@pytest.mark.parametrize(("payload", "field"), [
    ({"conversation_id": "c1", "feedback": "like"}, "event_id"),
    ({"event_id": "short", "conversation_id": "c1", "feedback": "like", "user_id": "u1"}, "event_id"),
    ({"event_id": "evt-00000001", "conversation_id": "c1", "feedback": "meh", "user_id": "u1"}, "feedback"),
    ({"event_id": "evt-00000001", "conversation_id": "c1", "feedback": "like", "satisfaction": 6, "user_id": "u1"},
     "satisfaction"),
    ({"event_id": "evt-00000001", "conversation_id": "c1", "feedback": "dislike", "reason": "boring", "user_id": "u1"},
     "reason"),
    ({"event_id": "evt-00000001", "conversation_id": "c1", "shop_id": "S1", "feedback_type": "licked",
      "user_id": "u1"}, "feedback_type"),
    ({"event_id": "evt-00000001", "conversation_id": "c1", "feedback_type": "clicked", "user_id": "u1"}, "shop_id"),
    ({"event_id": "evt-00000001", "conversation_id": "c1", "feedback": "like"}, "user_id"),
])
def test_invalid_feedback_fields_are_named(http: httpx.Client, payload: dict, field: str) -> None:
    err = _error(http.post("/feedback", json=payload), 422)
    assert field in _fields(err), err
