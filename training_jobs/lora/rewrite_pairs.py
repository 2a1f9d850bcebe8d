"""Task 2 data and checks: rewrite a plain (합니다체, adult) sentence into a child-friendly one.

Pairs: the seed's `child_friendly_data` (two pairs, section 44-C) plus hundreds built from the
facts the recommender hands the NLG (shop name, menu item and price, distance and walking
minutes, rating, 착한가게, closing time, budget). Every target passes the NLG style checker
and keeps every fact of its input, so the model only ever learns truthful rewrites.

A rewrite is accepted only when it passes both checks:

- **style**: `nabiyam.nlg.style.check` (해요체, short sentences, no banned words, few emoji);
- **meaning**: every number with its unit (price, distance, minutes, rating, time) and every
  shop / food name of the input survives unchanged, and the output adds no number of its own.

>>> meaning_problems("김밥천국은 350m 거리에 있습니다.", "김밥천국은 350m 거리에 있어요.", ["김밥천국"])
[]
>>> meaning_problems("떡볶이는 4,500원입니다.", "떡볶이는 5,000원이에요.", ["떡볶이"])
["lost '4500원'", "added '5000원'"]
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nabiyam.domain.food import FOODS
from nabiyam.nlg import style
from nabiyam.nlg.korean import josa

# The seed's child_friendly_data (section 44-C; the seed file lost some characters in an
# encoding accident, restored here by meaning).
SEED_PAIRS: tuple[tuple[str, str], ...] = (
    ("이 식당은 매우 훌륭한 음식을 제공합니다.", "이 식당은 정말 맛있는 음식을 만들어요! 😊"),
    ("예산 범위를 초과하는 가격대입니다.", "조금 비싸서 다른 곳을 찾아볼까요?"),
)

_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(원|km|m|분|점|시|개|살)?")


def numbers(text: str) -> Counter[str]:
    """Numbers with their unit, normalised ("4,500원" → "4500원", "1.2km" → "1.2km")."""
    return Counter(m.group(1).replace(",", "") + (m.group(2) or "") for m in _NUMBER.finditer(text))


def meaning_problems(source: str, rewrite: str, keep: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What the rewrite lost or invented (empty = meaning kept)."""
    src, out = numbers(source), numbers(rewrite)
    problems = [f"lost {k!r}" for k in sorted((src - out).elements())]
    problems += [f"added {k!r}" for k in sorted((out - src).elements())]
    problems += [f"lost name {name!r}" for name in keep if name in source and name not in rewrite]
    return problems


@dataclass(frozen=True)
class RewritePair:
    source: str
    target: str
    keep: tuple[str, ...] = field(default_factory=tuple)  # names that must survive
    kind: str = "seed"


# ------------------------------------------------------------------ generated pairs
_SHOP_HEADS = ("아빠손", "이모네", "할머니", "해피", "행운", "원조", "옛날", "꼬마", "미소", "토끼", "곰돌이", "별빛",
               "바삭", "황금", "새싹", "무지개", "햇살", "달님", "사랑", "우리", "맛나", "싱싱", "도담", "다온")
_SHOP_TAILS = ("분식", "반점", "식당", "김밥", "치킨", "피자", "국밥", "칼국수", "돈까스", "밥집", "떡볶이", "베이커리")


