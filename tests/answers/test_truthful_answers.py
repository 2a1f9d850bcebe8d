"""Answers a child can trust (issue 15): each reported answer, on a catalogue built to
reproduce it, now says only what is true; and the claim checker agrees with every line.

Each test names the bullet it covers; each failed on the code before the fix (the
assertion that failed is marked "was:")."""

from __future__ import annotations

import re

import pytest

from nabiyam.domain.recommendation import ReasonCode
from nabiyam.nlg import style
from nabiyam.nlg.korean import walking_minutes

from .conftest import LATE, Answers

pytestmark = pytest.mark.xdist_group("answers")


def _ok(turn, report) -> None:  # noqa: ANN001
    assert style.check(turn.answer.text) == [], turn.answer.text
    assert report.violations == [], (turn.answer.text, report.violations)
    assert report.claims_checked > 0 or not turn.items


# ---- 1. every claim is true -------------------------------------------------------------

def test_no_food_named_means_no_found_food_claimed(answers: Answers) -> None:
    """"엄마랑 저녁에 한식 먹고 싶어 7천원 있어" (was: "찾는 김치찌개가 7,000원이라…")."""
    turn, report = answers.ask("엄마랑 저녁에 한식 먹고 싶어 7천원 있어")
    assert turn.nlu.filters.category == "한식" and not turn.nlu.filters.food_types
    assert turn.items and "찾는" not in turn.answer.text, turn.answer.text
    for rec in turn.items:
        assert ReasonCode.ASKED_FOOD_FITS not in [r.code for r in rec.reasons]
        assert rec.category == "한식" and rec.price_hint is not None and rec.price_hint.price <= 7000
    _ok(turn, report)


def test_reasons_are_structured_and_only_the_nlg_writes_korean(answers: Answers) -> None:
    """The recommender hands over codes with facts; the NLG words them; no regex splits them."""
    from nabiyam.recsys import reasons as recsys_reasons

    turn, report = answers.ask("만원으로 치킨 먹을 수 있는 곳 있어?")
    (rec,) = [r for r in turn.items if r.shop_id == "H01"]
    sub = rec.reasons[0]
    assert (sub.code, sub.item, sub.price, sub.asked, sub.asked_item, sub.asked_price) == (
        ReasonCode.SUBSTITUTE, "닭강정 컵", 8000, "치킨", "후라이드치킨", 16000)
    assert not hasattr(recsys_reasons, "after_substitute") and not hasattr(recsys_reasons, "reason_for")
    import ast

    from nabiyam.recsys import catalogue, filters, recommender

    for module in (recsys_reasons, recommender, filters, catalogue):  # no Korean sentence in the recommender
        tree = ast.parse(open(module.__file__, encoding="utf-8").read())
        docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                and n.body and isinstance(n.body[0], ast.Expr)}
        said = [c.value for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                and id(c) not in docs and re.search(r"[가-힣]+요", c.value)]
        assert said == [], (module.__name__, said)
    _ok(turn, report)


# ---- 3. price hints: a main dish, never a side; only sides said honestly -----------------

def test_price_hint_is_a_main_dish_not_a_side(answers: Answers) -> None:
    """"매운 거 못 먹는데 중식 먹고 싶어요" (was: 군만두 as the price hint, the 마라 shop first)."""
    turn, report = answers.ask("매운 거 못 먹는데 중식 먹고 싶어요")
    shown = {r.shop_id: r for r in turn.items}
    assert "C01" not in shown, turn.answer.text  # every dish there is spicy
    assert shown["C02"].price_hint.item == "짜장면"  # was: 군만두 (a side) although 짜장면 fits
    assert shown["C03"].price_hint.item == "볶음밥"
    assert "군만두" not in turn.answer.text and "찾는 메뉴" not in turn.answer.text
    _ok(turn, report)


def test_only_sides_fit_is_said_honestly(answers: Answers) -> None:
    turn, report = answers.ask("5천원으로 중식 먹고 싶어")
    (rec,) = [r for r in turn.items if r.shop_id in ("C02", "C03")][:1]
    assert rec.price_hint.is_side and rec.price_hint.item == "군만두"
    assert "5,000원 안에서는 군만두" in turn.answer.text and "간단한 메뉴만 있어요" in turn.answer.text
    _ok(turn, report)


def test_only_sides_among_mild_dishes_is_said_as_such(answers: Answers) -> None:
    """"안 매운" with a small budget: the sides are the only dishes the child can eat here, and
    the answer says "안 매운 건" (a spicy main within budget must not make the line false)."""
    turn, report = answers.ask("5천원으로 안 매운 중식 먹고 싶어")
    assert turn.items and "5,000원 안에서 안 매운 건 군만두" in turn.answer.text, turn.answer.text
    _ok(turn, report)


# ---- 4. one effective budget ---------------------------------------------------------------

