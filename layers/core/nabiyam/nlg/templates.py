"""Child-friendly Korean answers from templates (해요체, short sentences, gentle emoji).

Templates, not a generator, because every answer must pass `nabiyam.nlg.style.check`
and must never mention a shop that breaks a hard filter (the pipeline removes those
before NLG sees them). A deterministic `seed` (the conversation id) picks among
phrasings so answers do not all look the same but stay reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import Recommendation
from nabiyam.nlg import style
from nabiyam.nlg.korean import distance_text, josa, won

_TIME_WORDS = {"breakfast": "아침", "lunch": "점심", "dinner": "저녁", "late_night": "야식", "snack": "간식"}
_DIET_WORDS = {"healthy": "건강한", "spicy": "매콤한", "not_spicy": "안 매운", "vegetarian": "채식",
               "large_portion": "양 많은"}


def _pick(options: Sequence[str], seed: str, salt: str = "") -> str:
    digest = hashlib.blake2b(f"{seed}|{salt}".encode(), digest_size=4).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


def describe_request(filters: Filters) -> str:
    """What the child asked for, as a noun phrase: "만원으로 먹을 치킨" → "치킨"."""
    parts: list[str] = []
    diets = [_DIET_WORDS[d] for d in filters.dietary_preferences if d in _DIET_WORDS]
    if diets:
        parts.append(" ".join(diets[:2]))
    if filters.time_of_day in _TIME_WORDS and not (filters.food_types or filters.category):
        parts.append(_TIME_WORDS[filters.time_of_day])
    if filters.food_types:
        parts.append(", ".join(filters.food_types[:2]))
    elif filters.category:
        parts.append(filters.category)
    else:
        parts.append("밥")
    return " ".join(parts)


def shop_reason(rec: Recommendation) -> str:
    """One short 해요체 reason: the recommender's own when it is child-friendly, else built here."""
    reason = (rec.reason or "").strip()
    if reason and style.is_child_friendly(reason) and len(reason) <= style.MAX_SENTENCE_CHARS:
        return reason
    liked = ""
    if rec.funnels.get("collaborative", 0) >= 0.5:
        liked = "비슷한 친구들이 좋아했어요."
    elif rec.funnels.get("popularity", 0) >= 0.6:
        liked = "많은 친구들이 찾는 곳이에요."
    if rec.is_good_shop:
        return f"착한가게이고, {liked}" if liked else "착한가게예요."
    return liked or f"맛있는 {josa(rec.category, '이에요/예요')}."


def _asked(filters: Filters) -> bool:
    return bool(filters.food_types or filters.category)


def _substitute(filters: Filters, rec: Recommendation) -> bool:
    """Shown for something other than the asked food (the recommender said so in `kind`)."""
    hint = rec.price_hint
    return _asked(filters) and hint is not None and hint.kind in ("same_category", "other")


def _fits(filters: Filters, rec: Recommendation) -> bool:
    """The asked food itself is within budget here; unknown (no `kind`) counts as yes, as before."""
    return not _substitute(filters, rec)


def _shop_lines(i: int, rec: Recommendation, filters: Filters | None = None) -> list[str]:
    from nabiyam.recsys.reasons import after_substitute  # here: recsys.reasons imports nabiyam.nlg

    head = f"{i}. {rec.name} · {rec.category}"
    if rec.distance_m is not None:
        head += f" · {distance_text(rec.distance_m)}"
    lines = [head]
    reason_rec = rec
    if rec.price_hint is not None:
        instead = f"{describe_request(filters)} 대신 " if filters is not None and _substitute(filters, rec) else ""
        lines.append(f"   {instead}{rec.price_hint.item} {won(rec.price_hint.price)}이면 먹을 수 있어요.")
        rest = after_substitute(rec.reason) if instead else None
        if rest is not None:  # the price line just said it: the reason line says something else
            reason_rec = rec.model_copy(update={"reason": rest or None})
    lines.append(f"   {shop_reason(reason_rec)}")
    return lines