def _price(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randrange(lo // 500, hi // 500 + 1) * 500


def _facts(rng: random.Random) -> dict[str, Any]:
    food = rng.choice(FOODS)
    metres = rng.randrange(80, 1500, 10)
    return {"shop": rng.choice(_SHOP_HEADS) + rng.choice(_SHOP_TAILS), "food": food.name,
            "price": _price(rng, food.price_min, food.price_max), "m": metres, "min": max(1, round(metres / 70)),
            "rating": round(rng.uniform(3.5, 4.9), 1), "close": rng.choice([20, 21, 22, 23]),
            "budget": rng.choice([5000, 6000, 7000, 8000, 9000, 10000, 12000, 15000])}


def _templates(f: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(kind, plain, child-friendly, names to keep) for one set of facts."""
    shop, food, price, m, mins = f["shop"], f["food"], f"{f['price']:,}원", f"{f['m']}m", f"{f['min']}분"
    rating, close, budget = f"{f['rating']}점", f"{f['close']}시", f"{f['budget']:,}원"
    names = (shop, food)
    out = [
        ("distance", f"{josa(shop, '은/는')} 현재 위치에서 {m} 거리에 위치하고 있습니다.",
         f"{josa(shop, '은/는')} 여기서 {m} 떨어져 있어요.", (shop,)),
        ("price", f"{shop}의 {food} 가격은 {price}입니다.", f"{shop}에서 {josa(food, '은/는')} {price}이에요.", names),
        ("price_walk", f"{shop}에서는 {josa(food, '을/를')} {price}에 판매하고 있으며, 도보로 {mins} 소요됩니다.",
         f"{shop}에서 {josa(food, '을/를')} {price}에 먹을 수 있어요. 걸어서 {mins} 걸려요!", names),
        ("rating", f"해당 매장 {shop}의 고객 평점은 {rating}입니다.", f"{shop}의 별점은 {rating}이에요! ⭐", (shop,)),
        ("good_shop", f"{josa(shop, '은/는')} 착한가게로 지정된 업소입니다.", f"{josa(shop, '은/는')} 착한가게예요. 😊", (shop,)),
        ("hours", f"{josa(shop, '은/는')} {close}까지 영업합니다.", f"{josa(shop, '은/는')} {close}까지 문을 열어요.", (shop,)),
        ("budget_fit", f"{josa(food, '은/는')} {price}으로, 요청하신 예산 {budget} 이내에 해당합니다.",
         f"{josa(food, '은/는')} {price}이라서 {budget}으로 먹을 수 있어요!", (food,)),
        ("menu", f"{shop}의 대표 메뉴는 {food}이며 가격은 {price}입니다.",
         f"{shop}에서 제일 유명한 건 {josa(food, '이에요/예요')}. {price}이에요.", names),
        ("walk", f"{shop}까지는 도보 {mins}이 소요되는 거리입니다.", f"{shop}까지 걸어서 {mins}이면 가요.", (shop,)),
    ]
    if f["price"] > f["budget"]:
        out.append(("over_budget", f"{food}의 가격 {price}은 예산 {budget}을 초과합니다.",
                    f"{josa(food, '은/는')} {price}이라서 {budget}보다 조금 비싸요. 다른 메뉴도 볼까요?", (food,)))
    if f["rating"] >= 4.5:
        out.append(("popular", f"{josa(shop, '은/는')} 평점 {rating}의 높은 평가를 받고 있는 매장입니다.",
                    f"{josa(shop, '은/는')} 별점이 {rating}이나 돼요. 인기가 많아요!", (shop,)))
    return out


_FIXED: tuple[tuple[str, str, str], ...] = (
    ("nothing", "요청하신 조건에 부합하는 식당이 존재하지 않습니다.", "딱 맞는 곳을 못 찾았어요. 다른 메뉴로 찾아볼까요?"),
    ("closed", "현재 영업 중인 매장이 없습니다.", "지금 문을 연 가게가 없어요. 조금 있다가 다시 찾아볼까요?"),
    ("late", "늦은 시간이므로 보호자와 동행하시기 바랍니다.", "밤이 늦었어요. 어른이랑 같이 가요!"),
    ("far", "해당 매장은 도보 이동이 어려운 거리에 있습니다.", "그 가게는 걸어가기엔 조금 멀어요."),
    ("card", "아동급식카드 결제가 가능한 매장입니다.", "아동급식카드로 낼 수 있는 가게예요."),
)


def generated_pairs(n: int, seed: int) -> list[RewritePair]:
    """`n` pairs from random facts (deterministic for (n, seed)); each target passes both checks."""
    rng = random.Random(f"rewrite-{seed}")
    out: list[RewritePair] = [RewritePair(p, c, (), kind) for kind, p, c in _FIXED]
    seen = {p.source for p in out}
    while len(out) < n:
        for kind, plain, child, keep in _templates(_facts(rng)):
            # a food name can spell a banned word with its particle (죽 + 을 = 죽을): skip those facts
            if any(word in child for word in style.BANNED_WORDS):
                continue
            if plain not in seen and rng.random() < 0.5:
                seen.add(plain)
                out.append(RewritePair(plain, child, keep, kind))
    out = out[:n]
    for pair in out:  # the data itself must be what we ask of the model
        problems = [p.detail for p in style.check(pair.target)] + meaning_problems(pair.source, pair.target, pair.keep)
        if problems:
            raise AssertionError(f"rewrite pair fails its own checks: {pair} {problems}")
    return out


def rewrite_pairs(n_train: int, n_eval: int, seed: int) -> tuple[list[RewritePair], list[RewritePair]]:
    """(train, eval): the seed pairs and generated pairs; eval uses facts training never saw
    (another random stream), so it measures rewriting, not recall."""
    seed_pairs = [RewritePair(s, t) for s, t in SEED_PAIRS]
    train = seed_pairs + generated_pairs(max(n_train - len(seed_pairs), 0), seed)
    train_sources = {p.source for p in train}
    held = [p for p in generated_pairs(n_eval * 2 + len(_FIXED), seed + 1000)
            if p.source not in train_sources and p.kind not in {k for k, _, _ in _FIXED}]
    return train, held[:n_eval]


def check_rewrite(source: str, rewrite: str, keep: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """Both checks on one rewrite: {"style_ok", "meaning_ok", "style_problems", "meaning_problems"}."""
    s = [f"{p.rule}: {p.detail}" for p in style.check(rewrite)]
    m = meaning_problems(source, rewrite, keep)
    return {"style_ok": not s, "meaning_ok": not m, "style_problems": s, "meaning_problems": m}