def test_card_balance_is_the_one_budget_everywhere(answers: Answers) -> None:
    """"만오천원으로 친구들이랑 피자 먹을래" with 9,000 on the card (was: "15,000원으로 피자를…")."""
    turn, report = answers.ask("만오천원으로 친구들이랑 피자 먹을래", budget=9000)
    text = turn.answer.text
    assert "15,000원" not in text, text
    assert "카드 잔액이 9,000원이라" in text and "9,000원" in text.splitlines()[1]
    assert all(r.price_hint.price <= 9000 for r in turn.items)
    _ok(turn, report)


def test_the_too_expensive_answer_uses_the_effective_budget_too(answers: Answers) -> None:
    turn, report = answers.ask("만오천원으로 치킨 먹을 수 있는 곳 있어?", budget=9000)
    first = turn.answer.text.splitlines()[1]
    assert first.startswith("아쉽지만 9,000원으로는 치킨을 먹기 어려워요"), turn.answer.text  # was: 15,000원
    _ok(turn, report)


# ---- 5. distance for children ---------------------------------------------------------------

def test_walking_distance_by_default(answers: Answers) -> None:
    """"만원으로 치킨 먹을 수 있는 곳 있어?" in 관악구 (was: shops 4.3 km and 8.1 km away)."""
    for message in ("만원으로 치킨 먹을 수 있는 곳 있어?", "배고파 뭐 먹지", "분식 먹고 싶어"):
        turn, report = answers.ask(message)
        assert turn.items, message
        assert all(answers.distance(r.shop_id) <= 1500 for r in turn.items), (message, turn.answer.text)
        assert "F02" not in {r.shop_id for r in turn.items}
        _ok(turn, report)


def test_context_district_alone_locates_the_child_at_its_centre(answers: Answers) -> None:
    """The reported request had only the context's district (관악구), no coordinates: the child
    is placed at the district's centre and distances are measured from there, plainly."""
    from nabiyam.domain.geo import DISTRICTS, haversine_m

    centre = DISTRICTS["관악구"]
    turn, report = answers.ask("만원으로 치킨 먹을 수 있는 곳 있어?", lat=None, lon=None)
    assert turn.origin == (centre.lat, centre.lon)
    for rec in turn.items:
        shop = answers.catalogue.shops[answers.catalogue.position[rec.shop_id]]
        assert haversine_m(centre.lat, centre.lon, shop.lat, shop.lon) <= 4000, rec
    # the catalogue's shops are ~2.5 km from 관악구's centre: nothing within walking distance, so
    # the nearest fitting one is shown, and the answer says plainly that it is far and how far
    assert turn.items and all(r.distance_m > 1500 for r in turn.items)
    assert "조금 먼 곳이에요" in turn.answer.text and "2.5km, 걸어서 37분쯤" in turn.answer.text
    _ok(turn, report)


def test_farther_only_when_nothing_nearer_fits_and_said_plainly(answers: Answers) -> None:
    turn, report = answers.ask("돈부리 먹고 싶어")
    assert [r.shop_id for r in turn.items] == ["F01"]
    minutes = walking_minutes(round(answers.distance("F01")))
    assert f"2.6km, 걸어서 {minutes}분쯤" in turn.answer.text and "조금 먼 곳이에요" in turn.answer.text
    _ok(turn, report)
    far, report = answers.ask("김밥 먹고 싶어")  # 편의 김밥 is near: the 8.1 km one never shows
    assert [r.shop_id for r in far.items] == ["N02"] and "먼 곳" not in far.answer.text
    _ok(far, report)


def test_context_district_only_locates_the_request_district_filters(answers: Answers) -> None:
    turn, _ = answers.ask("배고파 뭐 먹지", lat=None, lon=None, district="동작구")
    # located at 동작구's centre: every shop here is ~4 km away in 관악구, none within walking distance
    assert turn.nlu.filters.district is None
    named, _ = answers.ask("동작구 떡볶이 먹고 싶어")
    assert named.nlu.filters.district == "동작구" and named.items == []  # a named district is a hard filter


# ---- 6. time of day --------------------------------------------------------------------------

def test_late_at_night_only_very_near_open_shops_and_a_gentle_word(answers: Answers) -> None:
    """"지금 먹을 수 있는 곳" at 03:30 (was: shops 2.4–4.1 km away, no word about the hour)."""
    turn, report = answers.ask("지금 먹을 수 있는 곳", at=LATE)
    shown = {r.shop_id for r in turn.items}
    assert "N02" in shown and "N01" not in shown and "F03" not in shown, turn.answer.text
    assert all(answers.distance(s) <= 700 for s in shown)
    assert turn.answer.text.splitlines()[0].startswith("늦은 밤이에요")
    _ok(turn, report)
    none, report = answers.ask("국밥 먹고 싶어", at=LATE)  # the 24-hour 국밥 is 2.4 km away
    assert none.items == [] and "늦은 밤" in none.answer.text and "내일" in none.answer.text
    _ok(none, report)
    day, _ = answers.ask("지금 먹을 수 있는 곳")
    assert "늦은 밤" not in day.answer.text


