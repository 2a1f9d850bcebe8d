"""Slot text → canonical value, deterministically (the model finds spans, these name them).

Each normalizer accepts what a tagger may hand over: the bare word (짜장면), the word with a
particle glued on (짜장면이랑), a typo one syllable away (짜장멘, 떡뽂이) or spacing noise.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nabiyam.domain.food import alias_index, extra_alias_index, food_category
from nabiyam.nlu import lexicon as lx
from nabiyam.nlu.money import find_money, parse_won
from nabiyam.nlu.text import compact, decompose, is_syllable

# Longest first: particles and endings a tagger may leave on a slot.
_PARTICLES = tuple(sorted((
    "이랑", "랑", "하고", "과", "와", "을", "를", "이", "가", "은", "는", "도", "으로", "로", "만", "에", "에서", "이나",
    "나", "요", "이요", "으론", "론", "집", "같은", "같이", "들", "도요", "이라도", "라도", "한테", "께", "처럼",
), key=len, reverse=True))


def strip_particles(word: str) -> list[str]:
    """The word and its versions with one or two trailing particles removed (longest word first)."""
    out = [word]
    for _ in range(2):
        nxt = [w[: -len(p)] for w in out for p in _PARTICLES if w.endswith(p) and len(w) > len(p)]
        out.extend(n for n in nxt if n not in out)
    return out


def _jamo_distance(a: str, b: str) -> int:
    """Distance counted in jamo (a wrong final consonant costs 1, not a whole syllable)."""
    if len(a) != len(b):
        return 99
    d = 0
    for x, y in zip(a, b):
        if x == y:
            continue
        if not (is_syllable(x) and is_syllable(y)):
            return 99
        d += sum(p != q for p, q in zip(decompose(x), decompose(y)))
    return d


@lru_cache(maxsize=1)
def _food_spellings() -> dict[str, str]:
    out = {s: f.name for s, f in alias_index().items()}
    for s, extra in extra_alias_index().items():
        out.setdefault(s, extra.name)
    return out


def normalize_food(surface: str) -> str | None:
    """Any spelling, typo or glued particle of a food → its canonical name."""
    spellings = _food_spellings()
    for cand in strip_particles(compact(surface)):
        if cand in spellings:
            return spellings[cand]
    key = compact(surface)
    if len(key) >= 2:
        best = min(spellings, key=lambda s: (_jamo_distance(key, s), -len(s)))
        if _jamo_distance(key, best) <= (1 if len(key) <= 2 else 2):
            return spellings[best]
    return None


def category_of(food: str) -> str | None:
    return food_category(food)


def _lookup_kind(kind: str, surface: str) -> str | None:
    for cand in strip_particles(compact(surface)):
        hit = lx.lookup(kind, cand)
        if hit is not None:
            return hit
    # A longer span that contains a known word of this kind (e.g. "너무 맵지 않은 걸로").
    for m in lx.match_lexicon(surface):
        if m.kind == kind:
            return str(m.value)
    return None


def normalize_budget(surface: str) -> int | None:
    won = parse_won(compact(surface))
    if won is not None:
        return won
    found = find_money(surface)
    return found[0].value if found else None


def normalize(kind: str, surface: str) -> str | int | None:
    """Canonical value of a slot of `kind`, or None when the text does not name one."""
    if kind == lx.FOOD:
        return normalize_food(surface)
    if kind == lx.BUDGET:
        return normalize_budget(surface)
    if kind == lx.LOCATION:
        return _lookup_kind(lx.LOCATION, surface) or _lookup_kind(lx.NEAR_ME, surface)
    if kind == lx.SHOP:
        text = surface.strip()
        return text or None
    if kind == lx.CATEGORY:
        cat = _lookup_kind(lx.CATEGORY, surface)
        if cat is None:
            food = normalize_food(surface)
            cat = category_of(food) if food else None
        return cat
    return _lookup_kind(kind, surface)


_DEMONSTRATIVE = re.compile(r"^(?:그|이|저|요)\s+")
_SHOP_TAIL = ("에서", "은", "는", "이", "가", "을", "를", "에", "도", "의")


def lexicon_word(surface: str) -> tuple[str, str, int, int] | None:
    """A span a tagger called a shop name that is only a food or category word (햄버거, 그 빵집)
    names that food or category: (kind, canonical value, start, end of the word within `surface`;
    a leading 그/이/저 and a trailing particle are cut off)."""
    lead = len(m.group(0)) if (m := _DEMONSTRATIVE.match(surface)) else 0
    surface = surface[lead:]
    key = compact(surface)
    for cand in (key, *(key[: -len(p)] for p in _SHOP_TAIL if key.endswith(p) and len(key) > len(p))):
        hit = lx.gazetteer().entries.get(cand.lower())
        if hit and hit[0] in (lx.FOOD, lx.CATEGORY):
            i = next(i for i in range(1, len(surface) + 1) if compact(surface[:i]) == cand)
            return hit[0], hit[1], lead, lead + i
    return None
