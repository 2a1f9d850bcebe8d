"""The claim checker: every line of an answer against the request, the catalogue and the clock.

Each line must be one the NLG writes (an unknown line is a violation: a checker that
skips what it does not understand checks nothing), and each fact a line states is
verified from the catalogue's own records, never from the recommender's flags:

- a shop line: the shop exists under that name and category, breaks no hard filter, and
  its distance words ("걸어서 5분쯤", "2.4km, 걸어서 36분쯤") match the real distance;
- a price line: the item is on that shop's menu at that price, within the effective
  budget; "찾는 X"/no "대신" only when X was asked and this item is X; "X 대신" only when
  the asked food does not fit the budget there; "간단한 메뉴만" only when no main dish fits;
- a reason line: exactly the NLG's rendering of the item's structured reasons, each
  verified (near within `near_claim_m`, 착한가게, the rating, the diet share, the asked
  category, personal facts when the person's facts are given);
- the intro, the outro and the situation lines: the effective budget, the counts, "모두
  급식카드", late night only late at night, "조금 먼 곳" only when nothing within walking
  distance fits, the card line only when the card's balance set the budget.

`check_answer(request, items, text, catalogue)` → `ClaimReport(violations, claims_checked)`.

>>> from nabiyam.domain.nlu import Filters
>>> from nabiyam.domain.recommendation import RequestContext
>>> from nabiyam.recsys.catalogue import CatalogueIndex
>>> from nabiyam.domain.catalogue import Shop, MenuItem
>>> from datetime import date, datetime
>>> shop = Shop(shop_id="S1", name="엄마손 분식", category="분식", district="관악구", dong="신림동", address="-",
...             lat=37.48, lon=126.93, opening_hours="mon 00:00-24:00", accepts_meal_card=True, is_good_shop=False,
...             rating=4.0, review_count=1, order_count=1, opened_on=date(2020, 1, 1))
>>> cat = CatalogueIndex([], [shop], [MenuItem(menu_id="m", shop_id="S1", name="김밥", food="김밥", price=3000)])
>>> req = AnswerRequest(Filters(), RequestContext(), at=datetime(2025, 6, 2, 12, 0))
>>> check_answer(req, [], "저는 밥 먹을 곳을 찾아 주는 나비얌이에요 😊", cat).violations
[]
>>> [v.rule for v in check_answer(req, [], "1,000원으로 피자를 먹을 수 있는 곳을 3곳 찾았어요! 😊", cat).violations]
['budget_words', 'count']
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from nabiyam.domain.catalogue import Shop
from nabiyam.domain.food import CATEGORIES
from nabiyam.domain.recommendation import ChildSafety, PriceHint, Reason, ReasonCode, Recommendation
from nabiyam.nlg import templates
from nabiyam.nlg.korean import distance_text, walking_minutes, won
from nabiyam.nlg.reasons import DIET_WORDS, HINT_CODES, render_reasons, rendered_reasons
from nabiyam.recsys.catalogue import CatalogueIndex, food_matches, is_side, is_spicy
from nabiyam.recsys.reasons import DIET_SHARE, HIGH_RATING
from nabiyam.safety.hard_filters import (AnswerRequest, PersonalFacts, asked_fits, menu_item, shop_distance_m,
                                         shop_violations)

if TYPE_CHECKING:
    from nabiyam.storage.conversations import ConversationRecord


@dataclass(frozen=True)
class Violation:
    rule: str
    line: str
    detail: str = ""


@dataclass
class ClaimReport:
    violations: list[Violation] = field(default_factory=list)
    claims_checked: int = 0
    lines: int = 0
    unverified: int = 0  # personal claims with no personal facts given

    @property
    def ok(self) -> bool:
        return not self.violations


_HEAD = re.compile(r"^(\d+)\. (.+) · (" + "|".join(map(re.escape, CATEGORIES)) + r")(?: · (.+))?$")
_PRICE = re.compile(r"^(?:(?P<instead>.+) 대신 )?(?P<item>.+) (?P<price>[\d,]+)원이면 먹을 수 있어요\.$")
_SIDE = re.compile(r"^(?P<budget>[\d,]+)원 안에서(?:는|(?P<mild> 안 매운 건)) (?P<item>.+) (?P<price>[\d,]+)원 같은 "
                   r"간단한 메뉴만 있어요\.$")
_WON = re.compile(r"([\d,]+)원(?:으로|으로는| 안에서)")
_COUNT = re.compile(r"(\d+)곳")
_TIP = re.compile(r"^- .+요[.?]?$")  # advice on what to try ("- 예산을 … 올려 보세요."): no claim
_SHOP_INFO_HEAD = re.compile(r"^(?P<name>.+?)[은는] (?P<district>\S+구) (?P<dong>\S+)에 있어요 📍$")
_MENU_HEAD = re.compile(r"^(?P<name>.+?)(?:에서 (?P<budget>[\d,]+)원 안으로 먹을 수 있는 메뉴예요|의 메뉴예요) 🍽️$")
_MENU_LINE = re.compile(r"^- (?P<item>.+) (?P<price>[\d,]+)원$")

# Lines that state nothing checkable (greetings, offers, kind words, questions, advice).
@lru_cache(maxsize=1)
def _claim_free() -> frozenset[str]:
    return frozenset(
        line
        for answer in (
            *(templates.greeting(f"s{i}").text for i in range(64)),
            *(templates.out_of_scope(f"s{i}").text for i in range(64)),
            *(templates.feedback_thanks(True, f"s{i}").text for i in range(64)),
            templates.feedback_thanks(False, "s").text,
            *(templates.shop_not_found(f"s{i}").text for i in range(64)),
            templates.unavailable().text,
            *(templates.adult_only(f"s{i}").text for i in range(64)),
            *(templates.comfort(f"s{i}").text for i in range(64)),
            templates.safe_fallback().text,
            "\n".join(templates.SAD_LINES),
            "이렇게 해 볼까요?",
            "내일 밝을 때 다시 물어봐 줘요.",
            "먹고 싶은 메뉴가 있으면 가게를 눌러 봐요!",
            "예산을 조금 늘려 볼까요?",
            "다른 가게를 물어봐 줄래요?",
        )
        for line in answer.splitlines()
    )


_OUTROS = ("모두 아동급식카드를 쓸 수 있어요. 맛있게 먹어요! 🍚", "모두 급식카드로 결제할 수 있어요. 마음에 드는 곳을 눌러 봐요!")


def _num(text: str) -> int:
    return int(text.replace(",", ""))


class _Checker:
    def __init__(self, req: AnswerRequest, items: Sequence[Recommendation], catalogue: CatalogueIndex):
        self.req, self.items, self.cat = req, list(items), catalogue
        self.report = ClaimReport()
        self.what = templates.describe_request(req.filters)
        self.about: tuple[int, Shop] | None = None  # the shop a shop-info or menu answer is about

    def fail(self, rule: str, line: str, detail: str = "") -> None:
        self.report.violations.append(Violation(rule, line, detail))

    def claim(self, ok: bool, rule: str, line: str, detail: str = "") -> None:
        self.report.claims_checked += 1
        if not ok:
            self.fail(rule, line, detail)

    # ---- the whole answer -------------------------------------------------------------

    def run(self, text: str) -> ClaimReport:
        current: Recommendation | None = None
        seen_heads: list[int] = []
        in_block = False
        for raw in text.splitlines():
            if not raw.strip():
                continue
            self.report.lines += 1
            line = raw.strip()
            head = _HEAD.match(line)
            if head and not raw.startswith(" "):
                idx = int(head.group(1))
                seen_heads.append(idx)
                current = self.items[idx - 1] if 1 <= idx <= len(self.items) else None
                if current is None:
                    self.fail("unknown_item", line, f"item {idx} of {len(self.items)}")
                else:
                    self.shop_line(current, head, line)
                in_block = True
                continue
            if raw.startswith("   ") and in_block and current is not None:
                self.block_line(current, line)
                continue
            in_block = False
            current = None
            self.top_line(line)
        if self.items and sorted(seen_heads) != list(range(1, len(self.items) + 1)):
            self.fail("items_missing", "", f"shown {len(self.items)}, answer lists {seen_heads}")
        return self.report

    # ---- shop blocks -----------------------------------------------------------------

    def shop_line(self, rec: Recommendation, head: re.Match[str], line: str) -> None:
        pos = self.cat.position.get(rec.shop_id)
        if pos is None:
            self.fail("unknown_shop", line, rec.shop_id)
            return
        shop = self.cat.shops[pos]
        self.claim(head.group(2) == shop.name, "shop_name", line, shop.name)
        self.claim(head.group(3) == shop.category, "shop_category", line, shop.category)
        for bad in shop_violations(rec, self.req, self.cat):
            self.fail(f"hard_filter:{bad}", line, rec.shop_id)
        self.report.claims_checked += 1  # the hard filters, as one claim per shop
        dist = shop_distance_m(self.req, shop)
        words = head.group(4)
        if words is not None:
            self.claim(dist is not None and words == distance_text(dist), "distance_words", line,
                       f"real {dist} m")

    def block_line(self, rec: Recommendation, line: str) -> None:
        pos = self.cat.position[rec.shop_id]
        budget = self.req.budget
        side = _SIDE.match(line)
        if side:
            item = menu_item(self.cat, pos, side["item"], _num(side["price"]))
            self.claim(budget is not None and _num(side["budget"]) == budget, "budget_words", line)
            self.claim(item is not None and (budget is None or item.price <= budget), "price", line)
            mild = side["mild"] is not None  # "안 매운 건": among the dishes the child can eat
            self.claim(not mild or self.req.not_spicy, "diet_words", line)
            mains = [m for m in self.cat.menus[pos] if not is_side(m) and (budget is None or m.price <= budget)
                     and not (mild and is_spicy(m))]
            self.claim(item is not None and is_side(item) and not mains, "side_only", line)
            return
        price = _PRICE.match(line)
        if price:
            self.price_line(rec, pos, price, line)
            return
        self.reason_line(rec, pos, line)

    def price_line(self, rec: Recommendation, pos: int, m: re.Match[str], line: str) -> None:
        budget = self.req.budget
        f = self.req.filters
        item = menu_item(self.cat, pos, m["item"], _num(m["price"]))
        self.claim(item is not None, "price", line, "not on the menu at that price")
        if item is None:
            return
        self.claim(budget is None or item.price <= budget, "budget", line)
        asked = bool(f.food_types or f.category)
        if m["instead"] is not None:
            self.claim(asked and m["instead"] == self.what, "instead_words", line, self.what)
            # "X 대신": the asked food does not fit the budget at this shop
            self.claim(not f.food_types or not asked_fits(self.req, self.cat, pos), "substitute", line)
        elif asked:
            if f.food_types:
                self.claim(any(food_matches(item.food, food, item.name) for food in f.food_types), "asked_item",
                           line, f"{item.name} is not {f.food_types}")
            else:
                self.claim(self.cat.shops[pos].category == f.category and not is_side(item), "asked_item", line)

    def reason_line(self, rec: Recommendation, pos: int, line: str) -> None:
        shop = self.cat.shops[pos]
        shown = [r for r in rec.reasons if r.code not in HINT_CODES]
        if line == f"지금 문을 연 {shop.category} 가게예요" and not shown:
            self.claim(shop.is_open(self.req.when), "open_now", line)
            return
        if line != render_reasons(rec.reasons, skip=HINT_CODES):
            self.fail("unrecognised", line, "not the rendering of the item's reasons")
            return
        for reason in rendered_reasons(rec.reasons, skip=HINT_CODES):
            self.reason(reason, rec, pos, line)

    def reason(self, r: Reason, rec: Recommendation, pos: int, line: str) -> None:
        shop = self.cat.shops[pos]
        f = self.req.filters
        code = r.code
        if code is ReasonCode.NEAR:
            dist = shop_distance_m(self.req, shop)
            self.claim(dist is not None and dist <= self.req.safety.near_claim_m
                       and walking_minutes(dist) == walking_minutes(r.distance_m or 0), "near", line, f"{dist} m")
        elif code is ReasonCode.GOOD_SHOP:
            self.claim(shop.is_good_shop, "good_shop", line)
        elif code is ReasonCode.HIGH_RATING:
            self.claim(shop.rating >= HIGH_RATING and f"{shop.rating:.1f}" == f"{r.rating:.1f}", "rating", line)
        elif code is ReasonCode.ASKED_CATEGORY:
            self.claim(f.category is not None and shop.category == f.category == r.category, "asked_category", line)
        elif code is ReasonCode.DIET_MATCH:
            diet = r.diet or ""
            asked = [str(d) for d in f.dietary_preferences]
            share = float(self.cat.diet[diet][pos]) if diet in self.cat.diet else 0.0
            self.claim(diet in asked and diet in DIET_WORDS and share >= DIET_SHARE, "diet", line, f"{share:.2f}")
        elif code in (ReasonCode.FAVOURITE_SHOP, ReasonCode.FREQUENT_SHOP, ReasonCode.FAVOURITE_BRAND,
                      ReasonCode.USUAL_CATEGORY):
            facts = self.req.personal
            if facts is None:
                self.report.unverified += 1
                return
            ok = {ReasonCode.FAVOURITE_SHOP: shop.shop_id in facts.favorite_shops,
                  ReasonCode.FREQUENT_SHOP: shop.shop_id in facts.frequent_shops,
                  ReasonCode.FAVOURITE_BRAND: bool(shop.brand_id) and shop.brand_id in facts.favorite_brands,
                  ReasonCode.USUAL_CATEGORY: shop.category in facts.usual_categories}[code]
            self.claim(ok, "personal", line, code.value)
        else:  # the hint codes are said by the price line, never here
            self.fail("unrecognised", line, code.value)

    # ---- lines outside shop blocks ----------------------------------------------------

    def top_line(self, line: str) -> None:
        req, items = self.req, self.items
        budget = req.budget
        if line in _claim_free() or _TIP.match(line):
            return
        if line in _OUTROS:
            self.claim(bool(items) and all(self.cat.shops[self.cat.position[r.shop_id]].accepts_meal_card
                                           for r in items if r.shop_id in self.cat.position), "meal_card", line)
            return
        if line == templates.LATE_NIGHT_LINE:
            self.claim(req.late_night, "late_night", line)
            return
        if line == templates.FARTHER_LINE:
            self.claim(self.farther_is_true(), "farther", line)
            return
        if budget is not None and line == templates.CARD_LINE.format(budget=won(budget)):
            said = req.filters.budget_max
            self.claim(req.context.budget == budget and (said is None or budget < said), "card_line", line)
            return
        if self.intro(line) or self.nothing_fits(line) or self.shop_info(line) or self.menu(line):
            return
        self.fail("unrecognised", line)

    def _budget_words(self, line: str) -> None:
        for m in _WON.finditer(line):
            self.claim(_num(m.group(1)) == self.req.budget, "budget_words", line, f"effective {self.req.budget}")

    def intro(self, line: str) -> bool:
        what, n = self.what, len(self.items)
        if not self.items:
            return False  # with no shops, only the nothing-fits wording may speak
        if not (("곳" in line and ("찾았어요" in line or "곳이에요" in line or "골라 봤어요" in line))
                or line.startswith("아쉽지만")):
            return False
        self._budget_words(line)
        asked = bool(self.req.filters.food_types or self.req.filters.category)
        fits = sum(not (asked and r.price_hint is not None and r.price_hint.kind in ("same_category", "other"))
                   for r in self.items)
        counts = [int(c) for c in _COUNT.findall(line)]
        if "비슷한 메뉴가 있는 곳" in line and "과 " in line:
            self.claim(counts == [fits, n - fits] and 0 < fits < n, "count", line, f"{fits}/{n}")
        elif line.startswith("아쉽지만") or line.startswith("대신"):
            self.claim(fits == 0 and asked, "none_fits", line)
            if "예산이" in line:
                need = _num(re.search(r"예산이 ([\d,]+)원이면", line).group(1))  # type: ignore[union-attr]
                prices = [r.price_hint.asked_price for r in self.items if r.price_hint and r.price_hint.asked_price]
                self.claim(bool(prices) and need == min(prices), "need_budget", line)
            if counts:
                self.claim(counts == [n], "count", line)
        else:
            self.claim(counts == [n], "count", line, f"{n} shown")
            self.claim(what in line, "what", line, what)
            self.claim(fits == n, "all_fit", line)
        return True

    def nothing_fits(self, line: str) -> bool:
        if "😢" not in line or not ("못했어요" in line or "없어요" in line):
            return False
        self.claim(not self.items, "nothing_fits", line)
        self._budget_words(line)
        if "아주 가까운 곳" in line:
            self.claim(self.req.late_night, "late_night", line)
        return True

    def farther_is_true(self) -> bool:
        """Some shown shop is beyond walking distance, and no shop within it passes the hard filters."""
        walk = self.req.safety.walk_max_m
        shown = [shop_distance_m(self.req, self.cat.shops[self.cat.position[r.shop_id]]) for r in self.items]
        if not any(d is not None and d > walk for d in shown):
            return False
        budget = self.req.budget
        for pos, shop in enumerate(self.cat.shops):
            d = shop_distance_m(self.req, shop)
            if d is None or d > walk:
                continue
            probe = Recommendation(shop_id=shop.shop_id, name=shop.name, category=shop.category, district=shop.district,
                                   distance_m=d, price_hint=None, is_good_shop=shop.is_good_shop,
                                   accepts_meal_card=shop.accepts_meal_card, open_now=True, score=0.0)
            fitting = [m for m in self.cat.menus[pos] if budget is None or m.price <= budget]
            if not fitting:
                continue
            probe.price_hint = None if budget is None else PriceHint(item=fitting[0].name, price=fitting[0].price)
            if not shop_violations(probe, self.req, self.cat):
                return False
        return True

    def _shop_named(self, name: str) -> tuple[int, Shop] | None:
        pos = next((i for i, s in enumerate(self.cat.shops) if s.name == name), None)
        return None if pos is None else (pos, self.cat.shops[pos])

    def shop_info(self, line: str) -> bool:
        m = _SHOP_INFO_HEAD.match(line)
        if m is not None:
            found = self._shop_named(m["name"])
            self.about = found
            self.claim(found is not None and found[1].district == m["district"] and found[1].dong == m["dong"],
                       "shop_info", line)
            return True
        shop = self.about[1] if self.about else None
        facts = {"지금 문을 열었어요.": lambda s: s.is_open(self.req.when),
                 "지금은 문을 닫았어요.": lambda s: not s.is_open(self.req.when),
                 "아동급식카드를 쓸 수 있어요.": lambda s: s.accepts_meal_card,
                 "아쉽지만 아동급식카드는 안 받아요.": lambda s: not s.accepts_meal_card,
                 "착한가게예요 👍": lambda s: s.is_good_shop}
        if line in facts:
            self.claim(shop is not None and bool(facts[line](shop)), "shop_info", line)
            return True
        rating = re.match(r"^별점은 ([\d.]+)점이에요\.$", line)
        if rating:
            self.claim(shop is not None and f"{shop.rating:.1f}" == rating.group(1), "rating", line)
            return True
        return line == "오늘은 하루 종일 열어요." or bool(re.match(r"^오늘은 .+에 열어요\.$", line))

    def menu(self, line: str) -> bool:
        head = _MENU_HEAD.match(line)
        if head:
            self.about = self._shop_named(head["name"])
            self.claim(self.about is not None, "menu_shop", line)
            if head["budget"]:
                self.claim(_num(head["budget"]) == self.req.budget, "budget_words", line)
            return True
        item = _MENU_LINE.match(line)
        if item:
            found = self.about
            menu_ok = found is not None and menu_item(self.cat, found[0], item["item"], _num(item["price"])) is not None
            budget = self.req.budget
            self.claim(menu_ok and (budget is None or _num(item["price"]) <= budget), "menu_item", line)
            return True
        return line.endswith("메뉴가 없어요 😢") or line.endswith("메뉴를 아직 몰라요 😢")


def check_answer(request: AnswerRequest, items: Sequence[Recommendation], text: str,
                 catalogue: CatalogueIndex) -> ClaimReport:
    """Every line of `text` (the answer shown with `items`) checked; see the module doc."""
    return _Checker(request, items, catalogue).run(text)


def check_record(record: ConversationRecord, catalogue: CatalogueIndex, safety: ChildSafety | None = None,
                 personal: PersonalFacts | None = None) -> ClaimReport:
    """One logged turn (the daily metrics' per-conversation check): its filters, context,
    request time and located origin, the shown items with their reasons, and the answer."""
    req = AnswerRequest.from_record(record, safety)
    if personal is not None:
        req = dataclasses.replace(req, personal=personal)
    items = [Recommendation.model_validate(shown) for shown in record.shown]
    return check_answer(req, items, record.response, catalogue)


__all__ = ["AnswerRequest", "ClaimReport", "Violation", "check_answer", "check_record"]