@dataclass(frozen=True)
class Answer:
    text: str
    template: str


def recommendations(filters: Filters, items: Sequence[Recommendation], seed: str, budget: int | None = None) -> Answer:
    what = describe_request(filters)
    n = len(items)
    budget = filters.budget_max or budget
    intro_options = [
        f"{josa(what, '을/를')} 먹을 수 있는 곳을 {n}곳 찾았어요! 😊",
        f"{what} 먹기 좋은 곳 {n}곳을 골라 봤어요! 😋",
    ]
    if budget:
        intro_options = [
            f"{won(budget)}으로 {josa(what, '을/를')} 먹을 수 있는 곳을 {n}곳 찾았어요! 😊",
            f"{won(budget)} 안에서 {what} 먹기 좋은 곳 {n}곳이에요! 😋",
        ]
    fits = sum(_fits(filters, rec) for rec in items)
    if _asked(filters) and fits == 0:
        lines = _no_asked_food_intro(filters, items, budget, seed)
    elif _asked(filters) and fits < n:
        lead = f"{won(budget)}으로 " if budget else ""
        lines = [f"{lead}{josa(what, '을/를')} 먹을 수 있는 곳 {fits}곳과 비슷한 메뉴가 있는 곳 {n - fits}곳이에요! 😊"]
    else:
        lines = [_pick(intro_options, seed, "intro")]
    for i, rec in enumerate(items, 1):
        lines.extend(_shop_lines(i, rec, filters))
    lines.append(_pick(["모두 아동급식카드를 쓸 수 있어요. 맛있게 먹어요! 🍚",
                        "모두 급식카드로 결제할 수 있어요. 마음에 드는 곳을 눌러 봐요!"], seed, "outro"))
    return Answer("\n".join(lines), "recommendations")


def _no_asked_food_intro(filters: Filters, items: Sequence[Recommendation], budget: int | None,
                         seed: str) -> list[str]:
    """None of the shown shops has the asked food within budget: say so first, gently, with the
    nearest way to get it (the smallest budget that would), then what there is instead."""
    what = describe_request(filters)
    n = len(items)
    needed = [r.price_hint.asked_price for r in items if r.price_hint and r.price_hint.asked_price]
    if budget and needed:
        first = (f"아쉽지만 {won(budget)}으로는 {josa(what, '을/를')} 먹기 어려워요 😢 "
                 f"예산이 {won(min(needed))}이면 먹을 수 있어요.")
    elif budget:
        first = f"아쉽지만 {won(budget)}으로 {josa(what, '을/를')} 먹을 수 있는 곳은 못 찾았어요 😢"
    else:
        first = f"아쉽지만 지금은 {josa(what, '을/를')} 먹을 수 있는 곳을 못 찾았어요 😢"
    where = f"{won(budget)} 안에서 " if budget else ""
    second = _pick([f"대신 {where}비슷한 메뉴를 먹을 수 있는 곳 {n}곳을 골라 봤어요.",
                    f"대신 {where}먹을 수 있는 다른 메뉴가 있는 곳 {n}곳이에요."], seed, "instead")
    return [first, second]


def nothing_fits(filters: Filters, seed: str, budget: int | None = None, suggestions: Sequence[str] = ()) -> Answer:
    """Kind 'nothing fits' with what to try instead (bigger budget, another area, later)."""
    what = describe_request(filters)
    lines = [_pick([f"지금은 {josa(what, '을/를')} 먹을 수 있는 곳을 찾지 못했어요 😢",
                    f"아쉽지만 지금 갈 수 있는 {what} 가게가 없어요 😢"], seed, "none")]
    tips: list[str] = list(suggestions)
    if not tips:
        if filters.budget_max or budget:
            tips.append("예산을 조금 늘려서 다시 물어봐 줄래요?")
        if filters.food_types or filters.category:
            tips.append("다른 음식으로 찾아볼까요?")
        tips.append("다른 동네에서 찾아볼까요?")
        tips.append("조금 있다가 다시 물어봐 줘요. 그때는 문을 연 가게가 있을 거예요.")
    lines.append("이렇게 해 볼까요?")
    lines.extend(f"- {tip}" for tip in tips[:4])
    return Answer("\n".join(lines), "nothing_fits")


