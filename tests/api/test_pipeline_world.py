"""The chat pipeline over a generated world (nabiyam.world, tiny): many random requests,
every shown shop re-checked against the catalogue itself, every answer style-checked."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nabiyam.chat.pipeline import ChatPipeline, hard_filter_violations
from nabiyam.chat.variant import assign_variant, bucket
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.hours import KST
from nabiyam.domain.recommendation import PriceHint, Recommendation, RequestContext
from nabiyam.nlg import style

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


def test_hard_filter_guard_catches_each_violation() -> None:
    ok = Recommendation(shop_id="S1", name="가게", category="분식", district="관악구", distance_m=10,
                        price_hint=PriceHint(item="김밥", price=3000), is_good_shop=False, accepts_meal_card=True,
                        open_now=True, score=0.5, reason="")
    assert hard_filter_violations(ok, 5000) == []
    assert hard_filter_violations(ok.model_copy(update={"accepts_meal_card": False}), None) == ["meal_card"]
    assert hard_filter_violations(ok.model_copy(update={"open_now": False}), None) == ["open_now"]
    assert hard_filter_violations(ok, 2000) == ["budget"]
    assert hard_filter_violations(ok.model_copy(update={"price_hint": None}), 2000) == ["budget"]


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


def test_treatment_arm_uses_the_treatment_ranker(world_runtime: Any) -> None:
    import dataclasses

    from nabiyam.recsys import Recommender

    treatment = Recommender.load(None, world_runtime.catalogue)
    rt = dataclasses.replace(world_runtime, treatment=treatment)
    pipeline = ChatPipeline(rt, conversations=None, experiment="ranker-ab", treatment_share=0.5)
    seen = {}
    for i in range(40):
        user = f"user{i}"
        turn = pipeline.handle(user, "만원으로 떡볶이", RequestContext(district="관악구"))
        assert turn.variant == assign_variant(user, "ranker-ab", 0.5)
        assert pipeline.recommender_for(user)[0] is (treatment if turn.variant == "treatment" else rt.recommender)
        seen[turn.variant] = seen.get(turn.variant, 0) + 1
    assert set(seen) == {"control", "treatment"}
