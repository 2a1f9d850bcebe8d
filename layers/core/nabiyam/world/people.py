"""Children and parents with hidden preferences (the parameters of the true choice model)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from nabiyam.domain.food import CATEGORIES
from nabiyam.world.catalogue_gen import district_weights, point_in_district
from nabiyam.world.formula import AGE_CAT_MEAN, AGE_GROUPS, CAT_INDEX, CHARACTER_AXES, TIMES_OF_DAY, UserArrays

# Spread of a person's category affinity around their age group's mean (the main personal
# signal; `small` has ~40 sessions per person so a ranker can learn it).
AFFINITY_SPREAD = 1.0

# Which meals each age group asks about (breakfast, lunch, snack, dinner, late_night).
TOD_BASE = {"child": [0.08, 0.32, 0.3, 0.3, 0.0], "teen": [0.06, 0.3, 0.27, 0.3, 0.07],
            "parent": [0.05, 0.3, 0.1, 0.45, 0.1]}


@dataclass
class People:
    users: list[dict]            # rows of the `user` sheet
    arrays: UserArrays           # hidden parameters used by the formula
    tod_habits: np.ndarray       # [n, 5] probability of asking at each time of day
    activity: np.ndarray         # relative session rate
    district_idx: np.ndarray
    home_lat: np.ndarray
    home_lon: np.ndarray
    age: np.ndarray

    def preference_rows(self, brand_ids: list[str]) -> Iterator[dict]:
        """The hidden parameters, one JSON-ready dict per person (streamed: 100k people)."""
        a = self.arrays
        for i, uid in enumerate(a.ids):
            yield {
                "user_id": uid,
                "age_group": AGE_GROUPS[int(a.age_group[i])],
                "category_affinity": {c: float(a.aff[i, j]) for j, c in enumerate(CATEGORIES)},
                "spice_tolerance": float(a.spice_tol[i]),
                "price_sensitivity": float(a.price_sens[i]),
                "distance_sensitivity": float(a.dist_sens[i]),
                "time_of_day_strength": float(a.tod_strength[i]),
                "good_shop_affinity": float(a.good_aff[i]),
                "favorite_brands": [brand_ids[j] for j in np.flatnonzero(a.fav[i])],
                "character_taste": {k: float(a.char_taste[i, j]) for j, k in enumerate(CHARACTER_AXES)},
                "time_of_day_habits": {t: float(self.tod_habits[i, j]) for j, t in enumerate(TIMES_OF_DAY)},
                "activity": float(self.activity[i]),
            }


def make_people(rng: np.random.Generator, n: int, districts: tuple[str, ...], start: date,
                brand_categories: list[str]) -> People:
    r4 = lambda x: np.round(x, 4)  # noqa: E731 - stored params are rounded so files reproduce the oracle exactly
    is_parent = rng.random(n) < 0.15
    age = np.where(is_parent, rng.integers(32, 51, n), rng.integers(8, 18, n))
    group = np.where(is_parent, 2, np.where(age >= 13, 1, 0)).astype(np.int8)
    birth_offset = rng.integers(0, 365, n)
    dw = district_weights(districts)
    # users lean even more to 관악구 than shops do
    dw = np.where(np.array(districts) == "관악구", dw * 1.25, dw)
    d_idx = rng.choice(len(districts), size=n, p=dw / dw.sum())
    lat = np.empty(n)
    lon = np.empty(n)
    for k, d in enumerate(districts):
        sel = np.flatnonzero(d_idx == k)
        la, lo = point_in_district(rng, d, len(sel), spread=0.95)
        lat[sel], lon[sel] = la, lo
    limit = rng.choice([8000, 9000, 10000], size=n, p=[0.2, 0.45, 0.35])
    joined = rng.integers(1, 730, n)

    aff = r4(AGE_CAT_MEAN[group] + rng.normal(0, AFFINITY_SPREAD, (n, len(CATEGORIES))))
    spice = r4(np.clip(rng.beta(2, 2.5, n) + np.where(group == 0, -0.15, 0.08), 0, 1))
    price_sens = r4(rng.lognormal(0.0, 0.4, n))
    dist_sens = r4(rng.lognormal(np.log(1.3), 0.4, n))
    tod_strength = r4(rng.uniform(0.5, 1.5, n))
    good_aff = r4(rng.normal(0.3, 0.3, n))
    base = np.array([TOD_BASE[AGE_GROUPS[g]] for g in range(3)])[group]
    habits = np.array([rng.dirichlet(b * 12 + 0.05) if b.sum() else b for b in base])
    habits = r4(np.where(base > 0, habits, 0.0))
    habits = habits / habits.sum(1, keepdims=True)
    activity = r4(rng.lognormal(0.0, 0.6, n))

    # favourite chain brands: up to three, leaning to the categories the person likes
    brand_cat = np.array([CAT_INDEX[c] for c in brand_categories], dtype=np.intp)
    fav = np.zeros((n, len(brand_cat)), dtype=bool)
    if len(brand_cat):
        scores = aff[:, brand_cat] + rng.gumbel(size=(n, len(brand_cat)))
        top = np.argsort(-scores, axis=1)[:, :3]
        count = rng.choice(4, size=n, p=[0.25, 0.35, 0.25, 0.15])
        for k in range(3):
            rows = np.flatnonzero(count > k)
            fav[rows, top[rows, k]] = True

    ids = [f"u{i + 1:06d}" for i in range(n)]
    users = []
    for i in range(n):
        birthday = date(start.year - int(age[i]), start.month, min(start.day, 28)) - timedelta(days=int(birth_offset[i]))
        district = districts[int(d_idx[i])]
        users.append({
            "user_id": ids[i], "role": "parent" if is_parent[i] else "child", "birthday": birthday,
            "district": district, "lat": float(lat[i]), "lon": float(lon[i]),
            "meal_card_daily_limit": int(limit[i]), "joined_on": start - timedelta(days=int(joined[i])),
        })
    arrays = UserArrays(ids=ids, age_group=group, aff=aff, spice_tol=spice, price_sens=price_sens,
                        dist_sens=dist_sens, tod_strength=tod_strength, good_aff=good_aff, fav=fav)
    return People(users=users, arrays=arrays, tod_habits=habits, activity=activity, district_idx=d_idx,
                  home_lat=lat, home_lon=lon, age=age)
