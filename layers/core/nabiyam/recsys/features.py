"""The ranker's input, exactly as the seed lays it out; the ONE feature module that
training (CSV + tensors) and serving (ONNX inputs) both call.

Wide (50, the seed's width, so its CSV layout stays fixed): the seed's 17 named features at
0–16, then extra fit scores at 17–49 (44–49, once zero padding, carry log-scale taste).
Deep: user / shop / brand / category ids (row 0 = shared out-of-vocabulary embedding),
the semantic query as hashed character n-gram ids, and 10 normalised numerical features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nabiyam.domain.food import CATEGORIES
from nabiyam.domain.geo import DISTRICTS, haversine_m_array
from nabiyam.recsys.catalogue import CatalogueIndex
from nabiyam.recsys.filters import ResolvedRequest, wanted_categories
from nabiyam.recsys.funnels import FUNNELS, Layer1
from nabiyam.recsys.store import COMPANIONS, N_CAT, TIMES_OF_DAY, FeatureStore, UserProfile, Vocab, age_group
from nabiyam.recsys.text import QUERY_LEN, hash_ids

WIDE_DIM = 50
NUM_DIM = 10
WIDE_NAMES: tuple[str, ...] = (
    "age_group_x_category",  # 0 population lift of the user's age group for the shop's category
    "user_district_x_shop_district",  # 1 1.0 same 구, decays with the distance between 구 centres
    "time_of_day_x_category",  # 2 population lift of the meal slot for the category
    "user_x_shop",  # 3 1 - exp(-past interaction weight)
    "budget_fit",  # 4 share of the menu within budget (or price vs usual spend)
    "distance",  # 5 exp(-metres / 1200); 0.5 when unknown
    "dietary_match",  # 6 share of the menu matching the asked diets
    "good_shop_corrected",  # 7 0.3 for a 착한가게 (the seed's bias correction 1.0 → 0.3)
    "rating_over_3_5",  # 8 (rating - 3.5) / 1.5 clipped to [0, 1]
    *(f"funnel_flag_{f}" for f in FUNNELS),  # 9-12
    *(f"funnel_score_{f}" for f in FUNNELS),  # 13-16 score when the funnel nominated it, else 0
    *(f"funnel_raw_{f}" for f in FUNNELS),  # 17-20 score regardless of nomination
    "user_category_share",  # 21 user's share of past choices in this category
    "favorite_brand",  # 22 shop's brand is one the user favours
    "favorite_shop",  # 23 user favorited this shop
    "request_match",  # 24 1 asked food, 0.6 asked category
    "query_overlap",  # 25 semantic query bigrams found in the shop's text
    "open_now",  # 26
    "price_vs_usual_spend",  # 27 exp(-|log(avg price / usual spend)|); 0.5 unknown
    "budget_headroom",  # 28 (budget - cheapest) / budget, 0 when no budget
    "companion_x_category",  # 29 population lift of the companion for the category; 0.5 when none
    "distance_km/3",  # 30 linear distance (people discount it per km); 0.5 when unknown
    "affordable_price/budget",  # 31 mean price of the items within budget over the budget
    "spicy_share",  # 32 share of spicy menu items
    "healthy_share",  # 33 share of healthy menu items
    "user_category_choice_lift",  # 34 user's chosen/shown rate for the category over the population's, squashed
    "user_distance_pref_x_km",  # 35 (chosen − shown mean km for the user) × this shop's km
    "user_spicy_pref_x_spicy",  # 36 (chosen − shown spicy share) × this shop's spicy share
    "user_good_pref_x_good",  # 37 (chosen − shown good-shop rate) × is good shop
    "user_price_pref_x_price",  # 38 (chosen − shown price/budget) × this shop's price/budget
    "user_brand_order_share",  # 39 share of the user's orders at this shop's brand
    "shop_choice_lift",  # 40 shop's chosen/shown rate over its category's, squashed
    "asked_category",  # 41 the shop's category is the asked (or asked food's) category
    "asked_food_in_budget",  # 42 serves an asked food within budget
    "good_request_x_good",  # 43 a good shop was asked for and this is one
    # Per-person taste on the utility's own (log) scale, shrunk toward the population: a
    # person's category affinity adds to the utility, so its estimate must be a log-ratio.
    "user_category_log_lift",  # 44 log(shrunk chosen/shown rate of the category / population's)
    "user_category_log_share",  # 45 log(shrunk share of past orders in the category / population share)
    "user_category_log_asked_share",  # 46 log(shrunk share of past requests naming the category × 10)
    "user_category_evidence",  # 47 1 - exp(-times this category was shown to the person / 20)
    "log_time_of_day_x_category",  # 48 feature 2 on the log scale (the meal slot's taste adds to utility)
    "log_companion_x_category",  # 49 feature 29 on the log scale (0 when no companion)
)
WIDE_PADDING_START = len(WIDE_NAMES)  # 50: no zero padding left
NUM_NAMES: tuple[str, ...] = (
    "user_age/100",
    "user_favorite_count/50",
    "user_total_orders/100",
    "user_review_count/50",
    "shop_avg_menu_price/50000",
    "shop_menu_count/30",
    "shop_rating/5",
    "shop_review_count/1000",
    "shop_order_count/1000",
    "operating_hours/24",
)
INPUT_NAMES: tuple[str, ...] = ("wide", "numerical", "user_id", "shop_id", "brand_id", "category_id", "query_ids")


@dataclass
class FeatureBatch:
    """Aligned rows for `positions` (catalogue positions), in the ONNX graph's input names."""

    positions: np.ndarray
    wide: np.ndarray  # (n, 50) float32
    numerical: np.ndarray  # (n, 10) float32
    user_id: np.ndarray  # (n,) int64
    shop_id: np.ndarray
    brand_id: np.ndarray
    category_id: np.ndarray
    query_ids: np.ndarray  # (n, QUERY_LEN) int64

    def inputs(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in INPUT_NAMES}

    def __len__(self) -> int:
        return len(self.positions)


