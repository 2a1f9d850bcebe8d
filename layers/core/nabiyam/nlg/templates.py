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
from nabiyam.nlg.reasons import HINT_CODES, render_reasons
from nabiyam.nlu.filters import TIME_WORD

# Diet words an answer may put into "what was asked": only those the recommender enforces
# (안 매운 is a hard filter); the others are said per shop, as a checked reason.
_CLAIMABLE_DIETS = {"not_spicy": "안 매운"}


def _pick(options: Sequence[str], seed: str, salt: str = "") -> str:
    digest = hashlib.blake2b(f"{seed}|{salt}".encode(), digest_size=4).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


def describe_request(filters: Filters) -> str:
    """What the child asked for, as a noun phrase: "만원으로 먹을 치킨" → "치킨"."""
    parts: list[str] = []
    diets = [_CLAIMABLE_DIETS[d] for d in filters.dietary_preferences if d in _CLAIMABLE_DIETS]
    if diets:
        parts.append(" ".join(diets[:1]))
    if filters.time_of_day in TIME_WORD and not (filters.food_types or filters.category):
        parts.append(TIME_WORD[filters.time_of_day])
    if filters.food_types:
        parts.append(", ".join(filters.food_types[:2]))
    elif filters.category:
        parts.append(filters.category)
    else:
        parts.append("밥")
    return " ".join(parts)


@dataclass(frozen=True)
class Situation:
    """What the answer must say besides the shops: the one effective budget and whether the
    card set it, late night, farther than walking distance, a sad child."""

    budget: int | None = None  # the effective budget: min(what was said, the card's balance)
    card_limited: bool = False  # the card's balance is smaller than what the child said
    late_night: bool = False
    farther: bool = False
    sad: bool = False


LATE_NIGHT_LINE = "늦은 밤이에요 🌙 밖에 나갈 때는 꼭 어른과 함께 가요."
FARTHER_LINE = "걸어갈 만한 곳에는 맞는 가게가 없어서 조금 먼 곳이에요. 어른과 함께 가요."
CARD_LINE = "카드 잔액이 {budget}이라 그 안에서 찾았어요."
SAD_LINES = ("많이 힘들었겠어요. 오늘도 정말 애썼어요 🤗", "속상했겠어요. 맛있는 거 먹고 힘내요 🤗")


def _asked(filters: Filters) -> bool:
    return bool(filters.food_types or filters.category)


def _substitute(filters: Filters, rec: Recommendation) -> bool:
    """Shown for something other than the asked food (the recommender said so in `kind`)."""
    hint = rec.price_hint
    return _asked(filters) and hint is not None and hint.kind in ("same_category", "other")


def _fits(filters: Filters, rec: Recommendation) -> bool:
    """The asked food itself is within budget here."""
    return not _substitute(filters, rec)


def reason_line(rec: Recommendation) -> str:
    """The reason line under a shop: its reasons besides the price line's, else a plain
    true fact (every shown shop is open now and takes the card)."""
    text = render_reasons(rec.reasons, skip=HINT_CODES)
    return text or f"지금 문을 연 {rec.category} 가게예요"


def price_line(rec: Recommendation, filters: Filters, budget: int | None) -> str | None:
    hint = rec.price_hint
    if hint is None:
        return None
    if hint.is_side and budget:
        mild = "not_spicy" in filters.dietary_preferences  # then the spicy mains do not count
        where = f"{won(budget)} 안에서 안 매운 건" if mild else f"{won(budget)} 안에서는"
        return f"{where} {hint.item} {won(hint.price)} 같은 간단한 메뉴만 있어요."
    instead = f"{describe_request(filters)} 대신 " if _substitute(filters, rec) else ""
    return f"{instead}{hint.item} {won(hint.price)}이면 먹을 수 있어요."


def _shop_lines(i: int, rec: Recommendation, filters: Filters, budget: int | None) -> list[str]:
    head = f"{i}. {rec.name} · {rec.category}"
    if rec.distance_m is not None:
        head += f" · {distance_text(rec.distance_m)}"
    lines = [head]
    price = price_line(rec, filters, budget)
    if price:
        lines.append(f"   {price}")
    lines.append(f"   {reason_line(rec)}")
    return lines


@dataclass(frozen=True)
class Answer:
    text: str
    template: str
    shown: int | None = None  # how many of the given shops the answer lists (fewer when they would not fit)


def _preamble(situation: Situation, seed: str) -> list[str]:
    lines: list[str] = []
    if situation.sad:
        lines.append(_pick(SAD_LINES, seed, "sad"))
    if situation.late_night:
        lines.append(LATE_NIGHT_LINE)
    if situation.card_limited and situation.budget:
        lines.append(CARD_LINE.format(budget=won(situation.budget)))
    return lines


