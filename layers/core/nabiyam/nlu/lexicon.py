"""The NLU gazetteer: every surface form we recognise, its entity kind and canonical value.

Foods and categories come from `nabiyam.domain.food` (the one lexicon), places from
`nabiyam.domain.geo`; the rest (companions, meal times, diet words, 근처, 착한가게) live here.
Matching runs on the text with spaces removed, so 떡 볶이 / 안매운 / 안 매운 all match, and
maps spans back to the original characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nabiyam.domain.food import CATEGORY_ALIASES, alias_index, extra_alias_index
from nabiyam.domain.geo import DISTRICTS, DONG_TO_DISTRICT
from nabiyam.domain.nlu import Companion, Dietary, TimeOfDay

# Entity kinds the matcher knows: the EntityType values plus two flags that are not entities.
FOOD, CATEGORY, BUDGET, COMPANION, TIME, DIETARY, LOCATION, SHOP = (
    "food_type", "category", "budget", "companion", "time_of_day", "dietary_preference", "location", "shop_name")
NEAR_ME, GOOD_SHOP = "near_me", "good_shop"
KINDS: tuple[str, ...] = (FOOD, CATEGORY, BUDGET, COMPANION, TIME, DIETARY, LOCATION, NEAR_ME, GOOD_SHOP)

COMPANIONS: dict[str, Companion] = {
    **{w: Companion.FAMILY for w in (
        "아이", "아이들", "애들", "우리애", "우리아이", "애기", "아기", "동생", "동생들", "남동생", "여동생", "가족",
        "온가족", "가족들", "엄마", "아빠", "엄빠", "할머니", "할아버지", "할무니", "부모님", "어머니", "아버지", "누나",
        "언니", "오빠", "형", "형아", "딸", "아들", "조카", "이모", "삼촌", "고모", "손주", "손자", "손녀", "식구",
        "식구들", "자녀", "애랑")},
    **{w: Companion.FRIENDS for w in (
        "친구", "친구들", "칭구", "반친구", "반친구들", "짝꿍", "짝궁", "동네친구", "학원친구", "베프", "친구네",
        "단짝")},
    **{w: Companion.ALONE for w in ("혼자", "혼자서", "나혼자", "혼밥", "나만", "저혼자")},
}

TIMES: dict[str, TimeOfDay] = {
    **{w: TimeOfDay.BREAKFAST for w in ("아침", "아침밥", "아침식사", "조식", "브런치", "아침에", "아침")},
    **{w: TimeOfDay.LUNCH for w in ("점심", "점심때", "점심밥", "점심시간", "점심식사", "중식시간", "점심에", "점섬",
                                     "런치")},
    **{w: TimeOfDay.DINNER for w in ("저녁", "저녁밥", "저녁때", "저녁식사", "석식", "저녁에", "저늑", "져녁", "디너",
                                      "오늘저녁")},
    **{w: TimeOfDay.LATE_NIGHT for w in ("야식", "밤참", "밤늦게", "늦은밤", "새벽", "한밤중", "밤에", "야밤", "자기전")},
    **{w: TimeOfDay.SNACK for w in ("간식", "간식으로", "군것질", "주전부리", "출출", "디저트타임", "간싣", "방과후간식")},
}

DIETS: dict[str, Dietary] = {
    **{w: Dietary.HEALTHY for w in (
        "건강한", "건강식", "건강하게", "건강에좋은", "몸에좋은", "영양가있는", "영양많은", "영양", "담백한", "담백하게",
        "다이어트", "저칼로리", "웰빙", "건강한거", "건강하고", "몸에좋고", "건강식으로", "건강")},
    **{w: Dietary.SPICY for w in (
        "매운", "매운거", "매운것", "매운걸", "매콤한", "매콤", "매콤하게", "맵게", "얼큰한", "얼큰하게", "칼칼한", "화끈한",
        "맵고", "아주매운", "엄청매운", "맵단", "매운맛")},
    **{w: Dietary.NOT_SPICY for w in (
        "안매운", "안맵게", "안맵고", "안매운거", "맵지않은", "맵지않게", "맵지않고", "너무맵지않은", "순한", "순한맛",
        "덜매운", "덜맵게", "매운거못먹", "매운걸못먹", "매운건못먹", "매운거싫", "매운건싫", "매운거빼고", "맵찔이",
        "안매워", "맵지않", "안매운걸", "맵지도않은", "순하게", "매운거잘못먹", "매운거못먹는")},
    **{w: Dietary.VEGETARIAN for w in (
        "채식", "채식주의", "채식주의자", "비건", "고기없는", "고기안들어간", "고기빼고", "야채만", "채소만",
        "베지테리언", "채식하는", "고기못먹")},
    **{w: Dietary.LARGE_PORTION for w in (
        "양많은", "양많이", "양이많은", "양많고", "양이많고", "푸짐한", "푸짐하게", "든든한", "든든하게", "배부르게",
        "배부른", "곱빼기", "많이주는", "양푸짐", "배터지게", "대용량", "양많은곳", "양도많은", "양넉넉", "넉넉하게",
        "배불리")},
}

# Dong stems people type without 동 (신림역, 봉천 근처); ambiguous stems (삼성, 중앙, 행운, 오류 …) left out.
_DONG_STEMS = ("신림", "봉천", "낙성대", "보라매", "난곡", "노량진", "상도", "흑석", "사당", "대방", "신대방", "가산",
               "독산", "시흥", "구로", "신도림", "개봉", "고척", "가리봉", "영등포", "여의도", "당산", "문래", "신길",
               "대림", "서초", "반포", "방배", "양재", "잠원", "역삼", "대치", "논현", "압구정", "개포", "합정", "망원",
               "연남", "서교", "공덕", "상암", "관악", "금천", "강남", "마포", "서울대입구", "서울대", "신림역",
               "홍대", "홍대입구", "강남역", "여의나루", "사당역", "샤로수길", "봉천역")
_STEM_DISTRICT = {"서울대입구": "관악구", "서울대": "관악구", "샤로수길": "관악구", "홍대": "마포구", "홍대입구": "마포구",
                  "여의나루": "영등포구", "관악": "관악구", "금천": "금천구", "강남": "강남구", "마포": "마포구",
                  "구로": "구로구", "영등포": "영등포구", "서초": "서초구"}

NEAR_ME_WORDS = ("근처", "가까운", "가까이", "가깝", "주변", "근방", "동네", "우리동네", "이근처", "여기근처", "집근처",
                 "집앞", "학교앞", "학교근처", "걸어서", "여기서가까운", "가까운데", "근처에", "주위", "코앞", "주변에",
                 "멀지않은", "안멀고", "안먼", "멀지않", "부근")
GOOD_SHOP_WORDS = ("착한가게", "착한식당", "착한업소", "착한가격업소", "선한영향력", "선한영향력가게", "착한가게만",
                   "착한곳", "착한데")

# Surface → forbidden continuation (regex) for words that are also parts of common non-food words.
_NOT_FOLLOWED = {
    "죽": "겠|을|어|네|는|지|다|음|여|도록|기|으|이|었|일|인|었|자",
    "아이": "스|디|콘|고|템|돌|폰|패|유|씨|캔|언|브",
    "형": "태|식|편|제|광|상|성|사",
    "롤": "러|링|케|플|모",
    "영양": "가없|실조",
    "동네": "친구",
    "나만": "의|큼|그|두|이|없",
    "양념": "장",
    "마라": "톤",
    "건강": "검진|보험",
    "디저트": "타임",
    "만두": "",
    "딸": "기",
    "새벽": "배송",
    "순대": "국",
    # "저녁 밥집": 밥집 is a 한식 word; the meal time is 저녁 alone, not 저녁밥 + a stray 집.
    "아침밥": "집",
    "점심밥": "집",
    "저녁밥": "집",
}
_NOT_PRECEDED = {"마라": "지|하|야|보", "형": "모|원|외|정|대|변|유|성|체|지|쪽|이|표|도|가", "딸": "산", "롤": "컨트",
                 "영양": "", "건강": "", "아이": "", "나만": ""}


@dataclass(frozen=True)
class LexMatch:
    kind: str
    start: int  # offsets into the text that was scanned
    end: int
    value: str | int


@dataclass(frozen=True)
class Gazetteer:
    entries: dict[str, tuple[str, str]]  # compact surface → (kind, canonical)
    pattern: re.Pattern[str]


def _entries() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}

    def add(surface: str, kind: str, value: str) -> None:
        out.setdefault(surface.replace(" ", ""), (kind, value))

    for w in GOOD_SHOP_WORDS:
        add(w, GOOD_SHOP, "true")
    for name, dist in DISTRICTS.items():
        add(name, LOCATION, name)
    for dong, dist in DONG_TO_DISTRICT.items():
        add(dong, LOCATION, dist)
    for stem in _DONG_STEMS:
        dist = _STEM_DISTRICT.get(stem) or DONG_TO_DISTRICT.get(stem.removesuffix("역") + "동")
        if dist:
            add(stem, LOCATION, dist)
    for w in NEAR_ME_WORDS:
        add(w, NEAR_ME, "near_me")
    for surface, food in alias_index().items():  # foods before category words: 백반 is a food of 한식
        add(surface, FOOD, food.name)
    for surface, extra in extra_alias_index().items():  # 쌀국수, 부대찌개 …: foods the world's menus lack
        add(surface, FOOD, extra.name)
    for cat, words in CATEGORY_ALIASES.items():
        for w in words:
            add(w, CATEGORY, cat)
    # "{food}집" stays a food (떡볶이집 → 떡볶이); these are words for a kind of shop.
    for extra, cat in (("중국요리", "중식"), ("분식점", "분식"), ("일식집", "일식"), ("양식집", "양식"), ("한식집", "한식"),
                       ("빵가게", "베이커리"), ("디저트가게", "카페·디저트"), ("닭집", "치킨"), ("커피숍", "카페·디저트")):
        add(extra, CATEGORY, cat)
    for table, kind in ((COMPANIONS, COMPANION), (TIMES, TIME), (DIETS, DIETARY)):
        for w, v in table.items():
            add(w, kind, str(v))
    return out


def _alt(surface: str) -> str:
    body = re.escape(surface)
    before = _NOT_PRECEDED.get(surface)
    after = _NOT_FOLLOWED.get(surface)
    if before:
        body = f"(?<!{before[0]})" + body if len(before) == 1 else "".join(f"(?<!{b})" for b in before.split("|")) + body
    if after:
        body += f"(?!{after})"
    return body


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    entries = _entries()
    ordered = sorted(entries, key=lambda s: (-len(s), s))
    return Gazetteer(entries, re.compile("|".join(_alt(s) for s in ordered)))


def match_lexicon(text: str) -> list[LexMatch]:
    """Leftmost-longest gazetteer matches in `text` (spaces ignored), spans into `text`."""
    gaz = gazetteer()
    keep = [i for i, ch in enumerate(text) if not ch.isspace()]
    squeezed = "".join(text[i] for i in keep).lower()
    out: list[LexMatch] = []
    for m in gaz.pattern.finditer(squeezed):
        kind, value = gaz.entries[m.group(0)]
        start, end = keep[m.start()], keep[m.end() - 1] + 1
        if len(m.group(0)) <= 2 and end - start != len(m.group(0)) and kind not in (NEAR_ME, DIETARY):
            continue  # a short word split by a space is two words ("아 이거" is not 아이), unless a phrase (집 앞)
        out.append(LexMatch(kind, start, end, value))
    return out


def lookup(kind: str, surface: str) -> str | None:
    """Canonical value for a surface of a given kind, or None."""
    hit = gazetteer().entries.get("".join(surface.split()).lower())
    if hit and hit[0] == kind:
        return hit[1]
    return None
