"""The user-side feature store and the id vocabularies: written by training next to the
ONNX file, read by serving, so both compute features from the very same numbers."""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np

from nabiyam.domain.catalogue import Favorite, Order, Review, User
from nabiyam.domain.food import CATEGORIES
from nabiyam.domain.hours import to_kst
from nabiyam.domain.recommendation import COMPANIONS, TIMES_OF_DAY

AGE_EDGES: tuple[int, ...] = (13, 19, 30, 40, 50)  # → 6 age groups: child, teen, 20s, 30s, 40s, 50+
N_CAT = len(CATEGORIES)


def age_group(age: int | None) -> int:
    if age is None:
        return 3  # unknown: the 30s, the most common parent age
    return int(np.searchsorted(AGE_EDGES, age, side="right"))


def time_of_day(at: datetime) -> str:
    """Seoul clock → meal slot (the NLU's time_of_day values)."""
    local = to_kst(at)
    m = local.hour * 60 + local.minute
    if 5 * 60 <= m < 10 * 60 + 30:
        return "breakfast"
    if 10 * 60 + 30 <= m < 14 * 60 + 30:
        return "lunch"
    if 14 * 60 + 30 <= m < 17 * 60:
        return "snack"
    if 17 * 60 <= m < 21 * 60:
        return "dinner"
    return "late_night"


@dataclass
class UserProfile:
    birthday: str | None = None  # ISO date
    district: str | None = None
    lat: float | None = None
    lon: float | None = None
    favorites: int = 0
    orders: int = 0
    reviews: int = 0
    median_spend: float = 0.0
    category_counts: list[float] = field(default_factory=lambda: [0.0] * N_CAT)
    shops: dict[str, float] = field(default_factory=dict)  # shop_id → interaction weight
    favorite_shops: list[str] = field(default_factory=list)
    favorite_brands: list[str] = field(default_factory=list)
    brand_orders: dict[str, float] = field(default_factory=dict)  # brand_id → orders
    # Revealed preferences from the exposure log (shops shown in past answers vs the one chosen):
    # per category shown/chosen counts, and mean distance / spicy share / good-shop flag /
    # price-over-budget of what was chosen minus what was shown (0 when unknown).
    shown_cat: list[float] = field(default_factory=lambda: [0.0] * N_CAT)
    chosen_cat: list[float] = field(default_factory=lambda: [0.0] * N_CAT)
    choices: float = 0.0
    pref_km: float = 0.0
    pref_spicy: float = 0.0
    pref_good: float = 0.0
    pref_price: float = 0.0
    # Categories the person asked for in past requests (what they were in the mood for).
    asked_cat: list[float] = field(default_factory=lambda: [0.0] * N_CAT)

    def age(self, on: date) -> int | None:
        if not self.birthday:
            return None
        b = date.fromisoformat(self.birthday)
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


EMPTY_PROFILE = UserProfile()


