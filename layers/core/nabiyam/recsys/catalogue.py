"""The catalogue as column arrays: built once per process (a Lambda container loads the
snapshot once), so every request filters and scores shops with vectorised numpy."""

from __future__ import annotations

import gzip
import json
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from nabiyam.domain.catalogue import Brand, MenuItem, Shop
from nabiyam.domain.food import (CATEGORIES, EXTRA_FOOD_BY_NAME, FOOD_BY_NAME, SIDE_WORDS, alias_index,
                                 extra_alias_index, food_category, is_side_food)
from nabiyam.domain.geo import haversine_m_array
from nabiyam.domain.hours import DAYS, to_kst, weekly_open_hours
from nabiyam.recsys.text import bigram_set, char_ngrams

CATEGORY_INDEX: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}

HintKind = Literal["asked", "same_category", "other"]


@dataclass(frozen=True)
class HintChoice:
    """The price-hint item, what it is relative to the request, and the asked food it stands in for."""

    item: MenuItem
    kind: HintKind
    asked_over: MenuItem | None


def is_side(item: MenuItem) -> bool:
    """A side dish, drink or extra (군만두, 감자튀김, 어묵, 공깃밥, 콜라): never "the meal" in a
    price hint (a child asking for 치킨 must not read "감자튀김 3,500원이면 먹을 수 있어요")."""
    return _is_side(item.food, item.name)


@lru_cache(maxsize=8192)
def _is_side(food: str, name: str) -> bool:
    return is_side_food(food) or any(w in name for w in SIDE_WORDS)


def is_spicy(item: MenuItem) -> bool:
    return item.is_spicy or _spicy_name(item.food, item.name)


@lru_cache(maxsize=8192)
def _spicy_name(food: str, name: str) -> bool:
    f = FOOD_BY_NAME.get(food)
    return bool(f and f.spicy) or "매운" in name


@lru_cache(maxsize=1024)
def _food_category(food: str) -> str | None:
    return food_category(food)


def _compact(text: str) -> str:
    return "".join(text.split())


@lru_cache(maxsize=4096)
def food_matches(menu_food: str, asked: str, menu_name: str = "") -> bool:
    """A menu item is the asked food: the same food, a variant of a generic category-named
    food (후라이드치킨/양념치킨 are 치킨; 닭강정 is not, it is a same-category substitute), or,
    for a food the lexicon does not know (쌀국수), an item whose name contains it."""
    if menu_food == asked:
        return True
    a, m = FOOD_BY_NAME.get(asked), FOOD_BY_NAME.get(menu_food)
    if a is None:
        return len(asked) >= 2 and asked in _compact(menu_name or menu_food)
    return bool(m and a.name == a.category == m.category and menu_food.endswith(asked))


def wanted_categories(foods: Iterable[str], category: str | None) -> set[str]:
    cats = {category} if category else set()
    cats |= {c for c in (food_category(f) for f in foods) if c}
    return cats


class CatalogueError(ValueError):
    """The catalogue input is unusable (empty, dangling references, unreadable file)."""