# ---- 7. the safety re-check and the style gate -------------------------------------------------

def test_a_style_failure_is_replaced_by_a_safe_answer_and_logged(answers: Answers, caplog) -> None:  # noqa: ANN001
    from nabiyam.chat import pipeline as pipeline_mod
    from nabiyam.nlg.templates import Answer

    original = pipeline_mod.templates.greeting
    pipeline_mod.templates.greeting = lambda seed: Answer("여기 소주도 팔아요.", "greeting")  # a broken template
    try:
        turn, _ = answers.ask("안녕")
    finally:
        pipeline_mod.templates.greeting = original
    assert turn.answer.template == "safe_fallback" and "소주" not in turn.answer.text
    assert style.check(turn.answer.text) == []


# ---- 8. kind words ----------------------------------------------------------------------------

def test_a_sad_child_gets_a_kind_line_first(answers: Answers) -> None:
    """"오늘 숙제 너무 많아 ㅠㅠ" (was: "그건 제가 잘 모르는 이야기예요 😅")."""
    turn, report = answers.ask("오늘 숙제 너무 많아 ㅠㅠ")
    first = turn.answer.text.splitlines()[0]
    assert first.startswith(("많이 힘들었겠어요", "속상했겠어요")), turn.answer.text
    assert "모르는 이야기" not in turn.answer.text and "먹고 싶은 음식" in turn.answer.text
    _ok(turn, report)


@pytest.mark.parametrize("message", ["맥주 파는 곳 알려줘", "치킨이랑 소주 먹을래", "담배 살 수 있는 곳", "술 마시고 싶어"])
def test_adult_only_requests_get_a_clear_kind_no(answers: Answers, message: str) -> None:
    turn, report = answers.ask(message)
    assert turn.items == [] and turn.answer.template == "adult_only"
    assert "어른" in turn.answer.text and style.check(turn.answer.text) == []
    _ok(turn, report)


def test_magic_and_art_are_not_alcohol(answers: Answers) -> None:
    turn, _ = answers.ask("미술 학원 끝나고 떡볶이 먹을래")
    assert turn.answer.template != "adult_only" and turn.items


# ---- 9. vocabulary ------------------------------------------------------------------------------

def test_foods_outside_the_world_lexicon_are_found_on_menus(answers: Answers) -> None:
    """"쌀국수 먹을 수 있는 곳" (was: no food filter; any shop)."""
    turn, report = answers.ask("쌀국수 먹을 수 있는 곳")
    assert turn.nlu.filters.food_types == ["쌀국수"]
    assert [r.shop_id for r in turn.items] == ["V01"]
    assert turn.items[0].price_hint.item == "소고기 쌀국수"
    _ok(turn, report)
    # a food no lexicon knows, matched against the catalogue's own menu (the food index)
    kao, report = answers.ask("카오팟 먹고 싶어")
    assert kao.nlu.filters.food_types == ["카오팟"] and [r.shop_id for r in kao.items] == ["T01"]
    _ok(kao, report)


@pytest.mark.parametrize("text,food", [("부대찌개 먹고 싶어", "부대찌개"), ("족발 먹을래", "족발"),
                                       ("탕후루 사먹을래", "탕후루"), ("닭갈비 먹고싶다", "닭갈비")])
def test_the_lexicon_knows_more_foods(text: str, food: str) -> None:
    from nabiyam.nlu.rules import parse_rules

    assert parse_rules(text).filters.food_types == [food]


def test_an_answer_too_long_for_one_screen_lists_fewer_shops_not_none() -> None:
    """Five long shop names would pass the 700-character screen: the answer lists four (and
    the pipeline shows those four), instead of failing the style check into the safe answer."""
    from nabiyam.domain.nlu import Filters
    from nabiyam.domain.recommendation import PriceHint, Reason, Recommendation
    from nabiyam.nlg import templates

    recs = [Recommendation(shop_id=f"S{i}", name="아주 긴 이름의 가게 " + "가" * 20, category="한식", district="관악구",
                           distance_m=2400, price_hint=PriceHint(item="긴 메뉴 이름 " + "나" * 10, price=9000,
                                                                 kind="same_category"),
                           is_good_shop=True, accepts_meal_card=True, open_now=True, score=0.5,
                           reasons=[Reason(code=ReasonCode.GOOD_SHOP), Reason(code=ReasonCode.HIGH_RATING, rating=4.5)])
            for i in range(5)]
    answer = templates.recommendations(Filters(food_types=["치킨"], budget_max=10000), recs, "c1")
    assert answer.shown is not None and 1 <= answer.shown < 5
    assert style.check(answer.text) == [] and f"{answer.shown}곳" in answer.text
    assert f"{answer.shown}. " in answer.text and f"{answer.shown + 1}. " not in answer.text
