"""/chat, /recommendations and /health over real HTTP (uvicorn) with the moto stack behind."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from nabiyam.nlg import style
from nabiyam.storage.conversations import ConversationStore

from .conftest import AT, CONTEXT, chat

CARDLESS, CLOSED, PRICEY = "S005", "S006", "S007"


def _uid() -> str:
    return "u_" + uuid.uuid4().hex[:10]


def _assert_hard_filters(body: dict[str, Any], budget: int | None) -> None:
    for rec in body["recommendations"]:
        assert rec["accepts_meal_card"] and rec["open_now"], rec
        assert rec["shop_id"] not in (CARDLESS, CLOSED)
        if budget is not None:
            assert rec["price_hint"] is not None and rec["price_hint"]["price"] <= budget, rec


def test_budget_chicken_request_is_answered_kindly_within_the_hard_filters(http: httpx.Client,
                                                                          api_catalogue: Any) -> None:
    user = _uid()
    r = chat(http, user, "만원으로 치킨 먹을 수 있는 곳 있어?")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["nlu"]["filters"]["budget_max"] == 10000
    assert body["recommendations"], body
    assert [rec["shop_id"] for rec in body["recommendations"]] == ["S001"]  # the cardless one is never shown
    _assert_hard_filters(body, 10000)
    assert "바삭치킨 신림점" in body["response"] and "8,000원" in body["response"]
    assert style.check(body["response"]) == []
    assert body["variant"] == "control" and body["conversation_id"].startswith("c_")
    assert set(body["latency_ms"]) >= {"nlu", "recommend", "nlg", "log", "total"}
    assert r.headers["x-correlation-id"]
    # The turn is in the conversation log: input, NLU, candidates with scores, shown items, versions.
    record = ConversationStore().get(body["conversation_id"])
    assert record is not None and record.user_id == user and record.message.startswith("만원으로")
    assert record.shown_shop_ids == ["S001"] and record.intent == body["nlu"]["intent"]
    assert record.candidates and all("score" in c for c in record.candidates)
    assert record.model_versions == body["model_versions"] and record.variant == "control"
    assert record.response == body["response"]
    # the log has every stage's latency and the turn's total (the write itself is `log`, in the response)
    assert set(record.latency_ms) >= {"nlu", "recommend", "nlg", "total"}, record.latency_ms
    assert record.latency_ms["total"] >= record.latency_ms["nlu"] + record.latency_ms["recommend"]
    # the structured reasons are logged with each shown shop, and where the child was located
    assert record.shown[0]["reasons"] and record.shown[0]["reasons"][0]["code"] == "substitute"
    assert record.context["origin"] == {"lat": CONTEXT["lat"], "lon": CONTEXT["lon"]}
    # the logged turn passes the claim checker (what the daily metrics run per conversation) …
    from nabiyam.safety import check_record

    report = check_record(record, api_catalogue)
    assert report.violations == [] and report.claims_checked >= 5, report
    # … and a false line in it would not
    lied = record.model_copy(update={"response": record.response.replace("8,000원이면", "5,000원이면")})
    assert {v.rule for v in check_record(lied, api_catalogue).violations} == {"price"}


def test_budget_chicken_answer_is_honest_when_chicken_is_over_budget(http: httpx.Client) -> None:
    """The live bug: 만원으로 치킨 at shops whose chicken costs 15,000+ must not read as chicken for less."""
    body = chat(http, _uid(), "만원으로 치킨 먹을 수 있는 곳 있어?").json()
    (rec,) = body["recommendations"]
    hint = rec["price_hint"]
    assert (hint["item"], hint["price"], hint["kind"]) == ("닭강정 컵", 8000, "same_category")
    assert (hint["asked_item"], hint["asked_price"]) == ("후라이드치킨", 16000)
    assert "찾는" not in rec["reason"] and rec["reason"].startswith("치킨 한 마리는 예산을 넘지만 닭강정 컵은 8,000원")
    first = body["response"].splitlines()[0]
    assert first == "아쉽지만 10,000원으로는 치킨을 먹기 어려워요 😢 예산이 16,000원이면 먹을 수 있어요.", body["response"]
    assert "치킨 대신 닭강정 컵 8,000원이면 먹을 수 있어요." in body["response"]
    assert body["response"].count("닭강정 컵") == 1, body["response"]  # not repeated in the reason line
    assert "찾는 메뉴" not in body["response"]
    assert style.check(body["response"]) == []


def test_budget_chicken_answer_when_chicken_fits(http: httpx.Client) -> None:
    body = chat(http, _uid(), "2만원으로 치킨 먹을 수 있는 곳 있어?").json()
    assert body["nlu"]["filters"]["budget_max"] == 20000
    (rec,) = body["recommendations"]
    assert (rec["price_hint"]["item"], rec["price_hint"]["kind"]) == ("후라이드치킨", "asked")
    assert rec["reason"].startswith("찾는 후라이드치킨이 16,000원이라 예산 안에 먹을 수 있")
    assert "어려워요" not in body["response"] and "대신" not in body["response"]
    assert "후라이드치킨 16,000원이면 먹을 수 있어요." in body["response"]
    assert style.check(body["response"]) == []


def test_context_budget_is_a_hard_limit_too(http: httpx.Client) -> None:
    r = chat(http, _uid(), "배고파 뭐 먹지", budget=5000)
    body = r.json()
    assert r.status_code == 200 and body["recommendations"]
    _assert_hard_filters(body, 5000)


def test_no_budget_still_never_shows_closed_or_cardless_shops(http: httpx.Client) -> None:
    for message, expected in (("아이랑 갈만한 건강한 저녁 식당 추천해줘", None), ("떡볶이 먹고 싶어", {"S002"}),
                              ("치킨 추천해줘", {"S001"}), ("근처 맛집 알려줘", None)):
        body = chat(http, _uid(), message).json()
        shown = {rec["shop_id"] for rec in body["recommendations"]}
        assert shown, (message, body["response"])  # an empty answer would pass every check below
        assert expected is None or shown == expected, (message, shown)
        assert not shown & {CARDLESS, CLOSED}
        _assert_hard_filters(body, None)
        assert style.check(body["response"]) == [], body["response"]


def test_nothing_fits_answers_kindly_with_what_to_try(http: httpx.Client) -> None:
    body = chat(http, _uid(), "천원으로 떡볶이 먹을 수 있어?").json()
    assert body["recommendations"] == []
    assert "😢" in body["response"] and "예산" in body["response"]
    assert style.check(body["response"]) == []


def test_non_food_intents_get_fitting_answers(http: httpx.Client) -> None:
    cases = {"안녕": "GREETING", "오늘 날씨 어때?": "OUT_OF_SCOPE"}
    for message, intent in cases.items():
        body = chat(http, _uid(), message).json()
        assert body["nlu"]["intent"] == intent
        assert body["recommendations"] == []
        assert style.check(body["response"]) == []
    greeting = chat(http, _uid(), "안녕").json()["response"]
    assert "나비얌" in greeting


def test_shop_info_and_menu_come_from_the_catalogue(http: httpx.Client) -> None:
    info = chat(http, _uid(), "바삭치킨 신림점 몇시에 열어?").json()
    assert info["nlu"]["intent"] == "SHOP_INFO", info["nlu"]
    assert "바삭치킨 신림점" in info["response"] and "아동급식카드" in info["response"]
    menu = chat(http, _uid(), "엄마손 분식 메뉴 뭐 있어?").json()
    assert menu["nlu"]["intent"] == "MENU_INQUIRY", menu["nlu"]
    for item in ("떡볶이 4,000원", "참치김밥 3,500원", "라볶이 6,000원"):
        assert item in menu["response"]
    for body in (info, menu):
        assert style.check(body["response"]) == [], body["response"]


def test_recommendations_endpoint_ranks_without_nlg(http: httpx.Client) -> None:
    r = http.post("/recommendations", json={
        "user_id": _uid(), "nlu": {"filters": {"category": "분식", "budget_max": 5000}, "semantic_query": "떡볶이"},
        "context": {**CONTEXT, "at": AT}, "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [rec["shop_id"] for rec in body["recommendations"]] == ["S002"]
    assert body["fallback"] is True and body["nothing_fits"] is False
    none = http.post("/recommendations", json={"user_id": "u1", "nlu": {"filters": {"budget_max": 1000}},
                                               "context": {**CONTEXT, "at": AT}}).json()
    assert none["nothing_fits"] is True and none["suggestions"]


def test_recommendations_get_form(http: httpx.Client) -> None:
    r = http.get("/recommendations", params={"user_id": "u1", "district": "관악구", "lat": CONTEXT["lat"],
                                             "lon": CONTEXT["lon"], "at": AT, "budget": 5000, "food": "떡볶이", "k": 2})
    assert r.status_code == 200, r.text
    assert [rec["shop_id"] for rec in r.json()["recommendations"]] == ["S002"]
    bad = http.get("/recommendations", params={"user_id": "u1", "food": "외계인", "district": "부산"})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} >= {"district"}


def test_health_reports_versions_and_stack(http: httpx.Client) -> None:
    r = http.get("/health")
    body = r.json()
    assert r.status_code == 200, body
    assert body["status"] in ("ok", "degraded")
    assert all(v == "ok" for v in body["stack"].values()) and len(body["stack"]) == 3
    assert body["catalogue"] == {"shops": 10, "loaded": True}
    assert body["models"]["ranker"] == "funnel-blend-v1"
    assert any("ranker" in p for p in body["problems"])  # the fallback is reported, not hidden


def test_correlation_id_is_echoed(http: httpx.Client) -> None:
    r = http.get("/health", headers={"X-Correlation-Id": "test-corr-123"})
    assert r.headers["x-correlation-id"] == "test-corr-123"
    bad = http.post("/chat", json={"user_id": "u1"}, headers={"X-Correlation-Id": "test-corr-456"})
    assert bad.json()["correlation_id"] == "test-corr-456"
