"""CatalogueIndex: the packed opening-hours grid agrees with domain.hours.is_open, snapshots
round-trip, and bad input fails with a message naming the problem."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from nabiyam.domain.catalogue import Brand, MenuItem, Shop
from nabiyam.domain.hours import KST
from nabiyam.recsys.catalogue import CatalogueError, CatalogueIndex

pytestmark = pytest.mark.xdist_group("recsys-unit")

HOURS = (
    "mon 11:00-21:00; tue 11:00-15:00,17:00-22:00; wed closed; thu 09:15-09:16; fri 17:00-26:00; sat 00:00-24:00; "
    "sun 18:00-27:30",  # Sunday past midnight → Monday 03:30
    "mon closed; tue closed; wed closed; thu closed; fri closed; sat closed; sun closed",
    "mon 06:07-23:59; tue 06:07-23:59; wed 06:07-23:59; thu 06:07-23:59; fri 06:07-23:59; sat 10:00-14:00; sun closed",
)


def _shop(i: int, hours: str) -> Shop:
    return Shop(shop_id=f"s{i}", name=f"가게{i}", brand_id=None, category="분식", district="관악구", dong="신림동",
                address="서울", lat=37.48, lon=126.95, opening_hours=hours, accepts_meal_card=True, is_good_shop=False,
                rating=4.0, review_count=1, order_count=1, opened_on=date(2024, 1, 1))


def _catalogue() -> CatalogueIndex:
    shops = [_shop(i, h) for i, h in enumerate(HOURS)]
    menus = [MenuItem(menu_id=f"m{i}", shop_id=s.shop_id, name="떡볶이", food="떡볶이", price=4000 + i)
             for i, s in enumerate(shops)]
    return CatalogueIndex.from_records([Brand(brand_id="b1", name="브랜드", category="분식", is_chain=True)], shops, menus)


def test_open_mask_matches_is_open_minute_by_minute() -> None:
    cat = _catalogue()
    start = datetime(2026, 3, 2, tzinfo=KST)  # a Monday
    for minute in range(0, 7 * 1440):
        at = start + timedelta(minutes=minute)
        expected = np.array([s.is_open(at) for s in cat.shops])
        assert (cat.open_mask(at) == expected).all(), at
    # naive datetimes are Seoul time; aware ones are converted
    rng = random.Random(1)
    for _ in range(200):
        at = start + timedelta(minutes=rng.randrange(7 * 1440))
        assert (cat.open_mask(at.astimezone(KST).replace(tzinfo=None)) == cat.open_mask(at)).all()
        assert (cat.open_mask(at.astimezone().astimezone(tz=None)) == cat.open_mask(at)).all()


def test_snapshot_round_trip(tmp_path) -> None:
    cat = _catalogue()
    back = CatalogueIndex.from_snapshot(cat.to_snapshot(tmp_path / "current.json.gz"))
    assert [s.shop_id for s in back.shops] == [s.shop_id for s in cat.shops]
    assert back.shops == cat.shops and back.menus == cat.menus and back.brands == cat.brands


def test_bad_input_is_named(tmp_path) -> None:
    with pytest.raises(CatalogueError, match="no shops"):
        CatalogueIndex.from_records([], [], [])
    with pytest.raises(CatalogueError, match="unknown shop 'nope'"):
        CatalogueIndex.from_records([], [_shop(0, HOURS[0])], [MenuItem(menu_id="m", shop_id="nope", name="x",
                                                                     food="떡볶이", price=1000)])
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"garbage")
    with pytest.raises(CatalogueError, match="cannot read catalogue snapshot"):
        CatalogueIndex.from_snapshot(broken)
    partial = tmp_path / "partial.json"
    partial.write_text('{"shops": []}', encoding="utf-8")
    with pytest.raises(CatalogueError, match="lacks brands, menus"):
        CatalogueIndex.from_snapshot(partial)
