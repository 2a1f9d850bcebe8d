"""Honest price hints and reasons: "만원으로 치킨" must never read as "치킨이 4,000원".

Hand-built 치킨 shops (real records, real CatalogueIndex, the recommender without a ranker),
so each case is known exactly: the asked food fits, only a same-category dish fits, only sides fit.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from nabiyam.domain.catalogue import MenuItem, Shop
from nabiyam.domain.hours import KST
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import RequestContext
from nabiyam.domain.recommendation import ReasonCode, Recommendation
from nabiyam.nlg import style, templates
from nabiyam.nlg.reasons import render_reasons
from nabiyam.recsys.catalogue import CatalogueIndex, food_matches
from nabiyam.recsys.recommender import Recommender

pytestmark = pytest.mark.xdist_group("recsys-unit")

ALWAYS = "; ".join(f"{d} 00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
CENTRE = (37.4842, 126.9297)
CONTEXT = RequestContext(lat=CENTRE[0], lon=CENTRE[1], district="관악구", at=datetime(2026, 3, 4, 18, 0, tzinfo=KST))
CHICKEN_10K = Filters(food_types=["치킨"], category="치킨", budget_max=10000)

# shop_id, name, category, rating, orders, good, menus [(name, food, price)]
SIDES_ONLY = ("C001", "푸짐한통닭", "치킨", 4.9, 900, True,
              [("후라이드치킨", "후라이드치킨", 16000), ("양념치킨", "양념치킨", 17000),
               ("특감자튀김", "감자튀김", 4000), ("감자튀김", "감자튀김", 3500)])
GANGJEONG = ("C002", "치킨플러스", "치킨", 4.2, 300, False,
             [("후라이드치킨", "후라이드치킨", 15000), ("닭강정", "닭강정", 9000), ("감자튀김", "감자튀김", 3500),
              ("어묵탕", "어묵", 3000)])
CHEAP_CHICKEN = ("C003", "옛날통닭 신림점", "치킨", 3.6, 20, False,
                 [("옛날통닭", "치킨", 9900), ("감자튀김", "감자튀김", 3000)])
BURGER = ("C004", "꼬마 버거", "패스트푸드", 4.5, 500, True, [("햄버거", "햄버거", 6000), ("감자튀김", "감자튀김", 2500)])


def _catalogue(*shops: tuple) -> CatalogueIndex:
    records, menus = [], []
    for k, (sid, name, cat, rating, orders, good, items) in enumerate(shops):
        records.append(Shop(shop_id=sid, name=name, brand_id=None, category=cat, district="관악구", dong="신림동",
                            address=f"서울 관악구 신림로 {k}", lat=CENTRE[0] + 0.001 * k, lon=CENTRE[1],
                            opening_hours=ALWAYS, accepts_meal_card=True, is_good_shop=good, rating=rating,
                            review_count=orders // 10, order_count=orders, opened_on=date(2020, 1, 1)))
        menus += [MenuItem(menu_id=f"{sid}-M{i}", shop_id=sid, name=n, food=f, price=p)
                  for i, (n, f, p) in enumerate(items)]
    return CatalogueIndex.from_records([], records, menus)


def _recommend(cat: CatalogueIndex, filters: Filters = CHICKEN_10K):
    return Recommender(cat).recommend("u_test", filters, CONTEXT, semantic_query="만원으로 치킨 먹을 수 있는 곳 있어?")


def _said(rec: Recommendation) -> str:
    """The reasons as the NLG words them (the recommender hands over codes and facts only)."""
    return render_reasons(rec.reasons)


def test_generic_food_matches_its_variants_not_substitutes() -> None:
    assert food_matches("후라이드치킨", "치킨") and food_matches("치킨", "치킨") and food_matches("순살치킨", "치킨")
    assert not food_matches("닭강정", "치킨") and not food_matches("감자튀김", "치킨")
    assert not food_matches("치킨", "후라이드치킨")  # asking for 후라이드 is not satisfied by any 치킨


def test_the_reported_scenario_never_claims_chicken_within_budget() -> None:
    """만원으로 치킨: every shop's chicken costs 15,000+; the answer must say so, not "찾는 메뉴가 있고"."""
    cat = _catalogue(SIDES_ONLY, GANGJEONG, BURGER)
    result = _recommend(cat)
    by_id = {r.shop_id: r for r in result.items}
    assert set(by_id) == {"C001", "C002"}  # hard filters unchanged: both chicken shops still qualify
    for rec in result.items:
        assert rec.reason == "" and rec.reasons  # structured; no Korean from the recommender
        assert "찾는" not in _said(rec), _said(rec)
        assert ReasonCode.ASKED_FOOD_FITS not in [r.code for r in rec.reasons]
        assert rec.price_hint is not None and rec.price_hint.price <= 10000
        assert rec.price_hint.kind != "asked"
    gangjeong = by_id["C002"].price_hint
    assert (gangjeong.item, gangjeong.price, gangjeong.kind) == ("닭강정", 9000, "same_category")
    assert (gangjeong.asked_item, gangjeong.asked_price) == ("후라이드치킨", 15000)
    assert _said(by_id["C002"]).startswith("치킨 한 마리는 예산을 넘지만 닭강정은 9,000원이라 먹을 수 있")
    sides = by_id["C001"].price_hint
    assert (sides.item, sides.price, sides.kind, sides.asked_price) == ("특감자튀김", 4000, "other", 16000)
    assert sides.is_side and not gangjeong.is_side
    assert _said(by_id["C001"]).startswith("치킨 한 마리는 예산을 넘지만 특감자튀김은 4,000원이라")
    # A same-category main outranks a shop that has only sides, although the latter is better rated and busier.
    assert [r.shop_id for r in result.items] == ["C002", "C001"]

    text = templates.recommendations(CHICKEN_10K, result.items, "c1", 10000).text
    first = text.splitlines()[0]
    assert "어려워요" in first and "15,000원" in first, text  # says so, and what budget would do
    assert "치킨 대신 닭강정 9,000원" in text
    # only sides fit at C001: said honestly, not as "치킨 대신" a meal
    assert "10,000원 안에서는 특감자튀김 4,000원 같은 간단한 메뉴만 있어요." in text, text
    # the substitute is said once per shop (price line), not again in the reason line under it
    assert text.count("닭강정") == 1 and text.count("특감자튀김") == 1, text
    assert "예산을 넘지만" not in text, text
    assert style.check(text) == [], text


