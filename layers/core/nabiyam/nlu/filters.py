"""Entities → canonical `Filters` and the `semantic_query` the ranker embeds.

Shared by the model path and the rules path, so both answer with the same canonical values.
"""

from __future__ import annotations

import re

from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.nlu import Entity, EntityType, Filters
from nabiyam.nlu.normalize import category_of

NEAR_ME_VALUE = "near_me"
# "치킨 말고", "매운 거 빼고": the user rules a thing out; it must not become a filter.
_NEGATION_RE = re.compile(r"^\s*(?:거|건|것|걸|은|는|이|가|을|를|도)?\s*(?:말고|말구|빼고|아니고|아닌|제외|싫어|싫고|싫은데|말곤|말구요|말고요|질려|질렸)")

_COMPANION_WORD = {"family": "가족", "friends": "친구", "alone": "혼밥"}
# The one table of meal-time words (the NLG's "저녁 먹기 좋은 곳" uses it too).
TIME_WORD: dict[str, str] = {"breakfast": "아침", "lunch": "점심", "dinner": "저녁", "late_night": "야식", "snack": "간식"}
_DIET_WORD = {"healthy": "건강식", "spicy": "매운", "not_spicy": "안 매운", "vegetarian": "채식",
              "large_portion": "양 많은"}


def is_negated(text: str, entity: Entity) -> bool:
    return bool(_NEGATION_RE.match(text[entity.end:entity.end + 12]))


def build_filters(text: str, entities: list[Entity], good_shop: bool) -> Filters:
    foods: list[str] = []
    categories: list[str] = []
    diets: list[str] = []
    f: dict[str, object] = {}
    for e in entities:
        if e.value is None or is_negated(text, e):
            continue
        t = EntityType(e.type)
        if t is EntityType.FOOD_TYPE and e.value not in foods:
            foods.append(str(e.value))
        elif t is EntityType.CATEGORY and e.value not in categories:
            categories.append(str(e.value))
        elif t is EntityType.BUDGET:
            f.setdefault("budget_max", int(e.value))
        elif t is EntityType.COMPANION:
            f.setdefault("companion", e.value)
        elif t is EntityType.TIME_OF_DAY:
            f.setdefault("time_of_day", e.value)
        elif t is EntityType.DIETARY_PREFERENCE and e.value not in diets:
            diets.append(str(e.value))
        elif t is EntityType.LOCATION:
            if e.value == NEAR_ME_VALUE:
                f["near_me"] = True
            elif e.value in DISTRICTS:
                f.setdefault("district", e.value)
    if categories:
        f["category"] = categories[0]
    elif foods:
        cats = {category_of(x) for x in foods}
        if len(cats) == 1 and None not in cats:  # 쌀국수 has no category of ours: none is guessed
            f["category"] = cats.pop()
    return Filters(food_types=foods, dietary_preferences=diets, good_shop_only=good_shop, **f)


def semantic_query(filters: Filters) -> str:
    """A short Korean phrase of what the user wants: '가족 건강식 저녁 식당', '치킨'."""
    words: list[str] = []
    if filters.companion:
        words.append(_COMPANION_WORD[str(filters.companion)])
    words.extend(_DIET_WORD[str(d)] for d in filters.dietary_preferences)
    if filters.time_of_day:
        words.append(TIME_WORD[str(filters.time_of_day)])
    if filters.good_shop_only:
        words.append("착한가게")
    words.extend(filters.food_types)
    if filters.category and not filters.food_types:
        words.append(filters.category)
    if words and not filters.food_types and not filters.category:
        words.append("식당")
    return " ".join(words)