_DISTRICT_NAMES: tuple[str, ...] = tuple(DISTRICTS)
# exp(-distance between 구 centres / 5 km), precomputed for every pair of districts.
_DISTRICT_AFFINITY: np.ndarray = np.exp(-haversine_m_array(
    np.array([[d.lat] for d in DISTRICTS.values()]), np.array([[d.lon] for d in DISTRICTS.values()]),
    np.array([[d.lat for d in DISTRICTS.values()]]), np.array([[d.lon for d in DISTRICTS.values()]])) / 5_000.0)


def district_affinity(user_district: str | None, shop_districts: np.ndarray) -> np.ndarray:
    """1.0 for the user's own 구, decaying with the distance between 구 centres; 0.5 unknown."""
    if user_district not in DISTRICTS:
        return np.full(len(shop_districts), 0.5)
    row = _DISTRICT_AFFINITY[_DISTRICT_NAMES.index(user_district)]
    names, inverse = np.unique(shop_districts, return_inverse=True)
    return np.array([row[_DISTRICT_NAMES.index(str(name))] for name in names])[inverse]


def build_features(
    cat: CatalogueIndex,
    store: FeatureStore,
    vocab: Vocab,
    req: ResolvedRequest,
    profile: UserProfile,
    layer1: Layer1,
    positions: np.ndarray,
) -> FeatureBatch:
    p = np.asarray(positions, dtype=np.int64)
    n = len(p)
    c = cat.category_idx[p]
    wide = np.zeros((n, WIDE_DIM), dtype=np.float64)
    age = profile.age(req.at.date())
    wide[:, 0] = np.asarray(store.age_category_lift[age_group(age)])[c]
    wide[:, 1] = district_affinity(profile.district, cat.district[p])
    tod = TIMES_OF_DAY.index(req.time_of_day) if req.time_of_day in TIMES_OF_DAY else 1
    wide[:, 2] = np.asarray(store.time_category_lift[tod])[c]
    weights = np.array([profile.shops.get(sid, 0.0) for sid in cat.shop_ids[p].tolist()])
    wide[:, 3] = 1.0 - np.exp(-weights)
    spend = profile.median_spend
    price_fit = np.exp(-np.abs(np.log(np.maximum(cat.avg_price[p], 1.0) / spend))) if spend > 0 else np.full(n, 0.5)
    wide[:, 4] = layer1.budget_share[p] if req.budget is not None else price_fit
    wide[:, 5] = np.exp(-layer1.distance[p] / 1_200.0) if layer1.distance is not None else 0.5
    wide[:, 6] = layer1.diet_match[p]
    wide[:, 7] = np.where(cat.good_shop[p], 0.3, 0.0)
    wide[:, 8] = np.clip((cat.rating[p] - 3.5) / 1.5, 0.0, 1.0)
    flags = layer1.flags[p].astype(np.float64)
    wide[:, 9:13] = flags
    wide[:, 13:17] = layer1.scores[:, p].T * flags
    wide[:, 17:21] = layer1.scores[:, p].T
    counts = np.asarray(profile.category_counts, dtype=np.float64)
    wide[:, 21] = counts[c] / counts.sum() if counts.sum() > 0 else 0.0
    fav_brands = set(profile.favorite_brands)
    wide[:, 22] = [1.0 if cat.brand_ids[i] and cat.brand_ids[i] in fav_brands else 0.0 for i in p.tolist()]
    fav_shops = set(profile.favorite_shops)
    wide[:, 23] = [1.0 if sid in fav_shops else 0.0 for sid in cat.shop_ids[p].tolist()]
    wide[:, 24] = layer1.request_match[p]
    wide[:, 25] = layer1.query_overlap[p]
    wide[:, 26] = cat.open_mask(req.at)[p].astype(np.float64)
    wide[:, 27] = price_fit
    if req.budget:
        cheapest = cat.min_price[p].astype(np.float64)
        wide[:, 28] = np.clip((req.budget - cheapest) / req.budget, 0.0, 1.0)
        prices = cat.price_matrix[p]
        fits = prices <= req.budget
        mean_fit = np.where(fits, prices, 0.0).sum(axis=1) / np.maximum(fits.sum(axis=1), 1)
        wide[:, 31] = np.clip(mean_fit / req.budget, 0.0, 1.0)
    comp = req.filters.companion
    if comp and comp in COMPANIONS and store.companion_category_lift:
        wide[:, 29] = np.asarray(store.companion_category_lift[COMPANIONS.index(comp)])[c]
    else:
        wide[:, 29] = 0.5
    wide[:, 30] = np.clip(layer1.distance[p] / 3_000.0, 0.0, 2.0) if layer1.distance is not None else 0.5
    wide[:, 32] = cat.diet["spicy"][p]
    wide[:, 33] = cat.diet["healthy"][p]

    shown_cat = np.asarray(profile.shown_cat, dtype=np.float64)
    chosen_cat = np.asarray(profile.chosen_cat, dtype=np.float64)
    rate = np.asarray(store.category_rate, dtype=np.float64) if store.category_rate else np.full(len(CATEGORIES), 0.1)
    lift = ((chosen_cat[c] + 5.0 * rate[c]) / (shown_cat[c] + 5.0)) / rate[c]
    wide[:, 34] = lift / (1.0 + lift)
    km = layer1.distance[p] / 1000.0 if layer1.distance is not None else np.full(n, 1.0)
    wide[:, 35] = np.clip(profile.pref_km * km, -5.0, 5.0)
    wide[:, 36] = profile.pref_spicy * cat.diet["spicy"][p]
    wide[:, 37] = profile.pref_good * cat.good_shop[p]
    budget = float(req.budget) if req.budget else (spend if spend > 0 else 10_000.0)
    wide[:, 38] = np.clip(profile.pref_price * cat.avg_price[p] / budget, -5.0, 5.0)
    if profile.orders > 0 and profile.brand_orders:
        wide[:, 39] = [profile.brand_orders.get(cat.brand_ids[i], 0.0) / profile.orders if cat.brand_ids[i] else 0.0
                       for i in p.tolist()]
    shown_s = cat.aligned("shop_shown", store, lambda: np.array(
        [store.shop_rate.get(sid, (0.0, 0.0))[0] for sid in cat.shop_ids.tolist()], dtype=np.float64))[p]
    chosen_s = cat.aligned("shop_chosen", store, lambda: np.array(
        [store.shop_rate.get(sid, (0.0, 0.0))[1] for sid in cat.shop_ids.tolist()], dtype=np.float64))[p]
    s_lift = ((chosen_s + 5.0 * rate[c]) / (shown_s + 5.0)) / rate[c]
    wide[:, 40] = s_lift / (1.0 + s_lift)
    wanted = wanted_categories(req.filters)
    wide[:, 41] = np.isin(c, [k for k, name in enumerate(CATEGORIES) if name in wanted])
    foods = set(req.filters.food_types)
    if foods:
        limit = req.budget if req.budget is not None else 10**9
        cheapest_asked = np.min([cat.food_min_price(f)[p] for f in foods], axis=0)
        wide[:, 42] = cheapest_asked <= limit
    if req.filters.good_shop_only:
        wide[:, 43] = cat.good_shop[p].astype(np.float64)
    log_lift = np.clip(np.log(lift), -3.0, 3.0)
    wide[:, 44] = log_lift
    share_prior = rate / rate.sum()
    wide[:, 45] = np.clip(np.log((counts[c] + 3.0 * share_prior[c]) / (counts.sum() + 3.0) / share_prior[c]), -3.0, 3.0)
    asked = np.asarray(profile.asked_cat, dtype=np.float64)
    wide[:, 46] = np.clip(np.log((asked[c] + 0.3) / (asked.sum() + 3.0) * N_CAT), -3.0, 3.0)
    wide[:, 47] = 1.0 - np.exp(-shown_cat[c] / 20.0)
    for src, dst in ((2, 48), (29, 49)):
        x = np.clip(wide[:, src], 1e-3, 1.0 - 1e-3)
        wide[:, dst] = np.log(x / (1.0 - x))

    num = np.zeros((n, NUM_DIM), dtype=np.float64)
    num[:, 0] = (age or 0) / 100.0
    num[:, 1] = profile.favorites / 50.0
    num[:, 2] = profile.orders / 100.0
    num[:, 3] = profile.reviews / 50.0
    num[:, 4] = cat.avg_price[p] / 50_000.0
    num[:, 5] = cat.menu_count[p] / 30.0
    num[:, 6] = cat.rating[p] / 5.0
    num[:, 7] = cat.review_count[p] / 1_000.0
    num[:, 8] = cat.order_count[p] / 1_000.0
    num[:, 9] = cat.open_hours[p] / 24.0
    num = np.clip(num, 0.0, 5.0)

    query = hash_ids(req.semantic_query, QUERY_LEN)
    return FeatureBatch(
        positions=p,
        wide=wide.astype(np.float32),
        numerical=num.astype(np.float32),
        user_id=np.full(n, vocab.users.get(req.user_id, 0), dtype=np.int64),
        shop_id=cat.aligned("vocab_shop", vocab, lambda: np.array(
            [vocab.shops.get(s, 0) for s in cat.shop_ids.tolist()], dtype=np.int64))[p],
        brand_id=cat.aligned("vocab_brand", vocab, lambda: np.array(
            [vocab.brands.get(b, 0) for b in cat.brand_ids], dtype=np.int64))[p],
        category_id=cat.aligned("vocab_category", vocab, lambda: np.array(
            [vocab.categories.get(CATEGORIES[k], 0) for k in cat.category_idx.tolist()], dtype=np.int64))[p],
        query_ids=np.tile(query, (n, 1)),
    )

