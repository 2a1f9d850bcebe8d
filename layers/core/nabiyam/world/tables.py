"""Records → the arrays the formula scores (one path for the generator and the oracle)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nabiyam.domain.catalogue import MenuItem, Shop
from nabiyam.domain.food import CATEGORIES
from nabiyam.world.catalogue_gen import grid_from_week
from nabiyam.world.formula import AGE_GROUPS, CAT_INDEX, CHARACTER_AXES, FOOD_INDEX, ShopArrays, UserArrays


def shop_arrays(shops: list[Shop], menus: Iterable[MenuItem], brand_index: dict[str, int],
                character: np.ndarray | None = None) -> ShopArrays:
    """`character`: the hidden [len(shops), len(CHARACTER_AXES)] shop character (None: zero)."""
    pos = {s.shop_id: i for i, s in enumerate(shops)}
    items: list[list[tuple[int, int, bool]]] = [[] for _ in shops]
    for m in menus:
        if m.food not in FOOD_INDEX:
            raise ValueError(f"menu item {m.menu_id}: unknown food {m.food!r}")
        items[pos[m.shop_id]].append((FOOD_INDEX[m.food], m.price, m.is_spicy))
    grid = np.stack([grid_from_week(s.week) for s in shops]) if shops else np.zeros((0, 7, 144), dtype=bool)
    return ShopArrays.build(
        ids=[s.shop_id for s in shops],
        cat=np.array([CAT_INDEX[s.category] for s in shops], dtype=np.int16),
        brand=np.array([brand_index.get(s.brand_id, -1) if s.brand_id else -1 for s in shops], dtype=np.int32),
        lat=np.array([s.lat for s in shops]), lon=np.array([s.lon for s in shops]),
        card=np.array([s.accepts_meal_card for s in shops], dtype=bool),
        good=np.array([s.is_good_shop for s in shops], dtype=bool),
        rating=np.array([s.rating for s in shops]), open_grid=grid, menus=items, character=character)


def user_arrays(prefs: list[dict], brand_index: dict[str, int]) -> UserArrays:
    n = len(prefs)
    fav = np.zeros((n, len(brand_index)), dtype=bool)
    for i, p in enumerate(prefs):
        for b in p["favorite_brands"]:
            fav[i, brand_index[b]] = True
    return UserArrays(
        ids=[p["user_id"] for p in prefs],
        age_group=np.array([AGE_GROUPS.index(p["age_group"]) for p in prefs], dtype=np.int8),
        aff=np.array([[p["category_affinity"][c] for c in CATEGORIES] for p in prefs]).reshape(n, len(CATEGORIES)),
        spice_tol=np.array([p["spice_tolerance"] for p in prefs], dtype=float),
        price_sens=np.array([p["price_sensitivity"] for p in prefs], dtype=float),
        dist_sens=np.array([p["distance_sensitivity"] for p in prefs], dtype=float),
        tod_strength=np.array([p["time_of_day_strength"] for p in prefs], dtype=float),
        good_aff=np.array([p["good_shop_affinity"] for p in prefs], dtype=float),
        fav=fav,
        char_taste=np.array([[p.get("character_taste", {}).get(a, 0.0) for a in CHARACTER_AXES] for p in prefs],
                            dtype=float).reshape(n, len(CHARACTER_AXES)))
