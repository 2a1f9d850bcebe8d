"""Issue 17 over real HTTP: every gap the attack found, one test each (each failed on the code
before the fix). The stall itself is in test_faults.py; the schema-vs-behaviour sweep in
test_schemathesis.py."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from .conftest import AT, CONTEXT

JSON = {"content-type": "application/json"}


def _error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "correlation_id"} and body["correlation_id"]
    return body["error"]


def _fields(err: dict[str, Any]) -> set[str]:
    return {f["field"] for f in err["fields"]}


def _spec(http: httpx.Client) -> dict[str, Any]:
    return http.get("/openapi.json").json()


def _chat(http: httpx.Client, **context: Any) -> httpx.Response:
    return http.post("/chat", json={"user_id": "u_rel", "message": "떡볶이 먹고 싶어", "context": {**CONTEXT, **context}})


# --------------------------------------------------------------------------- request time


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1900-01-01T12:00:00+09:00",
                                "0001-01-01T12:00:00"])
def test_out_of_range_times_are_422_on_every_route(http: httpx.Client, at: str) -> None:
    """Was a 500 (OverflowError in to_kst) or, for 1900/0001, a normal answer."""
    assert "context.at" in _fields(_error(_chat(http, at=at), 422))
    post = http.post("/recommendations", json={"user_id": "u_rel", "context": {"at": at}})
    assert "context.at" in _fields(_error(post, 422))
    get = http.get("/recommendations", params={"user_id": "u_rel", "at": at})
    assert "at" in _fields(_error(get, 422))


@pytest.mark.parametrize("at", [1767225600, "2026-11-30", "2026-02-30T12:00:00+09:00", "2026-11-30 12:00", True])
def test_at_is_a_full_date_time_string(http: httpx.Client, at: Any) -> None:
    """Integers and date-only strings used to be accepted."""
    assert "context.at" in _fields(_error(_chat(http, at=at), 422))


def test_at_window_follows_the_clock_and_settings(http: httpx.Client) -> None:
    """The window is years around the service clock (simulated in dev/test), and the schema says so."""
    from nabiyam import clock
    from nabiyam.api.schemas import at_window

    year = clock.now().year
    window = at_window()
    assert window.start == year - 2 and window.stop - 1 == year + 1
    pattern = _spec(http)["components"]["schemas"]["ChatContext"]["properties"]["at"]["anyOf"][0]["pattern"]
    assert re.search(pattern, f"{year}-11-30T12:30:00+09:00")
    assert not re.search(pattern, f"{year + 2}-01-01T12:30:00+09:00")
    assert _chat(http, at=f"{year - 2}-06-04T12:30:00+09:00").status_code == 200
    assert _error(_chat(http, at=f"{year - 3}-06-04T12:30:00+09:00"), 422)


# --------------------------------------------------------------------------- strict types and the schema


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("/chat", {"user_id": None, "message": "안녕"}, "user_id"),
    ("/recommendations", {"user_id": "u1", "nlu": {"filters": {"good_shop_only": 0}}}, "nlu.filters.good_shop_only"),
    ("/recommendations", {"user_id": "u1", "k": "5"}, "k"),
    ("/recommendations", {"user_id": "u1", "nlu": {"filters": {"category": "우주음식"}}}, "nlu.filters.category"),
    ("/recommendations", {"user_id": "u1", "nlu": {"filters": {"food_types": ["외계인"]}}}, "nlu.filters.food_types.0"),
    ("/chat", {"user_id": "u1", "message": "안녕", "context": {"budget": "10000"}}, "context.budget"),
    ("/chat", {"user_id": "u1", "message": "안녕", "context": {"lat": None, "lon": 126.9}}, "context.lat"),
    ("/chat", {"user_id": "u1", "message": "안녕", "context": {"lon": 126.9}}, "context"),
    ("/feedback", {"event_id": "evt-00000001", "conversation_id": "c1", "user_id": "u1", "feedback": "like",
                   "satisfaction": "5"}, "satisfaction"),
    ("/feedback", {"event_id": "evt-00000001", "conversation_id": "c1", "user_id": "u1", "feedback": "like",
                   "reason": "too_expensive"}, "reason"),
    ("/feedback", {"event_id": "evt-00000001", "conversation_id": "c1", "user_id": "u1", "feedback": "dislike",
                   "reason_text": ""}, "reason_text"),
])
def test_no_coercion_and_consistent_rules(http: httpx.Client, path: str, payload: dict, field: str) -> None:
    """Each of these was coerced or accepted (or refused although the schema allowed it)."""
    assert field in _fields(_error(http.post(path, json=payload), 422))


def test_integral_floats_are_integers_as_json_schema_says(http: httpx.Client) -> None:
    r = http.post("/recommendations", json={"user_id": "u1", "k": 3.0, "context": {**CONTEXT, "at": AT}})
    assert r.status_code == 200, r.text


def test_schema_states_what_is_enforced(http: httpx.Client) -> None:
    schemas = _spec(http)["components"]["schemas"]
    chat = schemas["DevChatRequest"]
    assert "user_id" in chat["required"] and chat["properties"]["user_id"].get("type") == "string"  # no null
    context = schemas["ChatContext"]
    assert context["dependentRequired"] == {"lat": ["lon"], "lon": ["lat"]}
    assert context["properties"]["lat"]["type"] == "number"  # not nullable: absent, never null
    message_pattern = chat["properties"]["message"]["pattern"]
    for bad in ("", "   ", "\u200b\u202e", "bell\u0007"):
        assert not re.search(message_pattern, bad), bad
    assert re.search(message_pattern, "만원으로 치킨\u202e")  # allowed: the override is stripped
    dislike = schemas["DevResponseFeedback"]["properties"]
    assert not re.search(dislike["reason_text"]["anyOf"][0]["pattern"], "")
    assert "reason" not in schemas["DevLikeFeedback"]["properties"]
    satisfaction = dislike["satisfaction"]["anyOf"][0]
    assert satisfaction["type"] == "integer" and (satisfaction["minimum"], satisfaction["maximum"]) == (1, 5)
    params = {p["name"]: p for p in _spec(http)["paths"]["/recommendations"]["get"]["parameters"]}
    assert "떡볶이" in params["food"]["schema"]["anyOf"][0]["enum"]  # was free text, then 422 for unknown foods
    location = params["location"]
    assert (location["style"], location["explode"]) == ("form", True)
    assert location["schema"]["required"] == ["lat", "lon"]  # together or not at all


def test_invisible_formatting_characters_are_stripped_from_what_is_stored(http: httpx.Client) -> None:
    from nabiyam.storage.conversations import ConversationStore

    r = http.post("/chat", json={"user_id": "u_rel", "message": "\u202e떡볶이\u200b 먹고\u2066 싶어",
                                 "context": {**CONTEXT, "at": AT}})
    assert r.status_code == 200, r.text
    record = ConversationStore().get(r.json()["conversation_id"])
    assert record is not None and record.message == "떡볶이 먹고 싶어"
    only_invisible = http.post("/chat", json={"user_id": "u_rel", "message": "\u200b\u202e\ufeff"})
    assert "message" in _fields(_error(only_invisible, 422))


# --------------------------------------------------------------------------- one error envelope


@pytest.mark.parametrize("path", ["/chat", "/feedback", "/recommendations"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415_on_every_route(http: httpx.Client, path: str, content_type: str | None) -> None:
    """/feedback used to answer 422 naming the internal tag `response`."""
    headers = {"content-type": content_type} if content_type else {}
    req = http.build_request("POST", path, content=b'{"user_id": "u1"}', headers=headers)
    assert req.headers.get("content-type") == content_type
    err = _error(http.send(req), 415)
    assert err["code"] == "unsupported_media_type" and _fields(err) == {"body"}


@pytest.mark.parametrize("path", ["/chat", "/feedback", "/recommendations"])
@pytest.mark.parametrize("raw", [
    b'{"user_id": "u1", "message": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"user_id": "u1", "message": "x", "context": {"budget": ' + b"9" * 5000 + b"}}",
    b'{"user_id": "u1", "message": "\xff\xfe"}',
    b'{"user_id": "u1", "message": "x", "context": {"lat": 1e999, "lon": 126.9}}',
    b'{"user_id": "u1", "message": "x", "context": {"lat": NaN, "lon": 126.9}}',
    b'{"user_id": "u1", "message": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
], ids=["5000-deep-array", "5000-digit-number", "invalid-utf8", "float-overflow", "nan", "40-deep-object"])
def test_unparsable_bodies_are_400_malformed_json(http: httpx.Client, path: str, raw: bytes) -> None:
    """Deep nesting, a 5,000-digit number and invalid UTF-8 used to be 400 `http_error` with no field."""
    err = _error(http.post(path, content=raw, headers=JSON), 400)
    assert err["code"] == "malformed_json" and _fields(err) == {"body"}


@pytest.mark.parametrize(("path", "missing"), [
    ("/chat", {"user_id", "message"}),
    ("/feedback", {"event_id", "conversation_id", "user_id", "feedback"}),
])
def test_empty_object_names_every_missing_field(http: httpx.Client, path: str, missing: set[str]) -> None:
    """`{}` to /chat used to name only `message`."""
    assert missing <= _fields(_error(http.post(path, json={}), 422))


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/recommendations", {"GET", "POST"}),
    ("DELETE", "/recommendations", {"GET", "POST"}),
    ("PUT", "/chat", {"POST"}),
    ("POST", "/health", {"GET"}),
])
def test_405_lists_every_allowed_method(http: httpx.Client, method: str, path: str, allow: set[str]) -> None:
    """OPTIONS /recommendations used to answer `Allow: POST` only. Every listed method is served."""
    r = http.request(method, path)
    _error(r, 405)
    listed = {m.strip() for m in r.headers["allow"].split(",")}
    assert listed == allow
    for other in listed - {"POST"}:
        assert http.request(other, path, params={"user_id": "u1"}).status_code != 405


# --------------------------------------------------------------------------- budget and health


def test_time_budget_comes_from_the_template_and_fits_api_gateway() -> None:
    """One source of truth: the template's ApiTimeoutSeconds is the function's Timeout, the env var the
    settings read, and the budget boto3's worst case fits in (was: 10 s read × 4 attempts > 29 s)."""
    from nabiyam.infra.template import load_template
    from nabiyam.resilience import boto_request_config, worst_case_call_s
    from nabiyam.settings import Settings

    template = load_template()
    parameter = template["Parameters"]["ApiTimeoutSeconds"]
    api = template["Resources"]["ApiFunction"]["Properties"]
    assert api["Timeout"] == {"Ref": "ApiTimeoutSeconds"}
    assert template["Globals"]["Function"]["Environment"]["Variables"]["NABIYAM_API_TIMEOUT_S"] == {
        "Ref": "ApiTimeoutSeconds"}
    assert Settings.model_fields["api_timeout_s"].default == parameter["Default"]
    gateway_s = template["Resources"]["ApiIntegration"]["Properties"]["TimeoutInMillis"] / 1000
    assert parameter["MaxValue"] < gateway_s
    for timeout in (parameter["MinValue"], parameter["Default"], parameter["MaxValue"]):
        settings = Settings(api_timeout_s=timeout)
        assert worst_case_call_s(boto_request_config(settings)) <= settings.request_budget_s < timeout


