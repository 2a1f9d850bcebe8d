"""A small, hand-written 관악구 catalogue for API tests (real domain records, real CatalogueIndex).

Chosen to exercise every hard filter: a shop that refuses the meal card, one that is
always closed, an expensive one, good shops, several categories, all near 신림역.
"""

from __future__ import annotations

from datetime import date

from nabiyam.domain.catalogue import Brand, MenuItem, Shop

ALWAYS = "; ".join(f"{d} 00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
NEVER = "; ".join(f"{d} closed" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
CENTRE = (37.4842, 126.9297)  # 신림역

# shop_id, name, category, dlat, dlon, hours, card, good, rating, menus [(name, food, price)]
_SHOPS = [
    ("S001", "바삭치킨 신림점", "치킨", 0.001, 0.001, ALWAYS, True, True, 4.6,
     [("후라이드치킨", "후라이드치킨", 16000), ("닭강정 컵", "닭강정", 8000)]),
    ("S002", "엄마손 분식", "분식", 0.002, -0.001, ALWAYS, True, True, 4.4,
     [("떡볶이", "떡볶이", 4000), ("참치김밥", "김밥", 3500), ("라볶이", "라볶이", 6000)]),
    ("S003", "신림 중화반점", "중식", -0.002, 0.002, ALWAYS, True, False, 4.1,
     [("짜장면", "짜장면", 7000), ("짬뽕", "짬뽕", 8500), ("탕수육", "탕수육", 16000)]),
    ("S004", "건강한 밥상", "한식", 0.003, 0.0, ALWAYS, True, True, 4.8,
     [("된장찌개", "된장찌개", 8000), ("비빔밥", "비빔밥", 8500), ("야채죽", "죽", 9000)]),
    ("S005", "카드안돼 치킨", "치킨", 0.0005, 0.0005, ALWAYS, False, False, 4.9,
     [("양념치킨", "양념치킨", 17000), ("닭강정", "닭강정", 9000)]),
    ("S006", "문닫은 분식", "분식", 0.0007, -0.0004, NEVER, True, False, 4.9,
     [("떡볶이", "떡볶이", 3500)]),
    ("S007", "비싼 스시", "일식", 0.001, -0.002, ALWAYS, True, False, 4.7,
     [("특선초밥", "초밥", 25000)]),
    ("S008", "행복 피자", "피자", -0.001, -0.001, ALWAYS, True, False, 4.2,
     [("조각피자", "조각피자", 4000), ("치즈피자", "치즈피자", 15000)]),
    ("S009", "봉천 돈까스", "한식", -0.003, 0.001, ALWAYS, True, False, 4.0,
     [("돈까스", "돈까스", 9000), ("김치찌개", "김치찌개", 8000)]),
    ("S010", "꼬마 버거", "패스트푸드", 0.0015, 0.0025, ALWAYS, True, True, 4.3,
     [("햄버거", "햄버거", 6000), ("감자튀김", "감자튀김", 2500)]),
]


def records() -> tuple[list[Brand], list[Shop], list[MenuItem]]:
    shops, menus = [], []
    for sid, name, cat, dlat, dlon, hours, card, good, rating, items in _SHOPS:
        shops.append(Shop(shop_id=sid, name=name, brand_id=None, category=cat, district="관악구", dong="신림동",
                          address=f"서울 관악구 신림로 {sid[1:]}", lat=CENTRE[0] + dlat, lon=CENTRE[1] + dlon,
                          opening_hours=hours, accepts_meal_card=card, is_good_shop=good, rating=rating,
                          review_count=20, order_count=100, opened_on=date(2020, 1, 1)))
        for i, (mname, food, price) in enumerate(items):
            menus.append(MenuItem(menu_id=f"{sid}-M{i}", shop_id=sid, name=mname, food=food, price=price))
    return [], shops, menus


def catalogue():  # noqa: ANN201 - CatalogueIndex
    from nabiyam.recsys.catalogue import CatalogueIndex

    return CatalogueIndex.from_records(*records())