@pytest.mark.parametrize("asked,over,expected", [
    ("치킨", True, "치킨 한 마리는 예산을 넘지만 닭강정 컵은 8,000원이라 먹을 수 있어요"),
    ("떡볶이", False, "떡볶이는 없지만 닭강정 컵은 8,000원이라 먹을 수 있어요"),
    ("피자", True, "피자 한 판은 예산을 넘지만 닭강정 컵은 8,000원이라 먹을 수 있어요")])
def test_substitute_reason_is_words_from_its_facts(asked, over, expected) -> None:
    from nabiyam.domain.recommendation import Reason

    r = Reason(code=ReasonCode.SUBSTITUTE, item="닭강정 컵", price=8000, asked=asked,
               asked_item="후라이드치킨" if over else None, asked_price=16000 if over else None)
    assert render_reasons([r]) == expected
    # the answer's reason line never repeats what the price line says
    from nabiyam.nlg.reasons import HINT_CODES

    assert render_reasons([r], skip=HINT_CODES) == ""


def test_when_chicken_fits_it_is_the_hint_and_ranks_first() -> None:
    cat = _catalogue(SIDES_ONLY, GANGJEONG, CHEAP_CHICKEN, BURGER)
    result = _recommend(cat)
    assert [r.shop_id for r in result.items] == ["C003", "C002", "C001"]  # asked > same category > sides only
    top = result.items[0]
    assert (top.price_hint.item, top.price_hint.price, top.price_hint.kind) == ("옛날통닭", 9900, "asked")
    assert top.price_hint.asked_price is None
    assert _said(top).startswith("찾는 옛날통닭이 9,900원이라 예산 안에 먹을 수 있")
    # The same request with a budget that fits every chicken: all three shops show chicken itself.
    rich = _recommend(cat, CHICKEN_10K.model_copy(update={"budget_max": 20000}))
    assert {r.shop_id: r.price_hint.item for r in rich.items} == {
        "C001": "후라이드치킨", "C002": "후라이드치킨", "C003": "옛날통닭"}
    assert all(r.price_hint.kind == "asked" for r in rich.items)

    text = templates.recommendations(CHICKEN_10K, result.items, "c2", 10000).text
    assert text.splitlines()[0].startswith("10,000원으로 치킨을 먹을 수 있는 곳 1곳과 비슷한 메뉴가 있는 곳 2곳")
    assert "   옛날통닭 9,900원이면 먹을 수 있어요." in text
    assert style.check(text) == [], text


def test_only_a_substitute_fits() -> None:
    cat = _catalogue(GANGJEONG, BURGER)
    result = _recommend(cat)
    (rec,) = result.items
    assert (rec.price_hint.item, rec.price_hint.kind) == ("닭강정", "same_category")  # not 감자튀김 or 어묵탕
    assert "찾는" not in _said(rec)
    text = templates.recommendations(CHICKEN_10K, result.items, "c3", 10000).text
    assert text.splitlines()[0] == "아쉽지만 10,000원으로는 치킨을 먹기 어려워요 😢 예산이 15,000원이면 먹을 수 있어요."
    assert style.check(text) == [], text


def test_no_food_asked_shows_the_most_substantial_main_not_a_side() -> None:
    cat = _catalogue(GANGJEONG)
    (rec,) = _recommend(cat, Filters(budget_max=10000)).items
    assert (rec.price_hint.item, rec.price_hint.kind) == ("닭강정", "other")
    assert "찾는" not in _said(rec)


def test_category_only_request_counts_its_main_dishes_as_asked() -> None:
    cat = _catalogue(GANGJEONG, CHEAP_CHICKEN)
    result = _recommend(cat, Filters(category="치킨", budget_max=10000))
    assert {r.shop_id: (r.price_hint.item, r.price_hint.kind) for r in result.items} == {
        "C002": ("닭강정", "asked"), "C003": ("옛날통닭", "asked")}
