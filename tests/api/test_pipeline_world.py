"""The chat pipeline over a generated world (nabiyam.world, tiny): many random requests,
every shown shop re-checked against the catalogue itself, every answer style-checked and
claim-checked (`nabiyam.safety`)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nabiyam.chat.pipeline import ChatPipeline
from nabiyam.chat.variant import assign_variant, bucket
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.hours import KST
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import PriceHint, Recommendation, RequestContext
from nabiyam.nlg import style
from nabiyam.safety import AnswerRequest, check_answer, shop_violations

MESSAGES = ["{b} 치킨 먹을 수 있는 곳 있어?", "{b} 떡볶이", "아이랑 갈만한 건강한 저녁 식당 추천해줘", "배고파 {b} 뭐 먹지",
            "근처 짜장면 집 알려줘", "안 매운 거 먹고 싶어요", "친구랑 피자 먹을래 {b}", "{b} 김밥 ㅠㅠ", "햄버거먹고싶다",
            "가족이랑 {b} 저녁", "야식으로 치킨", "간식 뭐 먹지 {b}", "착한가게 분식집", "안녕", "고마워!", "날씨 어때"]
BUDGETS = ["", "만원으로", "8천원으로", "5천원으로", "3천원으로", "1만 5천원으로", "7,000원으로", "이천원으로"]


@pytest.fixture(scope="module")
def world_runtime(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from nabiyam.recsys.catalogue import CatalogueIndex
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import Settings
    from nabiyam.world import generate

    out: Path = tmp_path_factory.mktemp("world")
    generate("tiny", 11, out)
    settings = Settings(state_dir=out / "state", artifacts_dir=out / "none", model_cache_dir=out / "cache")
    return load_runtime(settings, catalogue=CatalogueIndex.from_world_dir(out), nlu_dir=None, ranker_dir=None)


def test_random_requests_never_show_a_shop_breaking_a_hard_filter(world_runtime: Any) -> None:
    rng = random.Random(5)
    cat = world_runtime.catalogue
    pipeline = ChatPipeline(world_runtime, conversations=None)
    start = datetime(2025, 6, 2, 6, 0, tzinfo=KST)
    shown = answered_empty = 0
    for i in range(400):
        message = rng.choice(MESSAGES).format(b=rng.choice(BUDGETS)).strip()
        at = start + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        district = rng.choice(list(DISTRICTS)[:3])
        centre = DISTRICTS[district]
        ctx = RequestContext(district=district, at=at, budget=rng.choice([None, None, 6000, 12000]),
                             lat=centre.lat + rng.uniform(-0.01, 0.01) if i % 2 else None,
                             lon=centre.lon + rng.uniform(-0.01, 0.01) if i % 2 else None)
        turn = pipeline.handle(f"u{i % 37}", message, ctx)
        assert style.check(turn.answer.text) == [], (message, turn.answer.text)
        claims = check_answer(AnswerRequest(turn.nlu.filters, ctx, turn.at, turn.origin), turn.items,
                              turn.answer.text, cat)
        assert claims.violations == [], (message, turn.answer.text, claims.violations)
        budgets = [b for b in (turn.nlu.filters.budget_max, ctx.budget) if b is not None]
        budget = min(budgets) if budgets else None
        for rec in turn.items:
            shop = cat.shops[cat.position[rec.shop_id]]
            assert shop.accepts_meal_card, (message, rec)
            assert shop.is_open(at), (message, at, rec)
            menu = {(m.name, m.price) for m in cat.menus[cat.position[rec.shop_id]]}
            if budget is not None:
                assert rec.price_hint is not None and rec.price_hint.price <= budget, (message, rec)
            if rec.price_hint is not None:
                assert (rec.price_hint.item, rec.price_hint.price) in menu
            assert rec.name in turn.answer.text
        shown += len(turn.items)
        answered_empty += turn.nothing_fits
    assert shown > 300 and answered_empty > 5  # both paths really exercised


def test_hard_filter_guard_reads_the_catalogue_not_the_recommenders_flags(world_runtime: Any) -> None:
    """Each hard filter is re-checked from the shop's own record, menu and hours: an item
    whose flags all say "fine" is still caught when the catalogue says otherwise."""
    cat = world_runtime.catalogue
    at = datetime(2025, 6, 4, 12, 30, tzinfo=KST)
    centre = DISTRICTS["관악구"]
    ctx = RequestContext(district="관악구", at=at)

    def rec_for(shop: Any, item: Any) -> Recommendation:  # every flag claims the shop is fine
        return Recommendation(shop_id=shop.shop_id, name=shop.name, category=shop.category, district=shop.district,
                              distance_m=10, price_hint=PriceHint(item=item.name, price=item.price),
                              is_good_shop=True, accepts_meal_card=True, open_now=True, score=0.5)

    def check(shop: Any, item: Any, filters: Filters, when: datetime = at) -> list[str]:
        req = AnswerRequest(filters, ctx.model_copy(update={"at": when}), when, (shop.lat, shop.lon))
        return shop_violations(rec_for(shop, item), req, cat)

    ok = next(s for s in cat.shops if s.accepts_meal_card and s.is_open(at) and cat.menus[cat.position[s.shop_id]])
    ok_item = cat.menus[cat.position[ok.shop_id]][0]
    assert check(ok, ok_item, Filters()) == []
    cardless = next(s for s in cat.shops if not s.accepts_meal_card and s.is_open(at))
    assert check(cardless, cat.menus[cat.position[cardless.shop_id]][0], Filters()) == ["meal_card"]
    closed_at = next(at + timedelta(hours=h) for h in range(1, 24 * 7) if not ok.is_open(at + timedelta(hours=h)))
    assert "open_now" in check(ok, ok_item, Filters(), closed_at)
    assert check(ok, ok_item, Filters(budget_max=ok_item.price - 1)) == ["budget"]
    fake = ok_item.model_copy(update={"price": 1000, "name": "없는 메뉴"})
    assert set(check(ok, fake, Filters(budget_max=5000))) >= {"budget", "price_hint"}
    other = next(d for d in DISTRICTS if d != ok.district)
    assert check(ok, ok_item, Filters(district=other)) == ["district"]
    if not ok.is_good_shop:
        assert check(ok, ok_item, Filters(good_shop_only=True)) == ["good_shop"]
    wrong = next(c for c in ("중식", "한식", "피자") if c != ok.category)
    assert check(ok, ok_item, Filters(category=wrong)) == ["category"]
    far = AnswerRequest(Filters(), ctx, at, (centre.lat + 0.2, centre.lon))  # ~22 km away
    assert shop_violations(rec_for(ok, ok_item), far, cat) == ["distance"]


def test_variant_assignment_is_stable_and_balanced() -> None:
    users = [f"u{i}" for i in range(4000)]
    first = [assign_variant(u, "exp-1", 0.5) for u in users]
    assert first == [assign_variant(u, "exp-1", 0.5) for u in users]
    share = first.count("treatment") / len(users)
    assert 0.46 < share < 0.54
    assert all(assign_variant(u, "exp-1", 0.0) == "control" for u in users[:100])
    assert all(assign_variant(u, "exp-1", 1.0) == "treatment" for u in users[:100])
    assert [bucket(u, "exp-1") for u in users[:50]] != [bucket(u, "exp-2") for u in users[:50]]
    with pytest.raises(ValueError):
        assign_variant("u1", "exp-1", 1.5)


def test_treatment_arm_is_served_by_the_treatment_recommender(world_runtime: Any) -> None:
    """Which recommender served is visible in what was shown: the treatment arm's
    recommender only knows every other shop, so a treatment user never sees a shop outside
    it, and control users do."""
    from dataclasses import dataclass

    from nabiyam.recsys import CatalogueIndex, Recommender

    cat = world_runtime.catalogue
    half = [s for i, s in enumerate(cat.shops) if i % 2 == 0]
    half_ids = {s.shop_id for s in half}
    menus = [m for s in half for m in cat.menus[cat.position[s.shop_id]]]
    treatment = Recommender(CatalogueIndex(list(cat.brands.values()), half, menus))

    @dataclass
    class Arms:  # the loaded runtime's parts, with a treatment arm (the pipeline's RuntimePort)
        nlu: Any
        recommender: Any
        treatment: Any
        catalogue: Any

        def reason(self, part: str) -> str:
            return world_runtime.reason(part)

    rt = Arms(world_runtime.nlu, world_runtime.recommender, treatment, cat)
    pipeline = ChatPipeline(rt, conversations=None, experiment="ranker-ab", treatment_share=0.5)
    shown: dict[str, set[str]] = {"control": set(), "treatment": set()}
    at = datetime(2025, 6, 4, 12, 30, tzinfo=KST)
    for i in range(60):
        user = f"user{i}"
        turn = pipeline.handle(user, "배고파 뭐 먹지", RequestContext(district="관악구", at=at))
        assert turn.variant == assign_variant(user, "ranker-ab", 0.5)
        assert turn.model_versions["ranker"] == (treatment if turn.variant == "treatment"
                                                 else rt.recommender).model_version
        shown[turn.variant] |= {r.shop_id for r in turn.items}
    assert shown["treatment"] and shown["treatment"] <= half_ids
    assert shown["control"] - half_ids  # control is not served by the half catalogue
