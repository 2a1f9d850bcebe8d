"""Brands, shops and menus: places in Seoul districts with realistic names, prices and hours."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from nabiyam.domain.food import CATEGORIES, FOOD_BY_NAME, foods_in
from nabiyam.domain.geo import DISTRICTS
from nabiyam.domain.hours import DAYS, Week, format_hours
from nabiyam.world import lexicon
from nabiyam.world.formula import CAT_INDEX, FOOD_INDEX

# Share of shops per category (한식 … 베이커리).
CATEGORY_SHARE = np.array([0.22, 0.12, 0.07, 0.06, 0.15, 0.10, 0.06, 0.08, 0.08, 0.06])
CARD_ACCEPTANCE = {"한식": 0.92, "중식": 0.9, "일식": 0.8, "양식": 0.75, "분식": 0.95, "치킨": 0.7, "피자": 0.7,
                   "패스트푸드": 0.85, "카페·디저트": 0.6, "베이커리": 0.8}
CHAIN_SHARE = 0.35


@dataclass
class Catalogue:
    brands: list[dict] = field(default_factory=list)
    shops: list[dict] = field(default_factory=list)
    menus: list[dict] = field(default_factory=list)
    shop_menus: list[list[tuple[int, int, bool]]] = field(default_factory=list)  # (food idx, price, spicy)
    weeks: list[Week] = field(default_factory=list)


def district_weights(districts: tuple[str, ...]) -> np.ndarray:
    """관악구 (the launch district) holds 40 % of the world, the rest share equally."""
    w = np.array([0.4 if d == "관악구" else 0.6 / max(len(districts) - 1, 1) for d in districts])
    return w / w.sum()


def point_in_district(rng: np.random.Generator, district: str, n: int, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    d = DISTRICTS[district]
    r = d.radius_km * spread * np.sqrt(rng.random(n))
    theta = rng.random(n) * 2 * math.pi
    return offset(d.lat, d.lon, r * np.cos(theta), r * np.sin(theta))


def offset(lat: np.ndarray | float, lon: np.ndarray | float, north_km: np.ndarray, east_km: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    lat = np.asarray(lat) + north_km / 110.574
    lon = np.asarray(lon) + east_km / (111.320 * np.cos(np.radians(lat)))
    return np.round(lat, 6), np.round(lon, 6)


def dong_of(district: str, lat: float, lon: float) -> str:
    """Dongs have no polygons here: a dong is a sector of the district around its centre."""
    d = DISTRICTS[district]
    angle = (math.atan2(lat - d.lat, lon - d.lon) + math.pi) / (2 * math.pi)
    return d.dongs[min(int(angle * len(d.dongs)), len(d.dongs) - 1)]


def nearest_district(lat: np.ndarray, lon: np.ndarray, districts: tuple[str, ...]) -> np.ndarray:
    centres = np.array([[DISTRICTS[d].lat, DISTRICTS[d].lon] for d in districts])
    d2 = (lat[:, None] - centres[None, :, 0]) ** 2 + ((lon[:, None] - centres[None, :, 1]) * 0.8) ** 2
    return d2.argmin(1)


def _hours(rng: np.random.Generator, category: str) -> Week:
    def t(h: float) -> int:
        return int(round(h * 60))

    pick = rng.choice
    split = False
    if category == "한식":
        if rng.random() < 0.15:
            o, c = 11.0, 15.0                                      # lunch-only 백반집
        elif rng.random() < 0.06:
            o, c = 0.0, 24.0                                       # 24-hour 국밥집
        else:
            o, c = float(pick([10.0, 10.5, 11.0])), float(pick([21.0, 21.5, 22.0]))
            split = rng.random() < 0.3
    elif category == "중식":
        o, c, split = 10.5, float(pick([21.0, 21.5])), rng.random() < 0.25
    elif category == "일식":
        o, c, split = 11.0, float(pick([21.0, 21.5])), rng.random() < 0.5
    elif category == "양식":
        o, c, split = 11.0, float(pick([21.0, 21.5, 22.0])), rng.random() < 0.4
    elif category == "분식":
        o, c = float(pick([8.0, 9.0, 10.0])), float(pick([20.0, 21.0, 22.0]))
    elif category == "치킨":
        o, c = float(pick([12.0, 15.0, 16.0])), float(pick([24.0, 25.0, 26.0]))  # late-night places
    elif category == "피자":
        o, c = 11.0, float(pick([22.0, 23.0]))
    elif category == "패스트푸드":
        o, c = (0.0, 24.0) if rng.random() < 0.08 else (float(pick([7.0, 8.0, 10.0])), 22.0)
    elif category == "카페·디저트":
        o, c = float(pick([9.0, 10.0])), float(pick([21.0, 22.0]))
    else:  # 베이커리
        o, c = float(pick([7.0, 7.5, 8.0])), float(pick([21.0, 22.0]))
    spans = [(t(o), t(15.0)), (t(17.0), t(c))] if split and c > 17.0 else [(t(o), t(c))]
    week: Week = {d: list(spans) for d in DAYS}
    if rng.random() < 0.35 and c - o < 24:
        closed = str(pick(["mon", "sun", "tue", "wed"], p=[0.4, 0.4, 0.1, 0.1]))
        week[closed] = []
    if rng.random() < 0.3 and o > 0:   # weekends open an hour later
        for d in ("sat", "sun"):
            if week[d]:
                s0, e0 = week[d][0]
                week[d][0] = (min(s0 + 60, e0 - 30), e0)
    return week


def grid_from_week(week: Week) -> np.ndarray:
    """bool [7, 144]: open at the start of each 10-minute slot of each weekday."""
    grid = np.zeros((7, 144), dtype=bool)
    slot_start = np.arange(144) * 10
    for i, day in enumerate(DAYS):
        for s, e in week.get(day, ()):
            grid[i] |= (slot_start >= s) & (slot_start < min(e, 1440))
            if e > 1440:
                grid[(i + 1) % 7] |= slot_start < e - 1440
    return grid


def _price(rng: np.random.Generator, food: str, level: float, addon: int) -> int:
    f = FOOD_BY_NAME[food]
    base = rng.uniform(f.price_min, f.price_max) * level + addon
    return int(max(500, round(base / 500) * 500))


def _menu(rng: np.random.Generator, category: str, level: float) -> list[tuple[str, str, int, bool]]:
    """(item name, food, price, spicy) for one shop or one chain."""
    own = [f.name for f in foods_in(category)]
    k = int(min(len(own), rng.integers(3, 7)))
    chosen = list(rng.choice(own, size=k, replace=False))
    extras = [e for e in lexicon.CATEGORY_EXTRAS.get(category, ()) if rng.random() < 0.35]
    items: list[tuple[str, str, int, bool]] = []
    for food in sorted(set(chosen + extras), key=lambda x: (FOOD_INDEX[x])):
        variants = lexicon.item_variants(food)
        n_var = 1 + int(rng.random() < 0.45) + int(rng.random() < 0.15)
        picks = [0] + sorted(rng.choice(np.arange(1, len(variants)), size=min(n_var - 1, len(variants) - 1),
                                        replace=False).tolist())
        for v in picks:
            name, addon, hot = variants[v]
            items.append((name, food, _price(rng, food, level, addon), hot or FOOD_BY_NAME[food].spicy))
    return items


def make_catalogue(rng: np.random.Generator, n_shops: int, districts: tuple[str, ...], start: date) -> Catalogue:
    cat = Catalogue()
    chain_names = lexicon.CHAINS
    chain_level = rng.lognormal(0.0, 0.06, len(chain_names))
    chain_menus = []
    for i, (name, category) in enumerate(chain_names):
        cat.brands.append({"brand_id": f"b{i + 1:03d}", "name": name, "category": category, "is_chain": True})
        chain_menus.append(_menu(rng, category, float(chain_level[i])))
    chains_by_cat: dict[str, list[int]] = {}
    for i, (_, c) in enumerate(chain_names):
        chains_by_cat.setdefault(c, []).append(i)

    dw = district_weights(districts)
    shop_district = rng.choice(len(districts), size=n_shops, p=dw)
    shop_cat = rng.choice(len(CATEGORIES), size=n_shops, p=CATEGORY_SHARE / CATEGORY_SHARE.sum())
    hubs = {d: point_in_district(rng, d, 5, spread=0.7) for d in districts}
    menu_counter = 0
    for i in range(n_shops):
        district = districts[int(shop_district[i])]
        category = CATEGORIES[int(shop_cat[i])]
        if rng.random() < 0.7:  # shops cluster around commercial hubs (역 앞, 시장, 학교 앞)
            h = int(rng.integers(5))
            hl, ho = hubs[district]
            lat, lon = offset(hl[h], ho[h], rng.normal(0, 0.35), rng.normal(0, 0.35))
        else:
            la, lo = point_in_district(rng, district, 1)
            lat, lon = la[0], lo[0]
        lat, lon = float(lat), float(lon)
        dong = dong_of(district, lat, lon)
        is_chain = rng.random() < CHAIN_SHARE and category in chains_by_cat
        if is_chain:
            b = int(rng.choice(chains_by_cat[category]))
            brand_id: str | None = cat.brands[b]["brand_id"]
            name = f"{chain_names[b][0]} {dong[:-1]}점"
            items = chain_menus[b]
            level = float(chain_level[b])
        else:
            brand_id = None
            stem = str(rng.choice(lexicon.NAME_STEMS[category]))
            prefix = str(rng.choice(lexicon.NAME_PREFIXES)) if rng.random() < 0.75 else dong[:-1]
            name = f"{prefix} {stem}" if rng.random() < 0.5 else f"{prefix}{stem}"
            level = float(rng.lognormal(0.0, 0.08)) * (1.08 if district in ("서초구", "강남구") else 1.0)
            items = _menu(rng, category, level)
        week = _hours(rng, category)
        good = rng.random() < (0.22 if category in ("한식", "분식", "중식") and level < 1.0 else 0.04)
        rating = float(np.clip(round(rng.normal(4.05, 0.35) + 0.15 * good, 1), 2.5, 5.0))
        reviews = int(rng.lognormal(math.log(25), 0.9) * (1.8 if is_chain else 1.0))
        orders = int(reviews * rng.uniform(4, 9) + rng.integers(0, 30))
        street = f"{dong[:-1]}로{int(rng.integers(1, 40))}길 {int(rng.integers(1, 120))}"
        shop_id = f"sh{i + 1:05d}"
        cat.shops.append({
            "shop_id": shop_id, "name": name, "brand_id": brand_id, "category": category, "district": district,
            "dong": dong, "address": f"서울특별시 {district} {street}", "lat": lat, "lon": lon,
            "opening_hours": format_hours(week), "accepts_meal_card": bool(rng.random() < CARD_ACCEPTANCE[category]),
            "is_good_shop": bool(good), "rating": rating, "review_count": reviews, "order_count": orders,
            "opened_on": start - timedelta(days=int(rng.integers(60, 3650))),
        })
        cat.weeks.append(week)
        menu: list[tuple[int, int, bool]] = []
        for name_, food, price, spicy in items:
            menu_counter += 1
            cat.menus.append({"menu_id": f"m{menu_counter:06d}", "shop_id": shop_id, "name": name_, "food": food,
                              "price": price, "is_spicy": spicy})
            menu.append((FOOD_INDEX[food], price, spicy))
        cat.shop_menus.append(menu)
    return cat


def category_index(categories: list[str]) -> np.ndarray:
    return np.array([CAT_INDEX[c] for c in categories], dtype=np.int16)
