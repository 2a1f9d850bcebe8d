"""A short, warm Korean reason per shop, from the features that drove its ranking.

Each candidate reason has a strength read off the wide features; the two strongest are
joined. The NLG uses the sentence as is (해요체, short, no promises we cannot check)."""

from __future__ import annotations

import numpy as np

from nabiyam.recsys.features import WIDE_NAMES

_W = {name: i for i, name in enumerate(WIDE_NAMES)}


def reason_for(wide: np.ndarray, distance_m: int | None, price: int | None, budget: int | None, category: str) -> str:
    """`wide` is one row of the 50 wide features."""
    options: list[tuple[float, str]] = []
    if wide[_W["favorite_shop"]] > 0:
        options.append((1.0, "즐겨찾기한 가게예요"))
    elif wide[_W["user_x_shop"]] > 0.5:
        options.append((0.9, "전에 자주 갔던 가게예요"))
    if wide[_W["favorite_brand"]] > 0:
        options.append((0.8, "좋아하는 브랜드예요"))
    if wide[_W["request_match"]] >= 1.0:
        options.append((0.85, "찾는 메뉴가 있어요"))
    elif wide[_W["request_match"]] > 0:
        options.append((0.7, f"원하는 {category} 가게예요"))
    if budget and price is not None:
        options.append((0.6 + 0.3 * wide[_W["budget_headroom"]], f"{price:,}원이라 예산 안에 먹을 수 있어요"))
    elif price is not None and wide[_W["price_vs_usual_spend"]] > 0.8:
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
    if not options:
        return f"지금 갈 수 있는 {category} 가게예요"
    options.sort(key=lambda o: -o[0])
    picked = [text for _, text in options[:2]]
    if len(picked) == 1:
        return picked[0]
    first = picked[0]
    # "…예요" + "…" → "…이고 …" reads better than two sentences for a child.
    joined = _connect(first)
    return f"{joined} {picked[1]}"


def _connect(sentence: str) -> str:
    for end, repl in (("예요", "이고,"), ("이에요", "이고,"), ("있어요", "있고,"), ("가까워요", "가깝고,"),
                      ("맞아요", "맞고,"), ("높아요", "높고,"), ("골랐어요", "골랐고,")):
        if sentence.endswith(end):
            return sentence[: -len(end)] + repl
    return sentence + ","
