"""NLG answers obey the child-friendly style rules, over many generated answers."""

from __future__ import annotations

import itertools
import random

import pytest

from nabiyam.domain.food import CATEGORIES, FOODS
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import PriceHint, Reason, ReasonCode, Recommendation
from nabiyam.nlg import style, templates
from nabiyam.nlg.korean import josa, won

REASONS = [Reason(code=ReasonCode.NEAR, distance_m=420), Reason(code=ReasonCode.GOOD_SHOP),
           Reason(code=ReasonCode.HIGH_RATING, rating=4.6), Reason(code=ReasonCode.FAVOURITE_SHOP),
           Reason(code=ReasonCode.FREQUENT_SHOP), Reason(code=ReasonCode.FAVOURITE_BRAND),
           Reason(code=ReasonCode.USUAL_CATEGORY, category="분식"), Reason(code=ReasonCode.DIET_MATCH, diet="healthy"),
           Reason(code=ReasonCode.ASKED_CATEGORY, category="한식"),
           Reason(code=ReasonCode.SUBSTITUTE, item="닭강정 컵", price=8000, asked="치킨", asked_item="후라이드치킨",
                  asked_price=16000),
           Reason(code=ReasonCode.ASKED_FOOD_FITS, item="후라이드치킨", price=16000, asked="치킨")]
NAMES = ["바삭치킨 신림점", "엄마손 분식", "건강한 밥상", "꼬마 버거", "Pizza Joy", "김밥천국 24", "행복한 떡볶이",
         "신림 중화반점", "초록 샐러드", "달콤 빙수"]


def test_checker_catches_each_rule() -> None:
    assert style.is_child_friendly("맛있는 떡볶이 집을 찾았어요! 😊")
    assert [p.rule for p in style.check("이 식당은 맛있습니다.")] == ["ending"]
    assert [p.rule for p in style.check("이거 먹어.")] == ["ending"]
    assert "banned_word" in {p.rule for p in style.check("여기 소주도 팔아요.")}
    assert "sentence_length" in {p.rule for p in style.check("가" * 80 + "요.")}
    assert "emoji" in {p.rule for p in style.check("좋아요 😊😊😊😊😊😊😊")}
    assert "answer_length" in {p.rule for p in style.check("\n".join(["맛있어요."] * 200))}
    assert [p.rule for p in style.check("  ")] == ["empty"]


def test_list_numbers_are_not_sentences() -> None:
    assert style.sentences("1. 엄마손 분식 · 분식\n떡볶이가 맛있어요.") == ["1. 엄마손 분식 · 분식", "떡볶이가 맛있어요."]


@pytest.mark.parametrize(("word", "pair", "expected"), [
    ("치킨", "은/는", "치킨은"), ("피자", "은/는", "피자는"), ("떡볶이", "을/를", "떡볶이를"),
    ("김밥", "이에요/예요", "김밥이에요"), ("카페", "이에요/예요", "카페예요"), ("서울", "으로/로", "서울로"),
    ("10,000원", "으로/로", "10,000원으로"), ("버거 2", "이/가", "버거 2가"),
])
def test_josa(word: str, pair: str, expected: str) -> None:
    assert josa(word, pair) == expected


def _random_recs(rng: random.Random, n: int, budget: int | None) -> list[Recommendation]:
    recs = []
    for i in range(n):
        food = rng.choice(FOODS)
        price = rng.randint(1000, budget) if budget else rng.randint(1000, 30000)
        recs.append(Recommendation(
            shop_id=f"S{i}", name=rng.choice(NAMES), category=food.category, district="관악구",
            distance_m=rng.choice([None, 50, 400, 1400, 3200]), price_hint=PriceHint(item=food.name, price=price),
            is_good_shop=rng.random() < 0.4, accepts_meal_card=True, open_now=True, score=rng.random(),
            reason=rng.choice(["", "이 식당은 훌륭합니다"]),  # free text: never passed through to the answer
            reasons=rng.sample(REASONS, rng.randrange(0, 4)),
            funnels={"collaborative": rng.random(), "popularity": rng.random()}))
    return recs