class CatalogueIndex:
    """Shops, brands and menus with per-shop arrays aligned to `shops` order."""

    def __init__(self, brands: Sequence[Brand], shops: Sequence[Shop], menus: Sequence[MenuItem]):
        if not shops:
            raise CatalogueError("the catalogue has no shops")
        self.brands: dict[str, Brand] = {b.brand_id: b for b in brands}
        self.shops: list[Shop] = sorted(shops, key=lambda s: s.shop_id)
        self.position: dict[str, int] = {s.shop_id: i for i, s in enumerate(self.shops)}
        if len(self.position) != len(self.shops):
            raise CatalogueError("duplicate shop_id in the catalogue")
        self.menus: list[list[MenuItem]] = [[] for _ in self.shops]
        for m in menus:
            pos = self.position.get(m.shop_id)
            if pos is None:
                raise CatalogueError(f"menu item {m.menu_id!r} refers to unknown shop {m.shop_id!r}")
            self.menus[pos].append(m)
        for items in self.menus:
            items.sort(key=lambda m: (m.price, m.menu_id))
        n = len(self.shops)
        self.shop_ids = np.array([s.shop_id for s in self.shops])
        self.lat = np.array([s.lat for s in self.shops], dtype=np.float64)
        self.lon = np.array([s.lon for s in self.shops], dtype=np.float64)
        self.accepts_card = np.array([s.accepts_meal_card for s in self.shops], dtype=bool)
        self.good_shop = np.array([s.is_good_shop for s in self.shops], dtype=bool)
        self.rating = np.array([s.rating for s in self.shops], dtype=np.float64)
        self.review_count = np.array([s.review_count for s in self.shops], dtype=np.float64)
        self.order_count = np.array([s.order_count for s in self.shops], dtype=np.float64)
        self.category_idx = np.array([CATEGORY_INDEX[s.category] for s in self.shops], dtype=np.int64)
        self.district = np.array([s.district for s in self.shops])
        self.brand_ids = [s.brand_id or "" for s in self.shops]
        big = np.iinfo(np.int64).max
        self.min_price = np.array([m[0].price if m else big for m in self.menus], dtype=np.int64)
        self.avg_price = np.array([np.mean([x.price for x in m]) if m else 0.0 for m in self.menus])
        self.menu_count = np.array([len(m) for m in self.menus], dtype=np.float64)
        width = max(1, max(len(m) for m in self.menus))
        self.price_matrix = np.full((n, width), np.inf)
        for i, items in enumerate(self.menus):
            self.price_matrix[i, : len(items)] = [m.price for m in items]
        self.open_hours = np.array([weekly_open_hours(s.week) for s in self.shops])
        # Dietary profile per shop: share of menu items with each flag (from the food lexicon).
        self.diet = {key: np.zeros(n) for key in ("healthy", "spicy", "not_spicy", "vegetarian", "large_portion")}
        self.foods: list[frozenset[str]] = []
        for i, items in enumerate(self.menus):
            foods = [FOOD_BY_NAME.get(m.food) for m in items]
            self.foods.append(frozenset(m.food for m in items))
            if not items:
                continue
            k = len(items)
            self.diet["healthy"][i] = sum(bool(f and f.healthy) for f in foods) / k
            self.diet["vegetarian"][i] = sum(bool(f and f.vegetarian) for f in foods) / k
            self.diet["large_portion"][i] = sum(bool(f and f.large_portion) for f in foods) / k
            spicy = sum(m.is_spicy or bool(f and f.spicy) for m, f in zip(items, foods, strict=True)) / k
            self.diet["spicy"][i] = spicy
            self.diet["not_spicy"][i] = 1.0 - spicy
        # Text each shop is known by, for the content funnel's semantic match.
        self._open_bits = _week_grid(self.shops)
        # Inverted index bigram → shop positions, for a vectorised query/shop text overlap.
        postings: dict[str, list[int]] = {}
        for i, s in enumerate(self.shops):
            text = " ".join([s.name, s.category, *sorted(self.foods[i])])
            for g in bigram_set(text):
                postings.setdefault(g, []).append(i)
        self.bigram_postings: dict[str, np.ndarray] = {g: np.array(v, dtype=np.int64) for g, v in postings.items()}
        # The food index: each menu food and each menu item name → the shops that sell it, so
        # foods the lexicon does not know (쌀국수) are found by name, and masks are lookups.
        self.category_of_shop = np.array([s.category for s in self.shops])
        self._serves: dict[str, np.ndarray] = {}
        names: dict[str, set[int]] = {}
        for i, items in enumerate(self.menus):
            for m in items:
                names.setdefault(_compact(m.name), set()).add(i)
        self._menu_names = names
        known = set(alias_index()) | set(extra_alias_index())
        unknown = sorted({m.food for items in self.menus for m in items
                          if len(m.food) >= 2 and m.food not in FOOD_BY_NAME and m.food not in known},
                         key=lambda x: (-len(x), x))
        # Menu foods outside the lexicon, for matching a message against the catalogue's own words.
        self._unknown_food_re = re.compile("|".join(map(re.escape, unknown))) if unknown else None
        spicy = np.array([[is_spicy(m) for m in items] + [True] * (width - len(items)) for items in self.menus],
                         dtype=bool)
        self._non_spicy_price = np.where(spicy, np.inf, self.price_matrix)
        self._open_cache: dict[tuple[int, int], np.ndarray] = {}
        self._food_min: dict[str, np.ndarray] = {}
        self._distance_cache: dict[tuple[float, float], np.ndarray] = {}
        self._columns: dict[tuple[object, ...], np.ndarray] = {}
        self._aligned: dict[tuple[str, int], tuple[weakref.ref[object], np.ndarray]] = {}
        # Shop names without spaces → positions, and one regex over them, longest first.
        self._name_pos: dict[str, int] = {}
        for i, s in enumerate(self.shops):
            key = _compact(s.name)
            if len(key) >= 2:
                self._name_pos.setdefault(key, i)
        ordered = sorted(self._name_pos, key=lambda x: (-len(x), x))
        # A lookahead finds, at every position, the longest name starting there (overlaps too).
        self._name_re = re.compile("(?=(" + "|".join(map(re.escape, ordered)) + "))") if ordered else None
        self.text: list[str] = [
            " ".join([s.name, s.category, s.district, s.dong, *sorted(self.foods[i])]) for i, s in enumerate(self.shops)
        ]

    def __len__(self) -> int:
        return len(self.shops)

    # ---- construction -------------------------------------------------------------

    @classmethod
    def from_records(cls, brands: Iterable[Brand], shops: Iterable[Shop], menus: Iterable[MenuItem]) -> CatalogueIndex:
        return cls(list(brands), list(shops), list(menus))

    @classmethod
    def from_world_dir(cls, world_dir: Path) -> CatalogueIndex:
        from nabiyam.world import read_world  # the world package is optional at serving time

        world = read_world(Path(world_dir))
        return cls(list(world.brands), list(world.shops), list(world.menus))

    @classmethod
    def from_snapshot(cls, path: Path) -> CatalogueIndex:
        """A `{brands, shops, menus}` JSON (gzip when the name ends in .gz)."""
        path = Path(path)
        try:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError, EOFError) as exc:
            raise CatalogueError(f"cannot read catalogue snapshot {path}: {exc}") from exc
        missing = {"brands", "shops", "menus"} - set(data)
        if missing:
            raise CatalogueError(f"catalogue snapshot {path} lacks {', '.join(sorted(missing))}")
        return cls(
            [Brand.model_validate(b) for b in data["brands"]],
            [Shop.model_validate(s) for s in data["shops"]],
            [MenuItem.model_validate(m) for m in data["menus"]],
        )

    def to_snapshot(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "brands": [b.model_dump(mode="json") for b in self.brands.values()],
            "shops": [s.model_dump(mode="json") for s in self.shops],
            "menus": [m.model_dump(mode="json") for items in self.menus for m in items],
        }
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wt", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        return path

    # ---- per-request helpers ------------------------------------------------------

    def open_mask(self, at: datetime) -> np.ndarray:
        """Open at `at` for every shop: one bit lookup in the packed week grid, cached per
        minute of the week (read-only: callers copy before changing it)."""
        at = to_kst(at)
        minute = at.hour * 60 + at.minute
        key = (at.weekday(), minute)
        mask = self._open_cache.get(key)
        if mask is None:
            byte = self._open_bits[:, at.weekday(), minute // 8]
            mask = ((byte >> (7 - minute % 8)) & 1).astype(bool)
            mask.flags.writeable = False
            if len(self._open_cache) > 4096:
                self._open_cache.clear()
            self._open_cache[key] = mask
        return mask

    def distance_m(self, lat: float, lon: float) -> np.ndarray:
        """Haversine distance from (lat, lon) to every shop, vectorised; cached per origin (many
        requests come from the same home or district centre). Read-only."""
        key = (float(lat), float(lon))
        hit = self._distance_cache.get(key)
        if hit is None:
            hit = haversine_m_array(lat, lon, self.lat, self.lon)
            hit.flags.writeable = False
            if len(self._distance_cache) >= 2048:
                self._distance_cache.clear()
            self._distance_cache[key] = hit
        return hit

    def find_shop(self, text: str, names: Sequence[str] = ()) -> int | None:
        """The shop `text` names: the longest catalogue name in it, or the longest one a
        given name (a `shop_name` entity) is part of or contains."""
        best: tuple[int, int] | None = None  # (name length, position)
        for n in names:
            key = _compact(n)
            if not key:
                continue
            for name, pos in self._name_pos.items():
                if (key in name or name in key) and (best is None or len(name) > best[0]):
                    best = (len(name), pos)
        if self._name_re is not None:
            for m in self._name_re.finditer(_compact(text)):
                name = m.group(1)
                if best is None or len(name) > best[0]:
                    best = (len(name), self._name_pos[name])
        return best[1] if best else None

    # ---- the food index -------------------------------------------------------------

    def serves(self, food: str) -> np.ndarray:
        """Shops with a menu item that is `food` (see `food_matches`): a cached mask."""
        mask = self._serves.get(food)
        if mask is None:
            mask = np.array([any(food_matches(m.food, food, m.name) for m in items) for items in self.menus],
                            dtype=bool)
            mask.flags.writeable = False
            self._serves[food] = mask
        return mask

    def food_min_price(self, food: str) -> np.ndarray:
        """Per shop, the cheapest menu item whose food is exactly `food` (+inf when none): a
        cached column, so "serves the asked food within budget" is one comparison."""
        col = self._food_min.get(food)
        if col is None:
            col = np.array([min((m.price for m in items if m.food == food), default=np.inf) for items in self.menus],
                           dtype=np.float64)
            col.flags.writeable = False
            self._food_min[food] = col
        return col

    def aligned(self, name: str, owner: object, build: Callable[[], np.ndarray]) -> np.ndarray:
        """A per-shop column derived from another loaded object (a vocabulary, a feature
        store), built once per (name, object) and kept while the catalogue lives."""
        key = (name, id(owner))
        hit = self._aligned.get(key)
        if hit is not None and hit[0]() is owner:  # the same live object, not a new one at a reused id
            return hit[1]
        col = build()
        col.flags.writeable = False
        if len(self._aligned) > 256:
            self._aligned = {k: v for k, v in self._aligned.items() if v[0]() is not None}
        self._aligned[key] = (weakref.ref(owner), col)
        return col

    def asked_min_price(self, food: str, not_spicy: bool = False) -> np.ndarray:
        """Per shop, the cheapest item that is `food` (`food_matches`; non-spicy when asked),
        +inf when none: what `price_hint` calls "asked", as a cached column."""
        return self._column(("asked", food, not_spicy), lambda items: [
            m.price for m in items if food_matches(m.food, food, m.name) and not (not_spicy and is_spicy(m))])

    def category_main_min_price(self, categories: frozenset[str], not_spicy: bool = False) -> np.ndarray:
        """Per shop, the cheapest main dish (not a side) of one of `categories`, +inf when none."""
        return self._column(("main", tuple(sorted(categories)), not_spicy), lambda items: [
            m.price for m in items if _food_category(m.food) in categories and not is_side(m)
            and not (not_spicy and is_spicy(m))])

    def _column(self, key: tuple[object, ...], prices: Callable[[list[MenuItem]], list[int]]) -> np.ndarray:
        col = self._columns.get(key)
        if col is None:
            col = np.array([min(prices(items), default=np.inf) for items in self.menus], dtype=np.float64)
            col.flags.writeable = False
            if len(self._columns) > 4096:
                self._columns.clear()
            self._columns[key] = col
        return col

    def category_mask_of(self, categories: Iterable[str]) -> np.ndarray:
        wanted = [CATEGORY_INDEX[c] for c in categories if c in CATEGORY_INDEX]
        return np.isin(self.category_idx, wanted) if wanted else np.zeros(len(self), dtype=bool)

    def menu_foods_in(self, text: str) -> list[str]:
        """Foods the catalogue sells that the lexicon does not know, named in `text`
        ("쌀국수 먹을 수 있는 곳" → ["쌀국수"] when a shop sells 쌀국수)."""
        if self._unknown_food_re is None:
            return []
        found: list[str] = []
        for m in self._unknown_food_re.finditer(_compact(text)):
            if m.group(0) not in found:
                found.append(m.group(0))
        return found

    def non_spicy_within(self, budget: int | None) -> np.ndarray:
        """Shops with a non-spicy item within `budget` (for "매운 거 못 먹어요")."""
        prices = self._non_spicy_price  # +inf for spicy dishes and padding
        ok = np.isfinite(prices)
        if budget is not None:
            ok &= prices <= budget
        return ok.any(axis=1)

    def cheapest_within(self, pos: int, budget: int | None, foods: Iterable[str] = ()) -> MenuItem | None:
        """The price-hint item only (see `price_hint`)."""
        choice = self.price_hint(pos, budget, foods)
        return choice.item if choice else None

    def price_hint(self, pos: int, budget: int | None, foods: Iterable[str] = (),
                   category: str | None = None, not_spicy: bool = False) -> HintChoice | None:
        """What the answer shows as "X원이면 먹을 수 있어요", honestly: the asked-for food within
        budget when the shop has it; else a main dish of the asked category (닭강정 at a 치킨 shop,
        never a side like 감자튀김); else the most substantial item within budget. `asked_over`
        is the shop's cheapest asked-for food when only its price kept it out (for "치킨은
        예산을 넘지만 …")."""
        items = self.menus[pos]
        if not_spicy:  # a child who cannot eat spicy food is never pointed at a spicy dish
            items = [m for m in items if not is_spicy(m)]
        fitting = [m for m in items if budget is None or m.price <= budget]
        if not fitting:
            return None
        wanted = [f for f in foods if f]
        cats = wanted_categories(wanted, category)
        asked_all = [m for m in items if any(food_matches(m.food, f, m.name) for f in wanted)]
        if not wanted and cats:  # a category was asked: its main dishes are what was asked
            asked_all = [m for m in items if _food_category(m.food) in cats and not is_side(m)]
        asked = [m for m in asked_all if budget is None or m.price <= budget]
        if asked:
            return HintChoice(asked[0], "asked", None)
        over = asked_all[0] if asked_all else None
        same = [m for m in fitting if _food_category(m.food) in cats and not is_side(m)] if wanted else []
        if same:
            return HintChoice(same[0], "same_category", over)
        mains = [m for m in fitting if not is_side(m)]
        # The most substantial item that still fits the budget: a better hint than the cheapest side dish.
        if budget is None:
            return HintChoice((mains or fitting)[0], "other", over)
        return HintChoice((mains or fitting)[-1], "other", over)

    def query_overlap(self, query: str) -> np.ndarray:
        """Share of the query's character bigrams found in each shop's name/category/foods."""
        grams = [g for g in char_ngrams(query, (2,)) if "<" not in g and ">" not in g]
        out = np.zeros(len(self))
        if not grams:
            return out
        for g in grams:
            hits = self.bigram_postings.get(g)
            if hits is not None:
                out[hits] += 1.0
        return out / len(grams)

    def budget_share(self, budget: int | None) -> np.ndarray:
        """Share of each shop's menu within `budget` (1.0 when no budget)."""
        if budget is None:
            return np.ones(len(self))
        fits = (self.price_matrix <= budget).sum(axis=1)
        return fits / np.maximum(self.menu_count, 1.0)


def _week_grid(shops: Sequence[Shop]) -> np.ndarray:
    """Per shop, per weekday, per minute: open? Packed to bits, (n, 7, 180) uint8. Spans past
    midnight spill into the next day, exactly as `nabiyam.domain.hours.is_open` reads them."""
    grid = np.zeros((len(shops), 7 * 1440), dtype=bool)
    for i, shop in enumerate(shops):
        for d, day in enumerate(DAYS):
            for start, end in shop.week.get(day, ()):
                a = d * 1440 + start
                b = d * 1440 + end
                if b <= 7 * 1440:
                    grid[i, a:b] = True
                else:  # Sunday past midnight → Monday morning
                    grid[i, a:] = True
                    grid[i, : b - 7 * 1440] = True
    return np.packbits(grid.reshape(len(shops), 7, 1440), axis=2)
