"""The true choice model of the synthetic world: one vectorised utility function.

The generator samples behaviour from it and `Oracle` evaluates it for any (user, shop,
context), so both always agree. Utility of shop s for user u in context c::

    U = w.category      * aff[u, cat(s)]                       hidden category affinity
      + w.time_habit    * tod_strength[u] * TOD_CAT[tod(c), cat(s)]
      + w.companion     * COMP_CAT[companion(c), cat(s)]
      - w.distance      * dist_sens[u] * km(c, s)              per-user distance sensitivity
      - w.price         * price_sens[u] * mean_affordable_price(s, budget) / budget
      + w.affordable    * share of the menu within budget
      + w.favorite_brand * [brand(s) in favourite brands(u)]
      + w.rating        * (rating(s) - 4.0)
      + w.good_shop     * good_aff[u] * is_good_shop(s)
      + w.spice         * (2 * spice_tol[u] - 1) * spicy_share(s)
      + w.want_category * [cat(s) == requested category]
      + w.want_food     * [s serves the requested food within budget]
        (+ w.want_food_category when it only has the food's category)
      + w.dietary       * dietary match (healthy/spicy/vegetarian/large shares; not_spicy: -spicy share)
      + w.good_request  * [good shop asked for and s is one]
      + w.character     * sum_k taste[u, k] * character[s, k]   hidden shop character

The last term is what no column of any sheet records: each shop has a hidden character on
`CHARACTER_AXES` (how good the cooking is, its style: hearty and old-school or light and
trendy); chains share their brand's character with some shop-level variation. Each person
has a taste per axis (most like good cooking, people split on style). Only past choices
reveal it, which is what user and shop embeddings (collaborative signals) are for.

Choosing nothing has utility ``w.no_choice``. The person picks from the considered shops
with softmax(U) including that outside option. A shop that breaks a hard filter (no meal
card, closed at that time, nothing on the menu within budget) has probability 0.
There is no hidden per-session noise: randomness enters only by sampling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from nabiyam.domain.food import CATEGORIES, FOODS
from nabiyam.domain.geo import haversine_km_array
from nabiyam.domain.recommendation import COMPANIONS, TIMES_OF_DAY

FORMULA_VERSION = "2.0"  # 2.0: hidden shop character × personal taste

DIETARY: tuple[str, ...] = ("healthy", "spicy", "not_spicy", "vegetarian", "large_portion")
AGE_GROUPS: tuple[str, ...] = ("child", "teen", "parent")
CAT_INDEX: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
FOOD_INDEX: dict[str, int] = {f.name: i for i, f in enumerate(FOODS)}
TOD_INDEX: dict[str, int] = {t: i for i, t in enumerate(TIMES_OF_DAY)}
COMPANION_INDEX: dict[str, int] = {c: i for i, c in enumerate(COMPANIONS)}

# Rows: TIMES_OF_DAY; columns: CATEGORIES
# (한식, 중식, 일식, 양식, 분식, 치킨, 피자, 패스트푸드, 카페·디저트, 베이커리).
TOD_CAT = np.array([
    [0.3, -1.0, -0.8, -0.6, 0.2, -1.5, -1.5, 0.6, 0.3, 1.2],   # breakfast
    [0.6, 0.5, 0.3, 0.2, 0.4, -0.5, -0.2, 0.3, -0.6, -0.3],    # lunch
    [-0.8, -0.6, -0.5, -0.4, 0.9, 0.2, 0.3, 0.6, 1.0, 0.8],    # snack (after school)
    [0.7, 0.4, 0.3, 0.4, -0.1, 0.6, 0.5, 0.0, -0.8, -0.8],     # dinner
    [-0.3, 0.0, -0.6, -0.6, 0.3, 1.2, 0.7, 0.4, -0.5, -1.0],   # late_night
])
# Rows: COMPANIONS.
COMP_CAT = np.array([
    [0.2, 0.1, 0.1, -0.2, 0.4, -0.4, -0.4, 0.4, 0.0, 0.2],     # alone
    [-0.3, 0.1, 0.0, 0.1, 0.5, 0.5, 0.5, 0.4, 0.4, -0.1],      # friends
    [0.6, 0.4, 0.3, 0.4, -0.3, 0.3, 0.2, -0.3, -0.2, -0.3],    # family
])
# Mean category affinity by age group (rows: AGE_GROUPS); users add N(0, 1) to it.
AGE_CAT_MEAN = np.array([
    [-0.2, 0.2, -0.2, 0.1, 0.6, 0.6, 0.5, 0.5, 0.3, 0.2],      # child 8–12
    [-0.1, 0.4, 0.1, 0.1, 0.6, 0.4, 0.2, 0.4, 0.4, 0.0],       # teen 13–18
    [0.7, 0.2, 0.2, 0.1, -0.2, 0.0, -0.2, -0.4, 0.0, 0.0],     # parent
])

# Hidden shop character: axes, and how tastes and characters are spread in the population.
CHARACTER_AXES: tuple[str, ...] = ("cooking", "style")
TASTE_MEAN = np.array([0.5, 0.0])           # most people like good cooking; style splits them
TASTE_SD = np.array([0.5, 1.0])
BRAND_CHARACTER_SD = 0.8                    # a chain's character, shared by its shops
CHAIN_SHOP_CHARACTER_SD = 0.5               # each chain shop's own deviation from its brand
INDEPENDENT_CHARACTER_SD = float(np.hypot(BRAND_CHARACTER_SD, CHAIN_SHOP_CHARACTER_SD))

FOOD_CAT = np.array([CAT_INDEX[f.category] for f in FOODS], dtype=np.int16)
FOOD_FLAGS = np.array([[f.healthy, f.spicy, f.vegetarian, f.large_portion] for f in FOODS], dtype=bool)


@dataclass(frozen=True)
class Weights:
    """Coefficients of the utility (stored in world.json so a world carries its formula)."""

    category: float = 1.0
    time_habit: float = 1.0
    companion: float = 1.0
    distance: float = 1.0
    price: float = 1.5
    affordable: float = 0.8
    favorite_brand: float = 1.2
    rating: float = 0.8
    good_shop: float = 1.0
    spice: float = 1.2
    want_category: float = 1.6
    want_food: float = 2.2
    want_food_category: float = 0.8
    dietary: float = 1.2
    good_request: float = 1.5
    character: float = 0.7
    no_choice: float = 2.5

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> Weights:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown formula weights {sorted(unknown)}")
        if "character" not in data:  # a world from before formula 2.0 has no shop character
            data = {**data, "character": 0.0}
        return cls(**{k: float(v) for k, v in data.items()})


@dataclass
class ShopArrays:
    """Observable shop features as arrays indexed by shop position."""

    ids: list[str]
    cat: np.ndarray            # int16 category index
    brand: np.ndarray          # int32 brand index, -1 for an independent shop
    lat: np.ndarray
    lon: np.ndarray
    card: np.ndarray           # bool accepts the meal card
    good: np.ndarray           # bool 착한가게
    rating: np.ndarray
    open_grid: np.ndarray      # bool [n, 7, 144]: open at weekday, 10-minute slot
    prices: np.ndarray         # float [n, M], +inf padding
    foods: np.ndarray          # int16 [n, M], -1 padding
    n_items: np.ndarray        # int
    spicy_share: np.ndarray
    healthy_share: np.ndarray
    veg_share: np.ndarray
    large_share: np.ndarray
    min_price: np.ndarray
    character: np.ndarray      # hidden [n, len(CHARACTER_AXES)] (zeros: no character)

    @classmethod
    def build(cls, ids: list[str], cat: np.ndarray, brand: np.ndarray, lat: np.ndarray, lon: np.ndarray,
              card: np.ndarray, good: np.ndarray, rating: np.ndarray, open_grid: np.ndarray,
              menus: list[list[tuple[int, int, bool]]], character: np.ndarray | None = None) -> ShopArrays:
        """`menus[i]` lists (food index, price, is_spicy) of shop i's items; `character` is the
        hidden [n, len(CHARACTER_AXES)] character (None: all zero)."""
        n = len(ids)
        m = max((len(x) for x in menus), default=1) or 1
        prices = np.full((n, m), np.inf)
        foods = np.full((n, m), -1, dtype=np.int16)
        spicy = np.zeros((n, m), dtype=bool)
        for i, items in enumerate(menus):
            for j, (food, price, is_spicy) in enumerate(items):
                prices[i, j], foods[i, j], spicy[i, j] = price, food, is_spicy
        valid = foods >= 0
        n_items = valid.sum(1)
        denom = np.maximum(n_items, 1)
        flags = FOOD_FLAGS[np.where(valid, foods, 0)] & valid[..., None]
        return cls(ids=list(ids), cat=np.asarray(cat, np.int16), brand=np.asarray(brand, np.int32),
                   lat=np.asarray(lat, float), lon=np.asarray(lon, float), card=np.asarray(card, bool),
                   good=np.asarray(good, bool), rating=np.asarray(rating, float), open_grid=open_grid,
                   prices=prices, foods=foods, n_items=n_items,
                   spicy_share=spicy.sum(1) / denom, healthy_share=flags[..., 0].sum(1) / denom,
                   veg_share=flags[..., 2].sum(1) / denom, large_share=flags[..., 3].sum(1) / denom,
                   min_price=prices.min(1),
                   character=(np.zeros((n, len(CHARACTER_AXES))) if character is None
                              else np.asarray(character, float).reshape(n, len(CHARACTER_AXES))))


@dataclass
class UserArrays:
    """Hidden user parameters as arrays indexed by user position."""

    ids: list[str]
    age_group: np.ndarray      # int index into AGE_GROUPS
    aff: np.ndarray            # [n, n_categories]
    spice_tol: np.ndarray      # [0, 1]
    price_sens: np.ndarray
    dist_sens: np.ndarray      # utility per km
    tod_strength: np.ndarray
    good_aff: np.ndarray
    fav: np.ndarray            # bool [n, n_brands] (a reference may pass P(favourite) as floats)
    char_taste: np.ndarray | None = None  # [n, len(CHARACTER_AXES)]; None: all zero (no character)

    def __post_init__(self) -> None:
        if self.char_taste is None:
            self.char_taste = np.zeros((len(self.ids), len(CHARACTER_AXES)))


@dataclass
class Context:
    """Per-pair context arrays (one entry per (user, shop) pair being scored)."""

    weekday: np.ndarray        # 0 = Monday (Asia/Seoul)
    minute: np.ndarray         # minute of the day (Asia/Seoul)
    tod: np.ndarray
    companion: np.ndarray
    budget: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    want_cat: np.ndarray       # -1: none
    want_food: np.ndarray      # -1: none
    diet: np.ndarray           # bool [n, len(DIETARY)]
    good_request: np.ndarray   # bool


def distance_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Haversine distance in km (the one formula, `nabiyam.domain.geo`)."""
    return haversine_km_array(lat1, lon1, lat2, lon2)