def test_clients_inside_a_request_use_the_budgeted_config(local_stack: Any) -> None:
    from nabiyam import aws
    from nabiyam.resilience import request_budget
    from nabiyam.settings import get_settings

    settings = get_settings()
    batch = aws.client("dynamodb", settings)
    with request_budget(settings.request_budget_s):
        inside = aws.client("dynamodb", settings)
    assert inside is not batch
    assert inside.meta.config.read_timeout <= settings.request_budget_s < batch.meta.config.read_timeout * 4
    assert inside.meta.config.retries["total_max_attempts"] <= 2


def test_health_is_ok_with_a_no_store_header(http: httpx.Client) -> None:
    r = http.get("/health")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert set(body["stack"].values()) == {"ok"}
    assert body["status"] in ("ok", "degraded")  # degraded here only by the rules-only NLU of the test runtime
    assert all(not p.startswith(("dynamodb", "s3")) for p in body["problems"])


def test_feedback_503_says_nothing_was_stored_and_when_to_retry() -> None:
    """The 503 text and header the fault test relies on, from the error handler itself."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from nabiyam.api import errors
    from nabiyam.chat.errors import Unavailable

    app = FastAPI()
    errors.install(app)

    @app.get("/x")
    def x() -> None:
        raise Unavailable("feedback table unavailable (dynamodb: circuit open); nothing was stored")

    r = TestClient(app).get("/x")
    assert r.status_code == 503 and r.headers["retry-after"] and json.loads(r.text)["error"]["code"] == \
        "dependency_unavailable"


def test_budget_shrinks_to_the_lambda_time_left() -> None:
    """In Lambda the budget is also bounded by the context's remaining time (Mangum puts it in the scope)."""
    from nabiyam.api.middleware import ApiMiddleware
    from nabiyam.settings import Settings

    class Context:
        def __init__(self, ms: int) -> None:
            self.ms = ms

        def get_remaining_time_in_millis(self) -> int:
            return self.ms

    middleware = ApiMiddleware(app=None, settings=Settings(api_timeout_s=10, answer_reserve_s=1))
    assert middleware._budget({}) == 9.0
    assert middleware._budget({"aws.context": Context(4000)}) == 3.0
    assert middleware._budget({"aws.context": Context(30_000)}) == 9.0
    assert middleware._budget({"aws.context": Context(500)}) == 0.1  # never zero: a request may still answer


