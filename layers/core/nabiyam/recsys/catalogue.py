"""The catalogue as column arrays: built once per process (a Lambda container loads the
snapshot once), so every request filters and scores shops with vectorised numpy."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from nabiyam.domain.catalogue import Brand, MenuItem, Shop
from nabiyam.domain.food import CATEGORIES, FOOD_BY_NAME
from nabiyam.domain.hours import DAYS, to_kst, weekly_open_hours
from nabiyam.recsys.text import bigram_set, char_ngrams

CATEGORY_INDEX: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}


# Side dishes and drinks: never presented as "the meal" in a price hint (a child asking for
# 치킨 must not read "감자튀김 3,500원이면 먹을 수 있어요" as chicken for 3,500원).
SIDE_FOODS: frozenset[str] = frozenset({"감자튀김", "어묵", "튀김"})
_DRINK_WORDS: tuple[str, ...] = ("음료", "콜라", "사이다", "주스", "에이드", "생수")

HintKind = Literal["asked", "same_category", "other"]


@dataclass(frozen=True)
class HintChoice:
    """The price-hint item, what it is relative to the request, and the asked food it stands in for."""

    item: MenuItem
    kind: HintKind
    asked_over: MenuItem | None


def is_side(item: MenuItem) -> bool:
    return item.food in SIDE_FOODS or any(w in item.name for w in _DRINK_WORDS)


@lru_cache(maxsize=1024)
def _food_category(food: str) -> str | None:
    f = FOOD_BY_NAME.get(food)
    return f.category if f else None


@lru_cache(maxsize=4096)
def food_matches(menu_food: str, asked: str) -> bool:
    """A menu food is the asked food: the same food, or a variant of a generic category-named
    food (후라이드치킨/양념치킨 are 치킨; 닭강정 is not, it is a same-category substitute)."""
    if menu_food == asked:
        return True
    a, m = FOOD_BY_NAME.get(asked), FOOD_BY_NAME.get(menu_food)
    return bool(a and m and a.name == a.category == m.category and menu_food.endswith(asked))


def wanted_categories(foods: Iterable[str], category: str | None) -> set[str]:
    cats = {category} if category else set()
    cats |= {FOOD_BY_NAME[f].category for f in foods if f in FOOD_BY_NAME}
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
        """Open at `at` for every shop: one bit lookup in the packed week grid."""
        at = to_kst(at)
        minute = at.hour * 60 + at.minute
        byte = self._open_bits[:, at.weekday(), minute // 8]
        return ((byte >> (7 - minute % 8)) & 1).astype(bool)

    def distance_m(self, lat: float, lon: float) -> np.ndarray:
        """Haversine distance from (lat, lon) to every shop, vectorised."""
        r = 6_371_000.0
        p1, p2 = np.radians(lat), np.radians(self.lat)
        dp = p2 - p1
        dl = np.radians(self.lon - lon)
        a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
        return 2 * r * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

    def cheapest_within(self, pos: int, budget: int | None, foods: Iterable[str] = ()) -> MenuItem | None:
        """The price-hint item only (see `price_hint`)."""
        choice = self.price_hint(pos, budget, foods)
        return choice.item if choice else None

    def price_hint(self, pos: int, budget: int | None, foods: Iterable[str] = (),
                   category: str | None = None) -> HintChoice | None:
        """What the answer shows as "X원이면 먹을 수 있어요", honestly: the asked-for food within
        budget when the shop has it; else a main dish of the asked category (닭강정 at a 치킨 shop,
        never a side like 감자튀김); else the most substantial item within budget. `asked_over`
        is the shop's cheapest asked-for food when only its price kept it out (for "치킨은
        예산을 넘지만 …")."""
        items = self.menus[pos]
        fitting = [m for m in items if budget is None or m.price <= budget]
        if not fitting:
            return None
        wanted = [f for f in foods if f]
        cats = wanted_categories(wanted, category)
        asked_all = [m for m in items if any(food_matches(m.food, f) for f in wanted)]
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