def time_of_day(minute: np.ndarray) -> np.ndarray:
    """Minute of the day → TIMES_OF_DAY index (the meal a request at that time is about)."""
    m = np.asarray(minute)
    out = np.full(m.shape, TOD_INDEX["late_night"], dtype=np.int8)
    out[(m >= 5 * 60) & (m < 10 * 60 + 30)] = TOD_INDEX["breakfast"]
    out[(m >= 10 * 60 + 30) & (m < 14 * 60 + 30)] = TOD_INDEX["lunch"]
    out[(m >= 14 * 60 + 30) & (m < 17 * 60)] = TOD_INDEX["snack"]
    out[(m >= 17 * 60) & (m < 21 * 60)] = TOD_INDEX["dinner"]
    return out


def feasible(shops: ShopArrays, s: np.ndarray, ctx: Context) -> np.ndarray:
    """Hard filters: meal card, open at that time, something on the menu within budget."""
    open_now = shops.open_grid[s, ctx.weekday, ctx.minute // 10]
    return shops.card[s] & open_now & (shops.min_price[s] <= ctx.budget)


def utility(w: Weights, users: UserArrays, shops: ShopArrays, u: np.ndarray, s: np.ndarray,
            ctx: Context) -> np.ndarray:
    """Utility of each pair (u[k], s[k]) in context k (see the module docstring)."""
    cat = shops.cat[s].astype(np.intp)
    budget = ctx.budget.astype(float)
    prices = shops.prices[s]
    affordable = prices <= budget[:, None]
    n_aff = affordable.sum(1)
    mean_aff = np.where(affordable, prices, 0.0).sum(1) / np.maximum(n_aff, 1)
    km = distance_km(ctx.lat, ctx.lon, shops.lat[s], shops.lon[s])
    brand = shops.brand[s]
    fav = np.zeros(len(s))
    has_brand = brand >= 0
    if users.fav.shape[1]:
        fav[has_brand] = users.fav[u[has_brand], brand[has_brand]]

    x = w.category * users.aff[u, cat]
    x += w.time_habit * users.tod_strength[u] * TOD_CAT[ctx.tod, cat]
    x += w.companion * COMP_CAT[ctx.companion, cat]
    x -= w.distance * users.dist_sens[u] * km
    x -= w.price * users.price_sens[u] * mean_aff / budget
    x += w.affordable * n_aff / np.maximum(shops.n_items[s], 1)
    x += w.favorite_brand * fav
    x += w.rating * (shops.rating[s] - 4.0)
    x += w.good_shop * users.good_aff[u] * shops.good[s]
    x += w.spice * (2 * users.spice_tol[u] - 1) * shops.spicy_share[s]

    want_cat = ctx.want_cat >= 0
    x += w.want_category * (want_cat & (ctx.want_cat == cat))
    want_food = ctx.want_food >= 0
    if want_food.any():
        serves = ((shops.foods[s] == ctx.want_food[:, None]) & affordable).any(1)
        food_cat = FOOD_CAT[np.maximum(ctx.want_food, 0)]
        x += want_food * np.where(serves, w.want_food, w.want_food_category * (food_cat == cat))
    d = ctx.diet
    diet = (d[:, 0] * shops.healthy_share[s] + d[:, 1] * shops.spicy_share[s] - d[:, 2] * shops.spicy_share[s]
            + d[:, 3] * shops.veg_share[s] + d[:, 4] * shops.large_share[s])
    x += w.dietary * diet
    x += w.good_request * (ctx.good_request & shops.good[s])
    if w.character:
        x += w.character * (users.char_taste[u] * shops.character[s]).sum(1)
    return x


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