def test_simulated_clock_header_moves_the_at_window_outside_prod(http: httpx.Client) -> None:
    """The simulator's dev-only header: `at` is judged against simulated time (and stamps follow it)."""
    from nabiyam.clock import SIM_TIME_HEADER
    from nabiyam.storage.conversations import ConversationStore

    far = "2031-03-02T12:30:00+09:00"
    assert "context.at" in _fields(_error(_chat(http, at=far), 422))  # years away from the real clock
    r = http.post("/chat", json={"user_id": "u_rel", "message": "떡볶이 먹고 싶어", "context": {**CONTEXT, "at": far}},
                  headers={SIM_TIME_HEADER: "2031-03-02T12:30:00+09:00"})
    assert r.status_code == 200, r.text
    record = ConversationStore().get(r.json()["conversation_id"])
    assert record is not None and record.day == "2031-03-02"
    bad = http.post("/chat", json={"user_id": "u_rel", "message": "안녕"}, headers={SIM_TIME_HEADER: "tomorrow"})
    assert _error(bad, 400)["code"] == "bad_header"


def test_simulated_clock_header_is_ignored_in_prod() -> None:
    from fastapi.testclient import TestClient

    from nabiyam.api import create_app
    from nabiyam.clock import SIM_TIME_HEADER
    from nabiyam.settings import Settings

    app = create_app(lambda: None, Settings(stage="prod", auth_mode="jwt"))  # type: ignore[arg-type, return-value]
    with TestClient(app) as client:
        r = client.post("/chat", json={"message": "안녕", "context": {"at": "2031-03-02T12:30:00+09:00"}},
                        headers={SIM_TIME_HEADER: "2031-03-02T12:30:00+09:00"})
    assert r.status_code == 422 and "context.at" in _fields(r.json()["error"])
