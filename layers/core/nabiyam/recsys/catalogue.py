"""The catalogue as column arrays: built once per process (a Lambda container loads the
snapshot once), so every request filters and scores shops with vectorised numpy."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from nabiyam.domain.catalogue import Brand, MenuItem, Shop
from nabiyam.domain.food import CATEGORIES, FOOD_BY_NAME
from nabiyam.domain.hours import DAYS, to_kst, weekly_open_hours
from nabiyam.recsys.text import bigram_set, char_ngrams

CATEGORY_INDEX: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}


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
        """The price hint: an asked-for food within budget when there is one, else the most
        substantial item that fits the budget (the cheapest when there is no budget)."""
        items = self.menus[pos]
        if not items:
            return None
        wanted = set(foods)
        asked = [m for m in items if m.food in wanted and (budget is None or m.price <= budget)]
        if asked:
            return asked[0]
        if budget is None:
            return items[0]
        fitting = [m for m in items if m.price <= budget]
        # The most substantial item that still fits the budget: a better hint than the cheapest side dish.
        return fitting[-1] if fitting else None

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