def recommendations(filters: Filters, items: Sequence[Recommendation], seed: str, budget: int | None = None,
                    situation: Situation | None = None) -> Answer:
    """`situation.budget` is the one effective budget (the pipeline's: the smaller of what was
    said and the card's balance); without a situation, `budget` or else what was said."""
    situation = situation or Situation(budget=budget if budget is not None else filters.budget_max)
    budget = situation.budget
    what = describe_request(filters)
    n = len(items)
    intro_options = [
        f"{josa(what, '을/를')} 먹을 수 있는 곳을 {n}곳 찾았어요! 😊",
        f"{what} 먹기 좋은 곳 {n}곳을 골라 봤어요! 😋",
    ]
    if budget:
        intro_options = [
            f"{won(budget)}으로 {josa(what, '을/를')} 먹을 수 있는 곳을 {n}곳 찾았어요! 😊",
            f"{won(budget)} 안에서 {what} 먹기 좋은 곳 {n}곳이에요! 😋",
        ]
    lines = _preamble(situation, seed)
    fits = sum(_fits(filters, rec) for rec in items)
    if _asked(filters) and fits == 0:
        lines += _no_asked_food_intro(filters, items, budget, seed)
    elif _asked(filters) and fits < n:
        lead = f"{won(budget)}으로 " if budget else ""
        lines.append(f"{lead}{josa(what, '을/를')} 먹을 수 있는 곳 {fits}곳과 비슷한 메뉴가 있는 곳 {n - fits}곳이에요! 😊")
    else:
        lines.append(_pick(intro_options, seed, "intro"))
    if situation.farther:
        lines.append(FARTHER_LINE)
    for i, rec in enumerate(items, 1):
        lines.extend(_shop_lines(i, rec, filters, budget))
    lines.append(_pick(["모두 아동급식카드를 쓸 수 있어요. 맛있게 먹어요! 🍚",
                        "모두 급식카드로 결제할 수 있어요. 마음에 드는 곳을 눌러 봐요!"], seed, "outro"))
    text = "\n".join(lines)
    if len(text) > style.MAX_ANSWER_CHARS and n > 1:  # one screen: list one shop fewer rather than fail
        return recommendations(filters, items[:-1], seed, budget, situation)
    return Answer(text, "recommendations", shown=n)


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


def relaxation_tip(filter_name: str, need_budget: int | None = None) -> str:
    """What to try when nothing fits, for the filter that would help (no final period)."""
    if filter_name == "budget" and need_budget:
        return f"예산을 {won(need_budget)} 이상으로 올려 보세요"
    return _TIPS.get(filter_name, "조건을 조금 바꿔서 다시 물어봐 주세요")


_TIPS: dict[str, str] = {
    "budget": "예산을 조금 늘려서 다시 물어봐 주세요",
    "open_now": "다른 시간에 다시 찾아 보세요",
    "district": "다른 동네도 함께 찾아 보세요",
    "near_me": "조금 더 먼 곳까지 찾아 보세요",
    "distance": "어른과 함께라면 조금 더 먼 곳도 찾아 볼 수 있어요",
    "good_shop": "착한가게가 아닌 곳도 함께 찾아 보세요",
    "category": "다른 음식 종류도 찾아 보세요",
    "diet": "다른 음식 종류도 찾아 보세요",
}


def nothing_fits(filters: Filters, seed: str, budget: int | None = None, suggestions: Sequence[str] = (),
                 situation: Situation | None = None) -> Answer:
    """Kind 'nothing fits' with what to try instead (bigger budget, another area, later)."""
    situation = situation or Situation(budget=budget if budget is not None else filters.budget_max)
    budget = situation.budget
    what = describe_request(filters)
    lines = _preamble(situation, seed)
    if situation.late_night:
        lines.append(f"지금은 아주 가까운 곳에 {josa(what, '을/를')} 먹을 수 있는 곳이 없어요 😢")
        lines.append("내일 밝을 때 다시 물어봐 줘요.")
        return Answer("\n".join(lines), "nothing_fits")
    lines.append(_pick([f"지금은 {josa(what, '을/를')} 먹을 수 있는 곳을 찾지 못했어요 😢",
                        f"아쉽지만 지금 갈 수 있는 {what} 가게가 없어요 😢"], seed, "none"))
    tips: list[str] = list(suggestions)
    if not tips:
        if budget:
            tips.append("예산을 조금 늘려서 다시 물어봐 줄래요?")
        if filters.food_types or filters.category:
            tips.append("다른 음식으로 찾아볼까요?")
        tips.append("다른 동네에서 찾아볼까요?")
        tips.append("조금 있다가 다시 물어봐 줘요.")
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


def adult_only(seed: str) -> Answer:
    """A clear, kind no to what only grown-ups may buy (술, 담배 …), then the offer."""
    return Answer(_pick([
        "그건 어른만 살 수 있는 거라서 찾아 줄 수 없어요 🙅\n대신 맛있는 밥집은 잘 찾아요.\n먹고 싶은 음식을 말해 줄래요?",
        "미안해요, 그건 어른들만 할 수 있는 거예요 🙅\n배고프면 맛있는 가게를 찾아 줄게요.\n먹고 싶은 음식이 있어요?",
    ], seed, "adult"), "adult_only")


def comfort(seed: str) -> Answer:
    """A sad or stressed child, not asking for food: one short kind line, then the offer."""
    return Answer(_pick(SAD_LINES, seed, "sad") + "\n" + _pick([
        "맛있는 거 먹으면 기분이 조금 나아질 거예요.\n먹고 싶은 음식이 있으면 말해 줄래요?",
        "배고프면 근처 맛있는 가게를 찾아 줄게요.\n먹고 싶은 음식을 말해 줄래요?",
    ], seed, "comfort"), "comfort")


def safe_fallback() -> Answer:
    """What a child gets when an answer failed a check: short, true, kind."""
    return Answer("미안해요, 지금은 답을 잘 만들지 못했어요 😢\n조금 있다가 다시 물어봐 줄래요?", "safe_fallback")


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
