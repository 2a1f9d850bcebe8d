"""Korean request texts consistent with a session's context, with entity spans as truth
(so the NLU can train on them and be scored against them)."""

from __future__ import annotations

import random

from nabiyam.domain.food import CATEGORIES, CATEGORY_ALIASES, FOODS, alias_index
from nabiyam.world import lexicon

_DIGITS = "영일이삼사오육칠팔구"
_FOOD_WORDS = set(alias_index())


def budget_phrase(rng: random.Random, won: int) -> str:
    """Ways people write an amount: 만원, 8천원, 만오천원, 1만 5천원, 7,000원."""
    man, cheon = divmod(won // 1000, 10)
    style = rng.randrange(4)
    if style == 0 or won % 1000 or man >= 10:   # 10만원+ : digits (no 십만 spelled out here)
        return f"{won:,}원"
    if man == 0:
        return f"{cheon}천원" if style != 3 else f"{_DIGITS[cheon]}천원"
    man_txt = ("만" if man == 1 else f"{_DIGITS[man]}만") if style in (1, 3) else f"{man}만"
    if cheon == 0:
        return f"{man_txt}원" if style != 2 else f"{man}만 원"
    cheon_txt = f"{_DIGITS[cheon]}천" if style in (1, 3) else f"{cheon}천"
    sep = " " if style == 2 else ""
    return f"{man_txt}{sep}{cheon_txt}원"


class _Builder:
    def __init__(self) -> None:
        self.text = ""
        self.entities: list[dict] = []

    def add(self, piece: str, etype: str | None = None, value: object = None) -> None:
        if self.text and not self.text.endswith(" "):
            self.text += " "
        start = len(self.text)
        self.text += piece
        if etype:
            self.entities.append({"type": etype, "text": piece, "value": value, "start": start,
                                  "end": start + len(piece)})

    def suffix(self, s: str) -> None:
        self.text += s


def make_request(rng: random.Random, *, tod: str, companion: str, budget: int, want_cat: int,
                 want_food: int, diet: list[str], location: tuple[str, str] | None, good_request: bool,
                 say_budget: bool, say_companion: bool, say_time: bool) -> tuple[str, str, list[dict]]:
    """→ (text, intent, entities). `location` is (kind, name) with kind in district|dong|near.
    Generic endings avoid lexicon words (밥집 is a 한식 alias), so the truth stays exact."""
    b = _Builder()
    if location:
        kind, name = location
        if kind == "near":
            b.add(rng.choice(["근처", "집 근처", "여기 근처"]), "location", "near_me")
            b.suffix("에")
        else:
            b.add(name, "location", name)
            b.suffix(rng.choice(["에서", "에서", "에"]))   # "X 근처" would also read as near_me
    if say_companion:
        b.add(rng.choice(lexicon.COMPANION_WORDS[companion]), "companion", companion)
    if say_time:
        words = lexicon.TOD_WORDS[tod]
        b.add(words[0] if say_budget else rng.choice(words), "time_of_day", tod)   # no "간식으로 만원으로"
    budget_first = say_budget and rng.random() < 0.7
    if budget_first:
        b.add(budget_phrase(rng, budget), "budget", budget)
        b.suffix(rng.choice(["으로", "으로", " 안으로", " 이하로"]))
    if good_request:
        b.add("착한가게")
        b.suffix(" 중에서" if rng.random() < 0.5 else "에서")
    for d in diet:
        b.add(rng.choice(lexicon.DIETARY_WORDS[d]), "dietary_preference", d)
    if want_food >= 0:
        food = FOODS[want_food]
        spelling = food.name if rng.random() < 0.75 or not food.aliases else rng.choice(food.aliases)
        b.add(spelling, "food_type", food.name)
        what = "food"
    elif want_cat >= 0:
        cat = CATEGORIES[want_cat]
        # nobody types 카페·디저트; 치킨/피자/백반 are also foods, so say 치킨집/피자집/한식
        spoken = [c for c in (cat, *CATEGORY_ALIASES.get(cat, ())) if "·" not in c and c not in _FOOD_WORDS]
        spelling = rng.choice(spoken)
        b.add(spelling, "category", cat)
        what = "category"
    else:
        what = "none"
    if say_budget and not budget_first:
        if what != "none":
            b.suffix(",")
        b.add(budget_phrase(rng, budget), "budget", budget)
        b.suffix(rng.choice([" 안으로", "으로", " 정도로"]))
    if say_budget:
        intent = "BUDGET_FOOD_INQUIRY"
        endings = {"food": [" 먹을 수 있는 곳 있어?", " 먹을 수 있는 데 알려줘", " 먹을 수 있을까?"],
                   "category": [" 갈 수 있는 곳 있어?", " 추천해줘", " 갈 만한 데 있어?"],
                   "none": [" 뭐 먹을 수 있어?", " 먹을 만한 곳 있어?", " 밥 먹을 수 있는 곳 알려줘"]}[what]
    else:
        intent = "FOOD_RECOMMENDATION"
        endings = {"food": [" 먹고 싶어", " 맛집 추천해줘", " 먹을 만한 곳 있어?", " 어디가 맛있어?"],
                   "category": [" 추천해줘", " 어디 갈까?", " 괜찮은 곳 알려줘"],
                   "none": [" 뭐 먹지?", " 먹을 곳 추천해줘", " 맛있는 거 먹고 싶어", " 먹을 데 추천해 줘"]}[what]
    ending = rng.choice(endings)
    if what == "none" and not b.text:
        ending = ending.lstrip()
    b.suffix(ending)
    if rng.random() < 0.05:
        b = _prefix(b, rng.choice(["안녕! ", "배고파 ", "음.. "]))
    return b.text, intent, b.entities


def _prefix(b: _Builder, prefix: str) -> _Builder:
    out = _Builder()
    out.text = prefix + b.text
    out.entities = [{**e, "start": e["start"] + len(prefix), "end": e["end"] + len(prefix)} for e in b.entities]
    return out
