"""A hand-built 관악구 catalogue that reproduces each answer problem of issue 15, and the
real chat pipeline over it (rules NLU, funnel-blend recommender: no model needed).

Shops are placed at known distances from the child (the context's coordinates, 신림역),
so "near", "farther" and "late at night" are exact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from nabiyam.domain.catalogue import MenuItem, Shop
from nabiyam.domain.geo import haversine_m
from nabiyam.domain.hours import KST
from nabiyam.domain.recommendation import RequestContext

ALWAYS = "; ".join(f"{d} 00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
DAYTIME = "; ".join(f"{d} 10:00-21:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
CHILD = (37.4842, 126.9297)  # 신림역
M_PER_DEG_LAT = 111_195.0  # metres per degree of latitude: shops are placed due north/south
DINNER = datetime(2026, 5, 20, 18, 30, tzinfo=KST)  # a Wednesday
LATE = datetime(2026, 5, 20, 3, 30, tzinfo=KST)

# shop_id, name, category, metres north of the child (negative: south), hours, card, good, rating,
# menus [(name, food, price, spicy)]
SHOPS: list[tuple[str, str, str, int, str, bool, bool, float, list[tuple[str, str, int, bool]]]] = [
    ("K01", "엄마밥상", "한식", 300, DAYTIME, True, True, 4.6,
     [("김치찌개", "김치찌개", 7000, True), ("된장찌개", "된장찌개", 7000, False), ("공깃밥", "백반", 1000, False)]),
    ("K02", "신림 냉면", "한식", 600, DAYTIME, True, False, 4.1, [("물냉면", "냉면", 7000, False)]),
    ("C01", "마라 천국", "중식", 200, ALWAYS, True, False, 4.8,
     [("마라탕", "마라탕", 9000, True), ("매운짬뽕", "짬뽕", 8000, True)]),
    ("C02", "짜장 명가", "중식", 500, DAYTIME, True, False, 4.2,
     [("군만두", "군만두", 5000, False), ("짜장면", "짜장면", 7000, False), ("탕수육", "탕수육", 16000, False)]),
    ("C03", "만두 반점", "중식", 700, DAYTIME, True, False, 4.0,
     [("군만두", "군만두", 4500, False), ("볶음밥", "볶음밥", 8000, False)]),
    ("H01", "바삭치킨 신림점", "치킨", 900, DAYTIME, True, True, 4.5,
     [("후라이드치킨", "후라이드치킨", 16000, False), ("닭강정 컵", "닭강정", 8000, False)]),
    ("P01", "행복 피자", "피자", 400, DAYTIME, True, False, 4.3,
     [("조각피자", "조각피자", 4000, False), ("치즈피자", "치즈피자", 15000, False)]),
    ("V01", "포 하노이", "양식", 800, DAYTIME, True, False, 4.4, [("소고기 쌀국수", "쌀국수", 9000, False)]),
    ("T01", "카오 키친", "양식", 1000, DAYTIME, True, False, 4.0, [("카오팟", "카오팟", 8500, False)]),
    # far: only shown when nothing within walking distance fits
    ("F01", "멀리 돈부리", "일식", 2600, DAYTIME, True, False, 4.7, [("규동", "돈부리", 9000, False)]),
    ("F02", "아주 먼 김밥", "분식", -8100, DAYTIME, True, False, 4.9, [("김밥", "김밥", 3000, False)]),
    ("F03", "조금 먼 떡볶이", "분식", -4300, ALWAYS, True, False, 4.9, [("떡볶이", "떡볶이", 4000, False)]),
    # late night: a 24-hour shop 2.4 km away (the reported one) and one very near
    ("N01", "24시 국밥", "한식", -2400, ALWAYS, True, False, 4.5, [("순대국밥", "국밥", 8000, False)]),
    ("N02", "편의 김밥", "분식", 250, ALWAYS, True, False, 4.0, [("참치김밥", "김밥", 3500, False)]),
]


def shop_records() -> tuple[list[Shop], list[MenuItem]]:
    shops, menus = [], []
    for sid, name, cat, north, hours, card, good, rating, items in SHOPS:
        shops.append(Shop(shop_id=sid, name=name, brand_id=None, category=cat, district="관악구", dong="신림동",
                          address=f"서울 관악구 신림로 {sid}", lat=CHILD[0] + north / M_PER_DEG_LAT, lon=CHILD[1],
                          opening_hours=hours, accepts_meal_card=card, is_good_shop=good, rating=rating,
                          review_count=40, order_count=200, opened_on=date(2020, 1, 1)))
        menus += [MenuItem(menu_id=f"{sid}-M{i}", shop_id=sid, name=n, food=f, price=p, is_spicy=hot)
                  for i, (n, f, p, hot) in enumerate(items)]
    return shops, menus


@dataclass
class Answers:
    """The real pipeline over the catalogue; `ask` returns the turn and its claim report."""

    pipeline: Any
    catalogue: Any

    def ask(self, message: str, at: datetime = DINNER, **context: Any) -> tuple[Any, Any]:
        from nabiyam.safety import AnswerRequest, check_answer

        ctx = RequestContext(**{"lat": CHILD[0], "lon": CHILD[1], "district": "관악구", "at": at, **context})
        turn = self.pipeline.handle("u_child", message, ctx)
        report = check_answer(AnswerRequest(turn.nlu.filters, ctx, turn.at, turn.origin), turn.items,
                              turn.answer.text, self.catalogue)
        return turn, report

    def distance(self, shop_id: str) -> float:
        shop = self.catalogue.shops[self.catalogue.position[shop_id]]
        return haversine_m(CHILD[0], CHILD[1], shop.lat, shop.lon)


@pytest.fixture(scope="session")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Answers:
    from nabiyam.chat.pipeline import ChatPipeline
    from nabiyam.recsys.catalogue import CatalogueIndex
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import Settings

    out = tmp_path_factory.mktemp("answers")
    shops, menus = shop_records()
    catalogue = CatalogueIndex.from_records([], shops, menus)
    settings = Settings(state_dir=out / "state", artifacts_dir=out / "none", model_cache_dir=out / "cache")
    rt = load_runtime(settings, catalogue=catalogue, nlu_dir=None, ranker_dir=None)
    return Answers(ChatPipeline(rt, conversations=None), catalogue)
