"""Regressions for the requests the world's truth and the rules path read differently (issue 3 → 4)."""

from __future__ import annotations

import pytest

from nabiyam.domain.food import CATEGORY_ALIASES
from nabiyam.nlu.normalize import normalize
from nabiyam.nlu.rules import parse_rules


def test_asking_where_a_food_is_good_is_a_recommendation() -> None:
    r = parse_rules("햄버거 어디가 맛있어?")
    assert r.intent == "FOOD_RECOMMENDATION"
    assert r.filters.food_types == ["햄버거"] and r.filters.category == "패스트푸드"
    for text in ("떡볶이 어디가 맛있어?", "치킨 어느 집이 맛있나", "피자 어디가 맛있어?"):
        assert parse_rules(text).intent == "FOOD_RECOMMENDATION", text


@pytest.mark.parametrize("text", ["거기 떡볶이 맛있어?", "엄마손분식 떡볶이 매워?", "그 집 짜장면 맛있어?"])
def test_a_dish_question_about_a_named_shop_stays_a_menu_question(text: str) -> None:
    assert parse_rules(text).intent == "MENU_INQUIRY"


def test_bapjip_after_a_meal_time_is_hansik() -> None:
    r = parse_rules("난향동에서 저녁 밥집 어디 갈까?")
    assert r.intent == "FOOD_RECOMMENDATION"
    assert (r.filters.category, r.filters.time_of_day, r.filters.district) == ("한식", "dinner", "관악구")
    assert [e.text for e in r.entities] == ["난향동", "저녁", "밥집"]
    for meal, value in (("아침", "breakfast"), ("점심", "lunch"), ("저녁", "dinner")):
        for text in (f"{meal} 밥집 추천", f"{meal}밥집 알려줘"):
            f = parse_rules(text).filters
            assert (f.category, f.time_of_day) == ("한식", value), text
    # 저녁밥 alone is still the meal time, not a lost 밥
    assert parse_rules("저녁밥 뭐 먹지").filters.time_of_day == "dinner"


_CONTEXTS = ("{} 추천해줘", "난향동에서 저녁 {} 어디 갈까?", "점심에 {} 가자", "아침 {}", "오늘 {}에서 먹을래",
             "아이랑 {} 갈래", "{}", "안녕! {} 추천해줘")


@pytest.mark.parametrize("category, word", [(c, w) for c, ws in CATEGORY_ALIASES.items() for w in ws])
def test_every_category_alias_maps_to_its_category(category: str, word: str) -> None:
    assert normalize("category", word) in (category, None)  # 백반 is a food of 한식, resolved through the food
    for ctx in _CONTEXTS:
        text = ctx.format(word)
        assert parse_rules(text).filters.category == category, text


def test_a_greeting_prefix_keeps_the_request() -> None:
    r = parse_rules("안녕! 아이랑 먹을 곳 추천해줘")
    assert r.intent == "FOOD_RECOMMENDATION"
    assert r.filters.companion == "family"
    assert [(e.type, e.value) for e in r.entities] == [("companion", "family")]
    r = parse_rules("안녕하세요~ 친구들이랑 저녁에 매운 거 먹을 데 알려줘")
    assert r.intent == "FOOD_RECOMMENDATION"
    f = r.filters
    assert (f.companion, f.time_of_day, f.dietary_preferences) == ("friends", "dinner", ["spicy"])
    r = parse_rules("하이 나비얌 착한가게 중에 만원으로 먹을 곳")
    assert r.intent == "BUDGET_FOOD_INQUIRY" and r.filters.budget_max == 10000 and r.filters.good_shop_only


@pytest.mark.parametrize("text", ["안녕", "안녕 나비얌", "안녕하세요 나비얌!", "안녕 친구야", "하이 나비얌", "안녕ㅎㅎ",
                                  "안녕 잘 있어", "안녕히 계세요"])
def test_a_greeting_alone_stays_a_greeting(text: str) -> None:
    r = parse_rules(text)
    assert r.intent == "GREETING"
    assert r.filters.companion is None and r.filters.food_types == []


@pytest.mark.parametrize("text", ["샌드위치 어디가 맛있어?", "신대방동에서 샌드위치 먹을 만한 곳 있어?"])
def test_sandwich_is_not_a_question_about_location(text: str) -> None:
    """샌드위치 contains 위치 (location); it must not read as a SHOP_INFO question."""
    assert parse_rules(text).intent == "FOOD_RECOMMENDATION"
    assert parse_rules("거기 위치 어디야").intent == "SHOP_INFO"


@pytest.mark.parametrize("surface, want", [
    ("햄버거", ("food_type", "햄버거", 0, 3)), ("빵집", ("category", "베이커리", 0, 2)),
    ("그 빵집", ("category", "베이커리", 2, 4)), ("치킨집이", ("category", "치킨", 0, 3)),
    ("패스트 푸드", ("category", "패스트푸드", 0, 6)), ("떡볶이는", ("food_type", "떡볶이", 0, 3)),
    ("엄마손분식", None), ("김밥천국", None), ("맘스터치", None), ("그집", None),
])
def test_a_shop_name_that_is_only_a_lexicon_word(surface: str, want: tuple | None) -> None:
    from nabiyam.nlu.normalize import lexicon_word

    assert lexicon_word(surface) == want


def test_mara_after_euro_and_a_donut_that_is_not_a_card_limit() -> None:
    """Found on other tiny-world seeds: "…으로 마라" lost 마라(탕); "푸짐한 도넛" read as 한도 (card limit)."""
    f = parse_rules("점심 만사천원으로 마라 먹을 수 있는 곳 있어?").filters
    assert (f.food_types, f.category, f.budget_max) == (["마라탕"], "중식", 14000)
    assert parse_rules("관악구에 푸짐한 도넛 먹고 싶어").intent == "FOOD_RECOMMENDATION"
    assert parse_rules("카드 한도 남은 걸로 먹을 데").intent == "BUDGET_FOOD_INQUIRY"
    assert parse_rules("먹지 마라").filters.food_types == []
