"""Categories and foods: one lexicon for the world's menus, the NLU and the ranker.

Every food has a canonical name, its category, the spellings and common typos children
type, a typical price band in won, and whether it is usually spicy. The NLU maps any
alias to the canonical food and its category; the world builds menus from the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Canonical shop categories (the NLU `category` filter and the shop `category` column).
CATEGORIES: tuple[str, ...] = (
    "한식", "중식", "일식", "양식", "분식", "치킨", "피자", "패스트푸드", "카페·디저트", "베이커리",
)

# Words people use for a category itself (not a specific food).
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    "한식": ("한식", "한식당", "밥집", "백반", "한정식"),
    "중식": ("중식", "중국집", "중국음식", "중식당", "중화요리"),
    "일식": ("일식", "일식당", "일본음식", "일본요리"),
    "양식": ("양식", "양식당", "레스토랑", "경양식"),
    "분식": ("분식", "분식집"),
    "치킨": ("치킨집", "통닭집"),
    "피자": ("피자집",),
    "패스트푸드": ("패스트푸드", "패스트 푸드", "패푸"),
    "카페·디저트": ("카페", "디저트", "디저트카페", "빙수집"),
    "베이커리": ("베이커리", "빵집", "제과점"),
}


@dataclass(frozen=True)
class Food:
    name: str
    category: str
    price_min: int
    price_max: int
    spicy: bool = False
    healthy: bool = False
    vegetarian: bool = False
    large_portion: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)
    side: bool = False  # a side or snack (군만두, 감자튀김, 어묵): never "the meal" in a price hint


def _f(name: str, category: str, lo: int, hi: int, *aliases: str, spicy: bool = False, healthy: bool = False,
       vegetarian: bool = False, large: bool = False, side: bool = False) -> Food:
    return Food(name, category, lo, hi, spicy, healthy, vegetarian, large, aliases, side)


FOODS: tuple[Food, ...] = (
    # 한식
    _f("김치찌개", "한식", 7000, 9500, "김치 찌개", "김치찌게", spicy=True),
    _f("된장찌개", "한식", 7000, 9000, "된장 찌개", "된장찌게", healthy=True),
    _f("제육볶음", "한식", 8000, 10000, "제육", "제육덮밥", spicy=True, large=True),
    _f("비빔밥", "한식", 7000, 10000, "돌솥비빔밥", healthy=True, vegetarian=True),
    _f("불고기", "한식", 9000, 13000, "불고기덮밥", "불백"),
    _f("국밥", "한식", 8000, 10000, "순대국밥", "돼지국밥", "순댓국", large=True),
    _f("갈비탕", "한식", 10000, 14000, "갈비 탕", healthy=True),
    _f("삼계탕", "한식", 13000, 17000, healthy=True),
    _f("냉면", "한식", 8000, 11000, "물냉면", "비빔냉면", "냉멘"),
    _f("백반", "한식", 7000, 9000, "가정식", "집밥", healthy=True),
    _f("죽", "한식", 7000, 10000, "야채죽", "전복죽", healthy=True),
    _f("칼국수", "한식", 7000, 9000, "칼국수", "칼국쑤"),
    _f("돈까스", "한식", 8000, 11000, "돈가스", "돈까쓰", "경양식돈까스", large=True),
    # 중식
    _f("짜장면", "중식", 6000, 8000, "자장면", "짜장", "짜장멘", "짜짱면"),
    _f("짬뽕", "중식", 7000, 9500, "짬봉", "짬뽕밥", spicy=True),
    _f("탕수육", "중식", 13000, 20000, "탕슉", "탕수유"),
    _f("볶음밥", "중식", 7000, 9000, "볶음 밥", large=True),
    _f("마라탕", "중식", 9000, 13000, "마라", spicy=True),
    _f("군만두", "중식", 5000, 7000, "만두", side=True),
    # 일식
    _f("초밥", "일식", 10000, 18000, "스시", "회전초밥"),
    _f("돈부리", "일식", 8000, 11000, "덮밥", "규동", "가츠동"),
    _f("우동", "일식", 6500, 9000, "가락국수"),
    _f("라멘", "일식", 9000, 12000, "일본라멘", "돈코츠라멘"),
    _f("카레", "일식", 7500, 10000, "카레라이스", "커리"),
    _f("롤", "일식", 8000, 12000, "캘리포니아롤"),
    # 양식
    _f("스파게티", "양식", 9000, 14000, "파스타", "스파게티", "스빠게티"),
    _f("리조또", "양식", 10000, 15000, "리소토"),
    _f("오므라이스", "양식", 8000, 10000, "오무라이스", large=True),
    _f("함박스테이크", "양식", 10000, 14000, "햄버그스테이크", "함박"),
    _f("샐러드", "양식", 7000, 11000, "샐러드볼", healthy=True, vegetarian=True),
    # 분식
    _f("떡볶이", "분식", 3500, 6000, "떡뽁이", "떡뽂이", "떡볶기", "떡복이", spicy=True),
    _f("김밥", "분식", 2500, 5000, "참치김밥", "김빱", healthy=True),
    _f("라볶이", "분식", 5000, 7000, spicy=True),
    _f("순대", "분식", 4000, 6000),
    _f("튀김", "분식", 3000, 5000, "모둠튀김", side=True),
    _f("어묵", "분식", 1000, 3000, "오뎅", side=True),
    _f("쫄면", "분식", 5000, 7000, spicy=True),
    _f("라면", "분식", 3500, 5000, "라묜", "컵라면"),
    # 치킨
    _f("치킨", "치킨", 15000, 22000, "통닭", "치킨", "치킨", "치깐", "치낀"),
    _f("후라이드치킨", "치킨", 15000, 20000, "후라이드", "프라이드치킨"),
    _f("양념치킨", "치킨", 16000, 21000, "양념", spicy=True),
    _f("순살치킨", "치킨", 17000, 22000, "순살"),
    _f("닭강정", "치킨", 8000, 15000, "닭 강정"),
    # 피자
    _f("피자", "피자", 12000, 25000, "피짜", "핏자"),
    _f("페퍼로니피자", "피자", 13000, 22000, "페퍼로니"),
    _f("치즈피자", "피자", 11000, 20000, vegetarian=True),
    _f("조각피자", "피자", 3000, 5000, "피자 조각"),
    # 패스트푸드
    _f("햄버거", "패스트푸드", 5000, 9000, "버거", "햄버가", "햄버그"),
    _f("감자튀김", "패스트푸드", 2000, 4000, "프렌치프라이", "감튀", side=True),
    _f("핫도그", "패스트푸드", 2500, 5000),
    _f("샌드위치", "패스트푸드", 4500, 8000, "샌드위치", "샌드위치", healthy=True),
    _f("토스트", "패스트푸드", 2500, 5000),
    # 카페·디저트
    _f("빙수", "카페·디저트", 7000, 12000, "팥빙수", "빙쑤"),
    _f("와플", "카페·디저트", 4000, 7000),
    _f("아이스크림", "카페·디저트", 2500, 6000, "아이스크림", "젤라또"),
    _f("케이크", "카페·디저트", 5000, 8000, "케익", "조각케이크"),
    _f("스무디", "카페·디저트", 4500, 6500, "과일주스", "생과일주스", healthy=True, vegetarian=True),
    # 베이커리
    _f("빵", "베이커리", 1500, 5000, "빵", "식빵"),
    _f("크루아상", "베이커리", 3000, 4500, "크로와상", "크로상"),
    _f("소금빵", "베이커리", 2500, 3500),
    _f("도넛", "베이커리", 1500, 3500, "도너츠", "도나쓰"),
)

FOOD_BY_NAME: dict[str, Food] = {f.name: f for f in FOODS}

# Menu words that are never the meal itself (a drink, a bowl of rice), on top of the side foods.
SIDE_WORDS: tuple[str, ...] = ("공깃밥", "공기밥", "음료", "콜라", "사이다", "주스", "에이드", "생수", "추가")


@dataclass(frozen=True)
class ExtraFood:
    """A food children ask for that the generated world's menus do not carry. The NLU knows
    it (a `food_types` value); the recommender finds it by menu item names (the catalogue's
    food index), so a real catalogue that sells it is searched for it."""

    name: str
    category: str | None  # None: no category of ours fits (쌀국수 is not 한식/중식/일식)
    aliases: tuple[str, ...] = ()


EXTRA_FOODS: tuple[ExtraFood, ...] = (
    ExtraFood("쌀국수", None, ("베트남쌀국수", "쌀국쑤")),
    ExtraFood("부대찌개", "한식", ("부대찌게", "부대 찌개")),
    ExtraFood("족발", "한식", ("족빨",)),
    ExtraFood("보쌈", "한식"),
    ExtraFood("닭갈비", "한식", ("춘천닭갈비", "닭갈비볶음밥")),
    ExtraFood("찜닭", "한식", ("안동찜닭",)),
    ExtraFood("곱창", "한식", ("곱창볶음",)),
    ExtraFood("탕후루", "카페·디저트", ("탕후르",)),
    ExtraFood("마카롱", "카페·디저트", ("마카롱",)),
    ExtraFood("타코야끼", "일식", ("타코야키",)),
    ExtraFood("팟타이", None),
    ExtraFood("케밥", None),
)
EXTRA_FOOD_BY_NAME: dict[str, ExtraFood] = {f.name: f for f in EXTRA_FOODS}


def food_category(name: str) -> str | None:
    """The category of a lexicon food or an extra food; None when unknown or category-less.

    >>> food_category("짜장면"), food_category("부대찌개"), food_category("쌀국수")
    ('중식', '한식', None)
    """
    f = FOOD_BY_NAME.get(name)
    if f is not None:
        return f.category
    extra = EXTRA_FOOD_BY_NAME.get(name)
    return extra.category if extra else None


def is_side_food(name: str) -> bool:
    f = FOOD_BY_NAME.get(name)
    return bool(f and f.side)


def foods_in(category: str) -> list[Food]:
    return [f for f in FOODS if f.category == category]


def extra_alias_index() -> dict[str, ExtraFood]:
    """Every spelling of an extra food → its ExtraFood (the NLU's lexicon adds these)."""
    index: dict[str, ExtraFood] = {}
    for food in EXTRA_FOODS:
        for spelling in (food.name, *food.aliases):
            index.setdefault(spelling.replace(" ", ""), food)
    return index


def alias_index() -> dict[str, Food]:
    """Every spelling (canonical name and aliases) → its Food. First definition wins."""
    index: dict[str, Food] = {}
    for food in FOODS:
        for spelling in (food.name, *food.aliases):
            index.setdefault(spelling.replace(" ", ""), food)
    return index