def greeting(seed: str) -> Answer:
    return Answer(_pick([
        "안녕하세요! 나비얌이에요 😊\n먹고 싶은 음식이나 예산을 말해 주면 근처 가게를 찾아 줄게요.",
        "반가워요! 저는 나비얌이에요 👋\n'만원으로 치킨 먹고 싶어'처럼 물어봐 줘요.",
    ], seed, "greeting"), "greeting")


def feedback_thanks(positive: bool | None, seed: str) -> Answer:
    if positive is False:
        text = "알려 줘서 고마워요. 다음에는 더 잘 맞는 곳을 찾아 볼게요 🙏\n어떤 점이 아쉬웠는지 말해 주면 더 좋아요."
    else:
        text = _pick(["알려 줘서 고마워요! 😊\n다음에도 맛있는 곳을 찾아 줄게요.",
                      "고마워요! 맛있게 먹었으면 좋겠어요 😋"], seed, "thanks")
    return Answer(text, "feedback_thanks")


def out_of_scope(seed: str) -> Answer:
    return Answer(_pick([
        "저는 밥 먹을 곳을 찾아 주는 나비얌이에요 😊\n먹고 싶은 음식이나 예산을 알려 줄래요?\n예를 들면 '만원으로 떡볶이 먹고 싶어'처럼요!",
        "그건 제가 잘 모르는 이야기예요 😅\n대신 근처 맛있는 가게는 잘 찾아요.\n먹고 싶은 음식을 말해 줄래요?",
    ], seed, "oos"), "out_of_scope")


def shop_info(name: str, district: str, dong: str, open_now: bool, accepts_meal_card: bool, rating: float,
              is_good_shop: bool, hours_today: str | None) -> Answer:
    lines = [f"{josa(name, '은/는')} {district} {dong}에 있어요 📍"]
    lines.append("지금 문을 열었어요." if open_now else "지금은 문을 닫았어요.")
    if hours_today:
        lines.append("오늘은 하루 종일 열어요." if hours_today == "하루 종일" else f"오늘은 {hours_today}에 열어요.")
    lines.append("아동급식카드를 쓸 수 있어요." if accepts_meal_card else "아쉽지만 아동급식카드는 안 받아요.")
    if is_good_shop:
        lines.append("착한가게예요 👍")
    lines.append(f"별점은 {rating:.1f}점이에요.")
    return Answer("\n".join(lines), "shop_info")


def menu(name: str, items: Sequence[tuple[str, int]], budget: int | None) -> Answer:
    if not items:
        if budget:
            return Answer(f"{name}에는 {won(budget)} 안에서 먹을 수 있는 메뉴가 없어요 😢\n예산을 조금 늘려 볼까요?", "menu_empty")
        return Answer(f"{name}의 메뉴를 아직 몰라요 😢\n다른 가게를 물어봐 줄래요?", "menu_empty")
    head = f"{name}에서 {won(budget)} 안으로 먹을 수 있는 메뉴예요 🍽️" if budget else f"{name}의 메뉴예요 🍽️"
    lines = [head] + [f"- {item} {won(price)}" for item, price in items[:8]]
    lines.append("먹고 싶은 메뉴가 있으면 가게를 눌러 봐요!")
    return Answer("\n".join(lines), "menu")


def shop_not_found(seed: str) -> Answer:
    return Answer(_pick(["어떤 가게인지 찾지 못했어요 😅\n가게 이름을 다시 알려 줄래요?",
                         "그 가게는 제가 아직 몰라요 😅\n가게 이름을 한 번 더 말해 줄래요?"], seed, "notfound"),
                  "shop_not_found")


def unavailable() -> Answer:
    return Answer("지금은 가게 정보를 불러오지 못했어요 😢\n잠시 뒤에 다시 물어봐 줄래요?", "unavailable")