def test_many_generated_answers_pass_the_style_checker() -> None:
    """Every template × filter combination × random shop lists: zero style problems."""
    rng = random.Random(7)
    diets = [[], ["healthy"], ["not_spicy", "large_portion"], ["spicy"]]
    times = [None, "lunch", "dinner", "late_night", "snack"]
    foods = [[], ["떡볶이"], ["치킨", "피자"]]
    checked = 0
    for diet, tod, food, cat, budget in itertools.product(diets, times, foods, [None, *CATEGORIES[:4]],
                                                          [None, 5000, 10000, 15000]):
        filters = Filters(dietary_preferences=diet, time_of_day=tod, food_types=food, category=cat, budget_max=budget)
        seed = f"c{checked}"
        answers = [templates.recommendations(filters, _random_recs(rng, rng.randint(1, 5), budget), seed, budget),
                   templates.nothing_fits(filters, seed, budget)]
        for answer in answers:
            assert style.check(answer.text) == [], answer.text
            checked += 1
    for seed in (f"s{i}" for i in range(30)):
        for answer in (templates.greeting(seed), templates.out_of_scope(seed), templates.feedback_thanks(True, seed),
                       templates.feedback_thanks(False, seed), templates.shop_not_found(seed), templates.unavailable(),
                       templates.menu("엄마손 분식", [("떡볶이", 4000), ("김밥", 3500)], 5000),
                       templates.menu("엄마손 분식", [], 1000), templates.menu("엄마손 분식", [], None),
                       templates.shop_info("엄마손 분식", "관악구", "신림동", seed.endswith("1"), True, 4.4, True,
                                           "11:00~21:00"),
                       templates.nothing_fits(Filters(), seed, None, ["예산을 12,000원 이상으로 올려 보세요."])):
            assert style.check(answer.text) == [], answer.text
            checked += 1
    assert checked > 1500


def test_recommendation_answer_mentions_every_shop_price_and_a_reason() -> None:
    recs = _random_recs(random.Random(1), 3, 10000)
    text = templates.recommendations(Filters(food_types=["치킨"], budget_max=10000), recs, "c1").text
    for rec in recs:
        assert rec.name in text
        assert won(rec.price_hint.price) in text
    assert text.count("\n   ") == 6  # a price line and a reason line per shop
    # Only structured reasons become words: the recommender's free text never reaches a child.
    bad = recs[0].model_copy(update={"reason": "이 식당은 훌륭합니다"})
    assert "훌륭합니다" not in templates.recommendations(Filters(), [bad], "c2").text


def test_nothing_fits_suggests_what_to_try() -> None:
    text = templates.nothing_fits(Filters(food_types=["치킨"], budget_max=3000), "c1").text
    assert "예산" in text and "다른 동네" in text and "다시" in text


def test_substitute_answers_pass_the_style_checker_and_say_so_first() -> None:
    """Price hints of every kind (asked / same category / other, with and without the asked
    food's price), every request shape: zero style problems; no shop with the asked food →
    the first line says so."""
    rng = random.Random(11)
    kinds = ["asked", "same_category", "other", None]
    checked = 0
    for food, cat, budget in itertools.product([[], ["치킨"], ["떡볶이", "김밥"]], [None, "치킨", "분식"],
                                               [None, 5000, 10000]):
        filters = Filters(food_types=food, category=cat, budget_max=budget)
        for _ in range(6):
            recs = _random_recs(rng, rng.randint(1, 5), budget)
            for rec in recs:
                kind = rng.choice(kinds)
                over = rng.choice([None, rng.randint((budget or 5000) + 500, 30000)])
                rec.price_hint = rec.price_hint.model_copy(update={
                    "kind": kind, "asked_item": "후라이드치킨" if over else None, "asked_price": over})
            text = templates.recommendations(filters, recs, f"k{checked}", budget).text
            assert style.check(text) == [], text
            asked = bool(food or cat)
            substitutes = [r.price_hint.kind in ("same_category", "other") for r in recs]
            first = text.splitlines()[0]
            if asked and all(substitutes):
                assert first.startswith("아쉽지만"), text
            else:
                assert not first.startswith("아쉽지만"), text
            checked += 1
    assert checked == 162
