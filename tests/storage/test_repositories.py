"""Per-table repositories over the moto server: catalogue, users, interactions, daily metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from nabiyam.domain.catalogue import Brand, MenuItem, Order, Review, Shop, User
from nabiyam.storage.catalogue import CatalogueRepository
from nabiyam.storage.daily_metrics import DailyMetric, DailyMetricsRepository
from nabiyam.storage.interactions import Interaction, InteractionsRepository
from nabiyam.storage.users import UsersRepository

KST_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC) - timedelta(hours=9)


def _shop(i: int, district: str) -> Shop:
    return Shop(shop_id=f"s{i:03d}", name=f"가게{i}", brand_id="b1" if i % 2 else None, category="한식",
                district=district, dong="신림동", address="서울", lat=37.48, lon=126.93,
                opening_hours="mon 10:00-21:00; tue 10:00-21:00", accepts_meal_card=True, is_good_shop=i % 3 == 0,
                rating=4.25, review_count=i, order_count=2 * i, opened_on=date(2020, 1, 1))


def test_catalogue_shops_menus_brands(clean_stack: Any) -> None:
    repo = CatalogueRepository()
    shops = [_shop(i, "관악구" if i < 30 else "동작구") for i in range(40)]
    assert repo.put_shops(shops) == 40
    menu = [MenuItem(menu_id=f"m{j}", shop_id="s001", name=f"메뉴{j}", food="김밥", price=3000 + j * 500) for j in range(4)]
    assert repo.put_menu_items(menu) == 4
    assert repo.put_brands([Brand(brand_id="b1", name="나비분식", category="분식", is_chain=True)]) == 1

    assert repo.get_shop("s001") == shops[1]
    assert repo.get_shop("nope") is None
    assert repo.menu("s001") == sorted(menu, key=lambda m: m.menu_id)
    assert repo.menu("s002") == []
    gwanak = list(repo.shops_in_district("관악구"))
    assert len(gwanak) == 30 and {s.district for s in gwanak} == {"관악구"}  # menus are not in the GSI
    assert len(list(repo.all_shops())) == 40
    assert len(list(repo.all_menu_items())) == 4
    assert repo.get_brand("b1") is not None and [b.brand_id for b in repo.all_brands()] == ["b1"]


def test_users_round_trip(clean_stack: Any) -> None:
    repo = UsersRepository()
    users = [User(user_id=f"u{i}", role="child", birthday=date(2015, 5, 1), district="관악구", lat=37.48, lon=126.93,
                  meal_card_daily_limit=9000, joined_on=date(2025, 1, 1)) for i in range(30)]
    assert repo.put_many(users) == 30
    assert repo.get("u7") == users[7]
    assert repo.get("missing") is None
    assert len(list(repo.all())) == 30


def test_interactions_in_time_order_per_user_and_shop(clean_stack: Any) -> None:
    repo = InteractionsRepository()
    orders = [Order(order_id=f"o{i}", user_id="u1", shop_id=f"s{i % 2}", menu_id="m1", price=5000,
                    ordered_at=KST_NOON + timedelta(hours=i)) for i in range(6)]
    assert repo.record_many(Interaction.from_order(o) for o in orders) == 6
    review = Review(review_id="r1", user_id="u1", shop_id="s0", rating=5, text="맛있어요", created_at=KST_NOON)
    assert repo.record(Interaction.from_review(review)) is True
    assert repo.record(Interaction.from_review(review)) is False  # retried event: stored once

    history = list(repo.for_user("u1"))
    assert [h.at for h in history] == sorted(h.at for h in history)
    assert len(history) == 7
    newest = list(repo.for_user("u1", newest_first=True, max_items=2))
    assert [h.ref_id for h in newest] == ["o5", "o4"]
    window = list(repo.for_user("u1", since=KST_NOON + timedelta(hours=2), until=KST_NOON + timedelta(hours=3)))
    assert [h.ref_id for h in window] == ["o2", "o3"]
    s0 = list(repo.for_shop("s0"))
    assert {h.ref_id for h in s0} == {"o0", "o2", "o4", "r1"}


def test_daily_metrics_series(clean_stack: Any) -> None:
    repo = DailyMetricsRepository()
    start = date(2026, 3, 1)
    for d in (0, 1, 3):
        day = (start + timedelta(days=d)).isoformat()
        repo.put(DailyMetric(day=day, metrics={"ctr": 0.1 * (d + 1), "conversations": 10 + d}))
        repo.put(DailyMetric(day=day, scope="variant#B", metrics={"ctr": 0.5}))
    series = repo.series(start, start + timedelta(days=3))
    assert [m.day for m in series] == ["2026-03-01", "2026-03-02", "2026-03-04"]
    assert series[2].metrics == {"ctr": pytest.approx(0.4), "conversations": 13}
    assert {m.scope for m in repo.for_day("2026-03-01")} == {"global", "variant#B"}
    with pytest.raises(ValueError, match="before start"):
        repo.series(start, start - timedelta(days=1))
    with pytest.raises(ValueError):
        DailyMetric(day="2026-13-40")