@dataclass
class FeatureStore:
    """Per-user aggregates up to `cutoff`, plus population crosses (lifts) the wide part uses."""

    cutoff: str
    users: dict[str, UserProfile]
    age_category_lift: list[list[float]]  # [age_group][category] in [0, 1]
    time_category_lift: list[list[float]]  # [time_of_day][category] in [0, 1]
    companion_category_lift: list[list[float]] = field(default_factory=list)  # [companion][category]
    category_rate: list[float] = field(default_factory=list)  # population P(chosen | shown) per category
    shop_rate: dict[str, list[float]] = field(default_factory=dict)  # shop_id → [shown, chosen]

    def profile(self, user_id: str) -> UserProfile:
        return self.users.get(user_id, EMPTY_PROFILE)

    # ---- build ------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        users: Iterable[User],
        shop_category: dict[str, str],
        shop_brand: dict[str, str | None],
        orders: Iterable[Order],
        favorites: Iterable[Favorite],
        reviews: Iterable[Review],
        cutoff: datetime,
        session_companion: dict[str, str] | None = None,
        exposures: Exposures | None = None,
        shop_attrs: ShopAttrs | None = None,
        asked: Iterable[tuple[str, datetime, str]] | None = None,
    ) -> FeatureStore:
        """Aggregate everything strictly before `cutoff` (the point in time features may see)."""
        cutoff = to_kst(cutoff)
        cat_index = {c: i for i, c in enumerate(CATEGORIES)}
        profiles: dict[str, UserProfile] = {
            u.user_id: UserProfile(u.birthday.isoformat(), u.district, u.lat, u.lon) for u in users
        }
        birthdays = {uid: p.birthday for uid, p in profiles.items()}
        spends: dict[str, list[int]] = defaultdict(list)
        age_cat = np.ones((len(AGE_EDGES) + 1, N_CAT))  # Laplace prior
        time_cat = np.ones((len(TIMES_OF_DAY), N_CAT))
        comp_cat = np.ones((len(COMPANIONS), N_CAT))
        session_companion = session_companion or {}
        for o in orders:
            at = to_kst(o.ordered_at)
            if at >= cutoff or o.shop_id not in shop_category:
                continue
            p = profiles.setdefault(o.user_id, UserProfile())
            c = cat_index[shop_category[o.shop_id]]
            p.orders += 1
            p.category_counts[c] += 1
            p.shops[o.shop_id] = p.shops.get(o.shop_id, 0.0) + 1.0
            brand = shop_brand.get(o.shop_id)
            if brand:
                p.brand_orders[brand] = p.brand_orders.get(brand, 0.0) + 1.0
            spends[o.user_id].append(o.price)
            bd = birthdays.get(o.user_id)
            age = UserProfile(birthday=bd).age(at.date()) if bd else None
            age_cat[age_group(age), c] += 1
            time_cat[TIMES_OF_DAY.index(time_of_day(at)), c] += 1
            comp = session_companion.get(o.session_id or "")
            if comp in COMPANIONS:
                comp_cat[COMPANIONS.index(comp), c] += 1
        for f in favorites:
            if to_kst(f.created_at) >= cutoff or f.shop_id not in shop_category:
                continue
            p = profiles.setdefault(f.user_id, UserProfile())
            p.favorites += 1
            p.favorite_shops.append(f.shop_id)
            p.shops[f.shop_id] = p.shops.get(f.shop_id, 0.0) + 2.0
            p.category_counts[cat_index[shop_category[f.shop_id]]] += 1
        for r in reviews:
            if to_kst(r.created_at) >= cutoff or r.shop_id not in shop_category:
                continue
            p = profiles.setdefault(r.user_id, UserProfile())
            p.reviews += 1
            if r.rating >= 4:
                p.shops[r.shop_id] = p.shops.get(r.shop_id, 0.0) + 1.0
        for uid, when, category in asked or ():
            if to_kst(when) < cutoff and category in cat_index:
                profiles.setdefault(uid, UserProfile()).asked_cat[cat_index[category]] += 1
        for uid, p in profiles.items():
            p.median_spend = float(np.median(spends[uid])) if spends.get(uid) else 0.0
            brands = Counter(shop_brand.get(s) for s in p.favorite_shops)
            brands.update({shop_brand.get(s): w for s, w in p.shops.items() if w >= 2})
            p.favorite_brands = sorted(b for b in brands if b)
            p.favorite_shops = sorted(set(p.favorite_shops))
        store = cls(cutoff.isoformat(), profiles, _lift(age_cat), _lift(time_cat), _lift(comp_cat))
        if exposures is not None and shop_attrs is not None:
            store._add_exposures(exposures, shop_attrs, cutoff)
        return store

    def _add_exposures(self, ex: Exposures, shops: ShopAttrs, cutoff: datetime) -> None:
        """Vectorised aggregates of the exposure log strictly before `cutoff`."""
        keep = ex.at < cutoff.timestamp()
        if not keep.any():
            self.category_rate = [0.1] * N_CAT
            return
        users, inv = np.unique(ex.user_ids[keep], return_inverse=True)
        pos, chosen, km, budget = ex.shop_pos[keep], ex.chosen[keep], ex.km[keep], ex.budget[keep]
        cat = shops.category_idx[pos]
        nu = len(users)
        shown_cat = np.bincount(inv * N_CAT + cat, minlength=nu * N_CAT).reshape(nu, N_CAT)
        chosen_cat = np.bincount(inv * N_CAT + cat, weights=chosen, minlength=nu * N_CAT).reshape(nu, N_CAT)
        n_shown = np.bincount(inv, minlength=nu).astype(float)
        n_chosen = np.bincount(inv, weights=chosen, minlength=nu)
        price = shops.avg_price[pos] / np.maximum(budget, 1.0)

        def pref(x: np.ndarray) -> np.ndarray:
            mean_shown = np.bincount(inv, weights=x, minlength=nu) / np.maximum(n_shown, 1)
            mean_chosen = np.bincount(inv, weights=x * chosen, minlength=nu) / np.maximum(n_chosen, 1)
            # shrink towards 0 (no preference) when the user chose little
            return np.where(n_chosen > 0, (mean_chosen - mean_shown) * n_chosen / (n_chosen + 2.0), 0.0)

        p_km, p_spicy = pref(km), pref(shops.spicy[pos])
        p_good, p_price = pref(shops.good[pos].astype(float)), pref(price)
        for k, uid in enumerate(users.tolist()):
            prof = self.users.setdefault(uid, UserProfile())
            prof.shown_cat = shown_cat[k].tolist()
            prof.chosen_cat = chosen_cat[k].tolist()
            prof.choices = float(n_chosen[k])
            prof.pref_km, prof.pref_spicy = round(float(p_km[k]), 5), round(float(p_spicy[k]), 5)
            prof.pref_good, prof.pref_price = round(float(p_good[k]), 5), round(float(p_price[k]), 5)
        tot_shown = shown_cat.sum(axis=0)
        self.category_rate = ((chosen_cat.sum(axis=0) + 1.0) / (tot_shown + 10.0)).round(6).tolist()
        s_shown = np.bincount(pos, minlength=len(shops.shop_ids))
        s_chosen = np.bincount(pos, weights=chosen, minlength=len(shops.shop_ids))
        self.shop_rate = {sid: [float(s_shown[i]), float(s_chosen[i])]
                          for i, sid in enumerate(shops.shop_ids.tolist()) if s_shown[i] > 0}

    # ---- persistence --------------------------------------------------------------

    def save(self, path: Path) -> Path:
        data = {
            "cutoff": self.cutoff,
            "age_category_lift": self.age_category_lift,
            "time_category_lift": self.time_category_lift,
            "companion_category_lift": self.companion_category_lift,
            "category_rate": self.category_rate,
            "shop_rate": self.shop_rate,
            "users": {uid: p.__dict__ for uid, p in self.users.items()},
        }
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        return path

    @classmethod
    def load(cls, path: Path) -> FeatureStore:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        users = {uid: UserProfile(**p) for uid, p in data["users"].items()}
        return cls(data["cutoff"], users, data["age_category_lift"], data["time_category_lift"],
                   data.get("companion_category_lift", []), data.get("category_rate", []), data.get("shop_rate", {}))

    @classmethod
    def empty(cls) -> FeatureStore:
        flat = [[0.5] * N_CAT]
        return cls("", {}, flat * (len(AGE_EDGES) + 1), flat * len(TIMES_OF_DAY), flat * len(COMPANIONS))


