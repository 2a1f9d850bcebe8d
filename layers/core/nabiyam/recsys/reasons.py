"""A short, warm Korean reason per shop, from the features that drove its ranking.

Each candidate reason has a strength read off the wide features; the two strongest are
joined. The NLG uses the sentence as is (해요체, short, no promises we cannot check)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from nabiyam.nlg.korean import josa
from nabiyam.recsys.catalogue import HintChoice
from nabiyam.recsys.features import WIDE_NAMES

_W = {name: i for i, name in enumerate(WIDE_NAMES)}
MAX_REASON_CHARS = 70  # the NLG replaces longer reasons (and would lose the honest substitute note)
# How a child names a whole one of these: "치킨 한 마리", "피자 한 판".
_WHOLE = {"치킨": "한 마리", "후라이드치킨": "한 마리", "양념치킨": "한 마리", "순살치킨": "한 마리",
          "피자": "한 판", "페퍼로니피자": "한 판", "치즈피자": "한 판"}


def asked_label(foods: Sequence[str], category: str | None) -> str:
    """The asked-for food as a child said it: "치킨 한 마리", "떡볶이", or the category."""
    if foods:
        return f"{foods[0]} {_WHOLE[foods[0]]}" if foods[0] in _WHOLE else foods[0]
    return category or "찾는 메뉴"


def substitute_reason(hint: HintChoice, foods: Sequence[str], category: str | None) -> str:
    """Why a shop without the asked food within budget is still shown, said plainly."""
    what = asked_label(foods, category)
    item = hint.item
    if hint.asked_over is not None:
        head = f"{josa(what, '은/는')} 예산을 넘지만"
    else:
        head = f"{josa(what, '은/는')} 없지만"
    return f"{head} {josa(item.name, '은/는')} {item.price:,}원이라 먹을 수 있어요"


# The clause `substitute_reason` writes, alone ("…먹을 수 있어요") or joined by `_join`
# ("…먹을 수 있고, <next reason>"); kept beside it so the two change together.
_SUBSTITUTE_CLAUSE = re.compile(r"^.+?[은는] (?:예산을 넘지만|없지만) .+?[은는] [\d,]+원이라 먹을 수 (?:있어요|있고,)\s*")


def after_substitute(reason: str | None) -> str | None:
    """What a reason says besides its leading substitute note ("" when that is all of it);
    None when it has none. The answer text states the substitute once, in the price line."""
    m = _SUBSTITUTE_CLAUSE.match(reason or "")
    return None if m is None else reason[m.end():].strip()  # type: ignore[index]


def reason_for(wide: np.ndarray, distance_m: int | None, price: int | None, budget: int | None, category: str,
               hint: HintChoice | None = None, foods: Sequence[str] = (), asked_category: str | None = None) -> str:
    """`wide` is one row of the 50 wide features. With a `hint` (the price-hint choice) the
    reason never says the asked food is there unless it is, within budget."""
    asked = bool(foods) or bool(asked_category) or hint is None
    if hint is not None and asked and hint.kind != "asked":
        # The honest part comes first and alone when a second clause would make it too long.
        first = substitute_reason(hint, foods, asked_category)
        rest = _options(wide, distance_m, None, None, category, hint, asked=False)
        return _join([first, *rest][:2]) if rest and len(_join([first, rest[0]])) <= MAX_REASON_CHARS else first
    picked = _options(wide, distance_m, price, budget, category, hint, asked)
    if not picked:
        return f"지금 갈 수 있는 {category} 가게예요"
    return _join(picked[:2]) if len(picked) < 2 or len(_join(picked[:2])) <= MAX_REASON_CHARS else picked[0]


def _join(picked: list[str]) -> str:
    if len(picked) == 1:
        return picked[0]
    # "…예요" + "…" → "…이고 …" reads better than two sentences for a child.
    return f"{_connect(picked[0])} {picked[1]}"


def _options(wide: np.ndarray, distance_m: int | None, price: int | None, budget: int | None, category: str,
             hint: HintChoice | None, asked: bool) -> list[str]:
    """Candidate reasons, strongest first."""
    options: list[tuple[float, str]] = []
    if wide[_W["favorite_shop"]] > 0:
        options.append((1.0, "즐겨찾기한 가게예요"))
    elif wide[_W["user_x_shop"]] > 0.5:
        options.append((0.9, "전에 자주 갔던 가게예요"))
    if wide[_W["favorite_brand"]] > 0:
        options.append((0.8, "좋아하는 브랜드예요"))
    # "찾는 메뉴가 있어요" only when the asked food is really there (within budget when one is set).
    if hint is not None:
        has_asked = hint.kind == "asked"
    else:  # no hint to check against: claim the menu only when no budget could make it false
        has_asked = bool(wide[_W["request_match"]] >= 1.0) and not budget
    if budget and price is not None:
        if hint is not None and has_asked and asked:
            options.append((0.9, f"찾는 {josa(hint.item.name, '이/가')} {price:,}원이라 예산 안에 먹을 수 있어요"))
        elif hint is not None:
            options.append((0.6 + 0.3 * wide[_W["budget_headroom"]],
                            f"{josa(hint.item.name, '은/는')} {price:,}원이라 예산 안에 먹을 수 있어요"))
        else:
            options.append((0.6 + 0.3 * wide[_W["budget_headroom"]], f"{price:,}원이라 예산 안에 먹을 수 있어요"))
    elif asked and has_asked and (hint is not None or wide[_W["request_match"]] >= 1.0):
        options.append((0.85, "찾는 메뉴가 있어요"))
    elif asked and wide[_W["request_match"]] > 0:
        options.append((0.7, f"원하는 {category} 가게예요"))
    if not budget and price is not None and wide[_W["price_vs_usual_spend"]] > 0.8:
        options.append((0.5, f"{price:,}원으로 부담 없는 가격이에요"))
    if distance_m is not None and distance_m <= 800:
        options.append((0.75 - distance_m / 4000, f"{distance_m:,}m로 가까워요"))
    if wide[_W["dietary_match"]] >= 0.5:
        options.append((0.65, "원하는 식단에 잘 맞아요"))
    if wide[_W["good_shop_corrected"]] > 0:
        options.append((0.55, "착한가게예요"))
    if wide[_W["funnel_flag_collaborative"]] > 0 and wide[_W["funnel_score_collaborative"]] > 0.5:
        options.append((0.5, "비슷한 친구들이 많이 골랐어요"))
    if wide[_W["rating_over_3_5"]] >= 0.6:
        options.append((0.45, "평점이 높아요"))
    if wide[_W["user_category_share"]] >= 0.3:
        options.append((0.4, f"자주 먹던 {category} 가게예요"))
    options.sort(key=lambda o: -o[0])
    return [text for _, text in options]


def _connect(sentence: str) -> str:
    for end, repl in (("예요", "이고,"), ("이에요", "이고,"), ("있어요", "있고,"), ("가까워요", "가깝고,"),
                      ("맞아요", "맞고,"), ("높아요", "높고,"), ("골랐어요", "골랐고,")):
        if sentence.endswith(end):
            return sentence[: -len(end)] + repl
    return sentence + ","
