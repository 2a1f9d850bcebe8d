"""Deterministic normalizers: times, companions, diets, foods (with typos), places, flags."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nabiyam.domain.food import CATEGORY_ALIASES, FOODS
from nabiyam.domain.geo import DONG_TO_DISTRICT
from nabiyam.nlu.normalize import normalize, normalize_food
from nabiyam.nlu.rules import parse_rules


def filters(text: str) -> dict:
    return parse_rules(text).filters.model_dump(mode="json", exclude_defaults=True)


@pytest.mark.parametrize("word, value", [
    ("아침", "breakfast"), ("아침밥", "breakfast"), ("점심", "lunch"), ("점심때", "lunch"), ("저녁", "dinner"),
    ("저녁밥", "dinner"), ("야식", "late_night"), ("간식", "snack"), ("저녁밥으로", "dinner"), ("점심에", "lunch"),
])
def test_time_of_day(word: str, value: str) -> None:
    assert normalize("time_of_day", word) == value
    assert filters(f"{word} 먹을 데 추천해줘")["time_of_day"] == value


@pytest.mark.parametrize("word, value", [
    ("아이", "family"), ("애들", "family"), ("동생", "family"), ("가족", "family"), ("엄마", "family"),
    ("할머니", "family"), ("친구", "friends"), ("친구들", "friends"), ("혼자", "alone"), ("엄마랑", "family"),
    ("친구들이랑", "friends"),
])
def test_companion(word: str, value: str) -> None:
    assert normalize("companion", word) == value


@pytest.mark.parametrize("text, value", [
    ("건강한 밥집", ["healthy"]), ("건강식 추천", ["healthy"]), ("매운 거 먹고 싶어", ["spicy"]),
    ("매운거 땡겨", ["spicy"]), ("안 매운 거 있어?", ["not_spicy"]), ("안매운거", ["not_spicy"]),
    ("순한 맛으로", ["not_spicy"]), ("너무 맵지 않은 떡볶이", ["not_spicy"]), ("채식 식당", ["vegetarian"]),
    ("양 많은 곳", ["large_portion"]), ("양많은곳", ["large_portion"]),
])
def test_dietary(text: str, value: list[str]) -> None:
    assert filters(f"{text} 추천해줘")["dietary_preferences"] == value


@pytest.mark.parametrize("text, food, category", [
    ("치킨", "치킨", "치킨"), ("짜장면", "짜장면", "중식"), ("떡볶이", "떡볶이", "분식"), ("초밥", "초밥", "일식"),
    ("스파게티", "스파게티", "양식"), ("짜장멘", "짜장면", "중식"), ("떡뽂이", "떡볶이", "분식"), ("스시", "초밥", "일식"),
    ("파스타", "스파게티", "양식"), ("돈가스", "돈까스", "한식"),
])
def test_food_and_its_category(text: str, food: str, category: str) -> None:
    got = filters(f"{text} 먹고 싶어")
    assert got["food_types"] == [food]
    assert got["category"] == category


@pytest.mark.parametrize("typo, food", [("떡볶기", "떡볶이"), ("치낀", "치킨"), ("짬봉", "짬뽕"), ("떡복이랑", "떡볶이"),
                                        ("피쟈", "피자"), ("햄버가를", "햄버거")])
def test_food_typos_and_particles(typo: str, food: str) -> None:
    assert normalize_food(typo) == food


def test_every_lexicon_spelling_maps_to_its_food() -> None:
    for food in FOODS:
        for spelling in (food.name, *food.aliases):
            assert normalize_food(spelling) == food.name or normalize_food(spelling) in {f.name for f in FOODS}


@pytest.mark.parametrize("category", list(CATEGORY_ALIASES))
def test_category_words(category: str) -> None:
    for word in CATEGORY_ALIASES[category]:
        assert filters(f"{word} 추천해줘").get("category") == category, word


@pytest.mark.parametrize("text, district", [("관악구 맛집", "관악구"), ("신림동 맛집", "관악구"), ("봉천동에서", "관악구"),
                                            ("신림역 근처", "관악구"), ("사당에서", "동작구"), ("망원동", "마포구")])
def test_location(text: str, district: str) -> None:
    assert filters(f"{text} 추천해줘")["district"] == district


def test_every_dong_maps_to_its_district() -> None:
    for dong, district in DONG_TO_DISTRICT.items():
        assert normalize("location", dong) == district


@pytest.mark.parametrize("text", ["근처 밥집", "가까운 식당", "우리 동네 치킨", "집 앞 분식집", "학교 근처에 떡볶이"])
def test_near_me(text: str) -> None:
    assert filters(f"{text} 추천해줘")["near_me"] is True


@pytest.mark.parametrize("text", ["착한가게 추천", "착한 가게 중에 떡볶이", "착한식당 있어?"])
def test_good_shop(text: str) -> None:
    assert filters(text)["good_shop_only"] is True


def test_short_words_split_by_a_space_are_not_matched() -> None:
    assert filters("그럼 아 이거 추천해줘") == {}


def test_missing_spaces_and_negation() -> None:
    assert filters("아이랑저녁에건강한한식먹을데") == {"companion": "family", "time_of_day": "dinner",
                                                   "dietary_preferences": ["healthy"], "category": "한식"}
    assert filters("치킨 말고 피자 먹을래") == {"food_types": ["피자"], "category": "피자"}
    assert filters("피자랑 치킨") == {"food_types": ["피자", "치킨"]}  # two categories: no single category filter


def test_seed_examples() -> None:
    r = parse_rules("아이랑 갈만한 건강한 저녁 식당 추천해줘")
    assert r.intent == "FOOD_RECOMMENDATION"
    assert [(e.type, e.text, e.start, e.end) for e in r.entities] == [
        ("companion", "아이", 0, 2), ("dietary_preference", "건강한", 8, 11), ("time_of_day", "저녁", 12, 14)]
    assert r.semantic_query == "가족 건강식 저녁 식당"
    r = parse_rules("만원으로 치킨 먹을 수 있는 곳 있어?")
    assert r.intent == "BUDGET_FOOD_INQUIRY"
    assert r.filters.budget_max == 10000 and r.filters.category == "치킨"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_rules_never_raise_and_spans_point_into_the_text(text: str) -> None:
    r = parse_rules(text)
    assert r.source == "rules"
    for e in r.entities:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start:e.end] == e.text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["만원", "으로", " ", "떡뽂이", "아이랑", "저녁", "근처", "ㅠㅠ", "안 매운", "신림동", "ᄀ", "ᅡ",
                                 "\u200b", "Ｃ", "🍗", "죽겠어", "만두"]), max_size=12).map("".join))
def test_spans_survive_odd_characters(text: str) -> None:
    for e in parse_rules(text).entities:
        assert text[e.start:e.end] == e.text