def _lift(counts: np.ndarray) -> list[list[float]]:
    """Row-conditional category share over the overall share, squashed to [0, 1] (0.5 = no lift)."""
    row = counts / counts.sum(axis=1, keepdims=True)
    overall = counts.sum(axis=0) / counts.sum()
    lift = row / overall
    return (lift / (1.0 + lift)).round(6).tolist()


@dataclass
class Exposures:
    """The exposure log as arrays: one row per shop shown in a past answer (from the
    conversation log in production, impressions in the synthetic world)."""

    user_ids: np.ndarray  # str
    at: np.ndarray  # float epoch seconds
    shop_pos: np.ndarray  # int, catalogue position
    chosen: np.ndarray  # float 0/1
    km: np.ndarray  # distance from the request location
    budget: np.ndarray  # won


@dataclass
class ShopAttrs:
    """The catalogue columns the store aggregates over (a CatalogueIndex satisfies this)."""

    shop_ids: np.ndarray
    category_idx: np.ndarray
    avg_price: np.ndarray
    spicy: np.ndarray
    good: np.ndarray

    @classmethod
    def of(cls, cat: object) -> ShopAttrs:
        return cls(cat.shop_ids, cat.category_idx, cat.avg_price, cat.diet["spicy"], cat.good_shop)  # type: ignore[attr-defined]


@dataclass
class Vocab:
    """Id → embedding row. Row 0 is the shared out-of-vocabulary row (unknown users/shops)."""

    users: dict[str, int]
    shops: dict[str, int]
    brands: dict[str, int]
    categories: dict[str, int]

    @classmethod
    def build(cls, user_ids: Iterable[str], shop_ids: Iterable[str], brand_ids: Iterable[str]) -> Vocab:
        def index(ids: Iterable[str]) -> dict[str, int]:
            return {k: i + 1 for i, k in enumerate(sorted(set(ids) - {""}))}

        return cls(index(user_ids), index(shop_ids), index(brand_ids), index(CATEGORIES))

    def sizes(self) -> dict[str, int]:
        return {k: len(v) + 1 for k, v in self.__dict__.items()}

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(self.__dict__, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Vocab:
        return cls(**json.loads(path.read_text(encoding="utf-8")))
