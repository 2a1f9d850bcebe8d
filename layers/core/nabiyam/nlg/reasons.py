"""Structured reasons → short, warm Korean (해요체). The only place reasons become words.

>>> from nabiyam.domain.recommendation import Reason, ReasonCode
>>> render_reasons([Reason(code=ReasonCode.GOOD_SHOP), Reason(code=ReasonCode.NEAR, distance_m=300)])
'착한가게이고, 걸어서 4분이라 가까워요'
>>> render_reason(Reason(code=ReasonCode.SUBSTITUTE, item="닭강정", price=9000, asked="치킨",
...                      asked_item="후라이드치킨", asked_price=16000))
'치킨 한 마리는 예산을 넘지만 닭강정은 9,000원이라 먹을 수 있어요'
"""

from __future__ import annotations

from collections.abc import Sequence

from nabiyam.domain.recommendation import Reason, ReasonCode
from nabiyam.nlg.korean import josa, walking_minutes
from nabiyam.nlg.style import MAX_SENTENCE_CHARS

# How a child names a whole one of these: "치킨 한 마리", "피자 한 판".
WHOLE: dict[str, str] = {"치킨": "한 마리", "후라이드치킨": "한 마리", "양념치킨": "한 마리", "순살치킨": "한 마리",
                         "피자": "한 판", "페퍼로니피자": "한 판", "치즈피자": "한 판"}
DIET_WORDS: dict[str, str] = {"healthy": "건강한", "spicy": "매콤한", "not_spicy": "안 매운", "vegetarian": "채식",
                              "large_portion": "양 많은"}
# Sentence end → the joining form ("…예요" + "…" → "…이고, …").
_CONNECT: tuple[tuple[str, str], ...] = (
    ("이에요", "이고,"), ("예요", "이고,"), ("있어요", "있고,"), ("가까워요", "가깝고,"), ("맞아요", "맞고,"),
    ("높아요", "높고,"))
# Codes the price line of an answer already says (the answer's reason line skips them).
HINT_CODES = frozenset({ReasonCode.ASKED_FOOD_FITS, ReasonCode.SUBSTITUTE})


def asked_label(asked: str) -> str:
    """The asked-for food as a child said it: "치킨 한 마리", "떡볶이"."""
    return f"{asked} {WHOLE[asked]}" if asked in WHOLE else asked


def render_reason(r: Reason) -> str:
    code = r.code
    if code is ReasonCode.ASKED_FOOD_FITS:
        return f"찾는 {josa(r.item or '', '이/가')} {r.price:,}원이라 예산 안에 먹을 수 있어요"
    if code is ReasonCode.SUBSTITUTE:
        what = asked_label(r.asked or "찾는 메뉴")
        head = f"{josa(what, '은/는')} 예산을 넘지만" if r.asked_item else f"{josa(what, '은/는')} 없지만"
        return f"{head} {josa(r.item or '', '은/는')} {r.price:,}원이라 먹을 수 있어요"
    if code is ReasonCode.ASKED_CATEGORY:
        return f"원하는 {r.category} 가게예요"
    if code is ReasonCode.NEAR:
        return f"걸어서 {walking_minutes(r.distance_m or 0)}분이라 가까워요"
    if code is ReasonCode.FAVOURITE_SHOP:
        return "즐겨찾기한 가게예요"
    if code is ReasonCode.FREQUENT_SHOP:
        return "전에 자주 갔던 가게예요"
    if code is ReasonCode.FAVOURITE_BRAND:
        return "좋아하는 브랜드예요"
    if code is ReasonCode.USUAL_CATEGORY:
        return f"자주 먹던 {r.category} 가게예요"
    if code is ReasonCode.GOOD_SHOP:
        return "착한가게예요"
    if code is ReasonCode.HIGH_RATING:
        return f"평점이 {r.rating:.1f}점으로 높아요"
    if code is ReasonCode.DIET_MATCH:
        return f"{DIET_WORDS.get(r.diet or '', '원하는')} 메뉴가 많아요"
    raise ValueError(f"no Korean for reason code {code!r}")


def _connect(sentence: str) -> str:
    for end, repl in _CONNECT:
        if sentence.endswith(end):
            return sentence[: -len(end)] + repl
    return sentence + ","


def rendered_reasons(reasons: Sequence[Reason], skip: frozenset[ReasonCode] = frozenset()) -> list[Reason]:
    """The reasons `render_reasons` puts into words: the first two when they fit one
    sentence of the style's length, else the first."""
    kept = [r for r in reasons if r.code not in skip]
    if len(kept) >= 2 and len(_join(kept[:2])) <= MAX_SENTENCE_CHARS:
        return kept[:2]
    return kept[:1]


def _join(reasons: Sequence[Reason]) -> str:
    texts = [render_reason(r) for r in reasons]
    return texts[0] if len(texts) == 1 else f"{_connect(texts[0])} {texts[1]}"


def render_reasons(reasons: Sequence[Reason], skip: frozenset[ReasonCode] = frozenset()) -> str:
    """Up to two reasons joined into one sentence that fits the style's sentence length
    ("" when there is nothing to say)."""
    kept = rendered_reasons(reasons, skip)
    return _join(kept) if kept else ""
