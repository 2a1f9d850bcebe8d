"""Sessions and what people did in them, sampled from the true choice model.

First all session contexts are drawn (cheap arrays) and sorted by time; then sessions are
processed in fixed-size chunks: choice set (hard filters + nearest shops), utilities,
softmax with a no-choice option, the sampled choice, clicks, an order, maybe a favourite
and a review, satisfaction and feedback. Each chunk has its own random stream, so output
is identical for a seed regardless of machine.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from nabiyam.domain.food import CATEGORIES, FOODS, foods_in
from nabiyam.domain.hours import KST
from nabiyam.world import lexicon
from nabiyam.world.catalogue_gen import nearest_district, offset, point_in_district
from nabiyam.world.formula import (COMP_CAT, COMPANIONS, DIETARY, FOOD_INDEX, TIMES_OF_DAY, TOD_CAT, Context,
                                   ShopArrays, UserArrays, Weights, distance_km, feasible, sigmoid, utility)
from nabiyam.world.people import People
from nabiyam.world.requests import make_request
from nabiyam.world.sizes import WorldSize

# Minute windows in which each time of day's requests happen.
TOD_WINDOWS = {0: (7 * 60, 10 * 60), 1: (11 * 60, 14 * 60), 2: (14 * 60 + 30, 17 * 60), 3: (17 * 60, 20 * 60 + 30),
               4: (21 * 60, 23 * 60 + 50)}
COMPANION_P = {0: [0.45, 0.3, 0.25], 1: [0.45, 0.4, 0.15], 2: [0.15, 0.0, 0.85]}


@dataclass
class SessionPlan:
    """All session contexts, sorted by time."""

    user: np.ndarray
    day: np.ndarray
    minute: np.ndarray
    weekday: np.ndarray
    tod: np.ndarray
    companion: np.ndarray
    budget: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    district: np.ndarray
    want_cat: np.ndarray
    want_food: np.ndarray
    diet: np.ndarray
    good_request: np.ndarray
    say_budget: np.ndarray
    say_companion: np.ndarray
    say_time: np.ndarray
    say_location: np.ndarray   # 0 none, 1 near, 2 dong, 3 district

    def __len__(self) -> int:
        return len(self.user)

    def context(self, idx: np.ndarray) -> Context:
        return Context(weekday=self.weekday[idx], minute=self.minute[idx], tod=self.tod[idx],
                       companion=self.companion[idx], budget=self.budget[idx], lat=self.lat[idx], lon=self.lon[idx],
                       want_cat=self.want_cat[idx], want_food=self.want_food[idx], diet=self.diet[idx],
                       good_request=self.good_request[idx])


def plan_sessions(rng: np.random.Generator, size: WorldSize, people: People) -> SessionPlan:
    n = size.sessions
    ua = people.arrays
    p_user = people.activity / people.activity.sum()
    user = rng.choice(len(ua.ids), size=n, p=p_user)
    day = rng.integers(0, size.days, n)
    weekday = (size.start.weekday() + day) % 7
    weekend = weekday >= 5
    group = ua.age_group[user]
    habits = people.tod_habits[user].copy()
    habits[:, 1] *= np.where(weekend, 1.6, np.where(group < 2, 0.6, 1.0))   # school lunch on weekdays
    cdf = np.cumsum(habits / habits.sum(1, keepdims=True), axis=1)
    tod = np.minimum((rng.random(n)[:, None] > cdf).sum(1), 4).astype(np.int8)
    lo = np.array([TOD_WINDOWS[t][0] for t in range(5)])[tod]
    hi = np.array([TOD_WINDOWS[t][1] for t in range(5)])[tod]
    minute = (lo + rng.random(n) * (hi - lo)).astype(np.int64)

    comp = np.empty(n, dtype=np.int8)
    u = rng.random(n)
    for g, p in COMPANION_P.items():
        sel = group == g
        comp[sel] = (u[sel, None] > np.cumsum(p)[None, :-1]).sum(1)
    comp[(tod == 4) & (group == 0)] = 2                                     # young children: late only with family
    limit = np.array([x["meal_card_daily_limit"] for x in people.users])[user]
    extra = np.where(comp == 2, rng.choice([5000, 10000, 15000, 20000], n),
                     rng.choice([0, 0, 0, 1000, 2000, 3000, 5000], n))
    budget = (limit + extra).astype(np.int64)

    lat = people.home_lat[user].copy()
    lon = people.home_lon[user].copy()
    la, lo_ = offset(lat, lon, rng.normal(0, 0.15, n), rng.normal(0, 0.15, n))
    lat, lon = la, lo_
    away = rng.random(n) < 0.2                                                # at school, at a friend's
    home_d = people.district_idx[user]
    for k, d in enumerate(size.districts):
        sel = np.flatnonzero(away & (home_d == k))
        if len(sel):
            lat[sel], lon[sel] = point_in_district(rng, d, len(sel), spread=0.9)
    district = nearest_district(lat, lon, size.districts)

    # what the person is in the mood for (observable through the request text)
    mood = (ua.aff[user] + ua.tod_strength[user, None] * TOD_CAT[tod] + COMP_CAT[comp]
            + rng.gumbel(size=(n, len(CATEGORIES))))
    cat_choice = mood.argmax(1)
    mention = rng.random(n) < 0.6
    want_cat = np.where(mention, cat_choice, -1)
    want_food = np.full(n, -1, dtype=np.int64)
    food_pick = rng.random(n)
    wants_food = mention & (rng.random(n) < 0.5)
    by_cat = {c: [FOOD_INDEX[f.name] for f in foods_in(CATEGORIES[c])] for c in range(len(CATEGORIES))}
    for i in np.flatnonzero(wants_food):
        options = [f for f in by_cat[int(want_cat[i])] if FOODS[f].price_min <= budget[i]]
        if options:
            want_food[i] = options[int(food_pick[i] * len(options))]

    diet = np.zeros((n, len(DIETARY)), dtype=bool)
    says_diet = rng.random(n) < 0.15
    tol = ua.spice_tol[user]
    d_choice = np.where(tol < 0.3, 2, np.where(tol > 0.75, 1, np.where(group == 2, 0, np.where(group == 1, 4, 0))))
    d_choice = np.where(rng.random(n) < 0.05, 3, d_choice)
    diet[np.flatnonzero(says_diet), d_choice[says_diet]] = True
    good_request = rng.random(n) < 0.04
    say_budget = rng.random(n) < 0.4
    say_companion = rng.random(n) < np.where(comp == 0, 0.15, 0.45)
    say_time = rng.random(n) < 0.3
    loc_u = rng.random(n)
    say_location = np.where(loc_u < 0.12, 1, np.where(loc_u < 0.2, 2, np.where(loc_u < 0.25, 3, 0)))

    order = np.lexsort((np.arange(n), minute, day))
    cols = dict(user=user, day=day, minute=minute, weekday=weekday, tod=tod, companion=comp, budget=budget,
                lat=lat, lon=lon, district=district, want_cat=want_cat, want_food=want_food, diet=diet,
                good_request=good_request, say_budget=say_budget, say_companion=say_companion, say_time=say_time,
                say_location=say_location)
    return SessionPlan(**{k: v[order] for k, v in cols.items()})


@dataclass
class ChunkOutput:
    sessions: list[tuple] = field(default_factory=list)
    impressions_text: str = ""
    orders: list[dict] = field(default_factory=list)
    favorites: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)


@dataclass
class Simulator:
    size: WorldSize
    weights: Weights
    users: UserArrays
    shops: ShopArrays
    people: People
    menus: list[list[dict]]              # per shop: menu rows (menu_id, name, food, price, is_spicy)
    shop_dongs: list[str]
    favorited: set[tuple[int, int]] = field(default_factory=set)
    next_order: int = 0
    next_review: int = 0

    def run(self, plan: SessionPlan, seed: int) -> Iterator[ChunkOutput]:
        seqs = np.random.SeedSequence([seed, 2]).spawn((len(plan) + self.size.chunk - 1) // self.size.chunk)
        for k, ss in enumerate(seqs):
            idx = np.arange(k * self.size.chunk, min((k + 1) * self.size.chunk, len(plan)))
            yield self._chunk(plan, idx, np.random.default_rng(ss))

    def _choice_sets(self, plan: SessionPlan, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[c, K] shop indices (-1 padded) nearest-first, and their distances in km.

        Selection uses a flat-earth distance (cheap, exact enough at 2.5 km); the distances
        returned and scored are haversine."""
        sh = self.shops
        K = self.size.max_candidates
        lat, lon = plan.lat[idx, None], plan.lon[idx, None]
        dy = (sh.lat[None, :] - lat) * 110.574
        dx = (sh.lon[None, :] - lon) * (111.320 * np.cos(np.radians(lat)))
        d2 = dx * dx + dy * dy
        ok = (sh.card[None, :] & sh.open_grid[:, plan.weekday[idx], plan.minute[idx] // 10].T
              & (sh.min_price[None, :] <= plan.budget[idx, None]) & (d2 <= self.size.max_distance_km ** 2))
        d = np.where(ok, d2, np.inf)
        k = min(K, d.shape[1])
        if k < d.shape[1]:
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(d.shape[1]), (len(idx), 1))
        pd = np.take_along_axis(d, part, 1)
        order = np.lexsort((part, pd), axis=1)
        cand = np.take_along_axis(part, order, 1)
        finite = np.isfinite(np.take_along_axis(pd, order, 1))
        cand = np.where(finite, cand, -1)
        safe = np.maximum(cand, 0)
        cd = np.where(finite, distance_km(lat, lon, sh.lat[safe], sh.lon[safe]), np.inf)
        return cand, cd

    def _chunk(self, plan: SessionPlan, idx: np.ndarray, rng: np.random.Generator) -> ChunkOutput:
        out = ChunkOutput()
        w = self.weights
        cand, cdist = self._choice_sets(plan, idx)
        c, K = cand.shape
        valid = cand >= 0
        rows, cols = np.nonzero(valid)
        s_flat = cand[rows, cols]
        sess = idx[rows]
        ctx = plan.context(sess)
        u_flat = utility(w, self.users, self.shops, plan.user[sess], s_flat, ctx)
        assert feasible(self.shops, s_flat, ctx).all()
        U = np.full((c, K), -np.inf)
        U[rows, cols] = u_flat
        m = np.maximum(U.max(1), w.no_choice)
        e = np.exp(U - m[:, None])
        e0 = np.exp(w.no_choice - m)
        denom = e.sum(1) + e0
        P = e / denom[:, None]
        cdf = np.cumsum(P, axis=1)
        r = rng.random(c)
        pick = (r[:, None] > cdf).sum(1)          # == K or beyond last valid → no choice
        chosen = np.where((pick < K) & valid[np.arange(c), np.minimum(pick, K - 1)], pick, -1)
        click_p = 0.5 * sigmoid(U - w.no_choice) / (1 + 0.1 * np.arange(K))[None, :]
        clicked = (rng.random((c, K)) < click_p) & valid
        clicked[chosen >= 0, chosen[chosen >= 0]] = True
        noise = rng.normal(0, 0.6, c)
        fb_given = rng.random(c) < 0.6
        extra_r = rng.random((c, 6))

        py = random.Random(int(rng.integers(2**63)))
        sids = [f"s{int(i) + 1:07d}" for i in idx]
        ids = self.shops.ids
        tf = ("false", "true")
        is_chosen = cols == chosen[rows]
        lines = [f"{a},{b},{p},{dm},{uu!r},{pp!r},{tf[ck]},{tf[od]}\n" for a, b, p, dm, uu, pp, ck, od in zip(
            [sids[r] for r in rows], [ids[x] for x in s_flat], cols.tolist(),
            np.rint(cdist[rows, cols] * 1000).astype(np.int64).tolist(), np.round(u_flat, 6).tolist(),
            np.round(P[rows, cols], 6).tolist(), clicked[rows, cols].astype(int).tolist(),
            is_chosen.astype(int).tolist())]
        out.impressions_text = "".join(lines)
        n_cand = valid.sum(1).tolist()
        chosen_l = chosen.tolist()
        for j in range(c):
            out.sessions.append(self._session_row(plan, int(idx[j]), sids[j], j, cand, cdist, U, chosen_l[j],
                                                  n_cand[j], float(noise[j]), bool(fb_given[j]),
                                                  extra_r[j].tolist(), py, out))
        return out

    def _session_row(self, plan: SessionPlan, i: int, sid: str, j: int, cand: np.ndarray, cdist: np.ndarray,
                     U: np.ndarray, chosen: int, n_c: int, noise: float, fb_given: bool, r: list[float],
                     rng: random.Random, out: ChunkOutput) -> list[str]:
        w = self.weights
        user = int(plan.user[i])
        uid = self.users.ids[user]
        budget = int(plan.budget[i])
        at = datetime.combine(self.size.start + timedelta(days=int(plan.day[i])), datetime.min.time(), KST) \
            + timedelta(minutes=int(plan.minute[i]))
        tod = TIMES_OF_DAY[int(plan.tod[i])]
        comp = COMPANIONS[int(plan.companion[i])]
        district = self.size.districts[int(plan.district[i])]
        diet = [DIETARY[k] for k in np.flatnonzero(plan.diet[i])]
        want_cat, want_food = int(plan.want_cat[i]), int(plan.want_food[i])
        loc_kind = int(plan.say_location[i])
        location = None
        if loc_kind == 1:
            location = ("near", "near_me")
        elif loc_kind == 2:
            nearest = int(cand[j, 0]) if n_c else -1
            location = ("dong", self.shop_dongs[nearest]) if nearest >= 0 else ("district", district)
        elif loc_kind == 3:
            location = ("district", district)
        text, intent, entities = make_request(
            rng, tod=tod, companion=comp, budget=budget, want_cat=want_cat, want_food=want_food, diet=diet,
            location=location, good_request=bool(plan.good_request[i]), say_budget=bool(plan.say_budget[i]),
            say_companion=bool(plan.say_companion[i]), say_time=bool(plan.say_time[i]))

        chosen_id = None
        reason = None
        if chosen >= 0:
            s = int(cand[j, chosen])
            chosen_id = self.shops.ids[s]
            margin = float(U[j, chosen] - w.no_choice)   # how much better than going without
            sat = min(5, max(1, round(4.1 + 0.55 * margin + noise)))
            item = self._pick_item(s, budget, want_food, user, r[0])
            price_ratio = item["price"] / budget
            if cdist[j, chosen] > 1.0:
                reason = "far"
            elif price_ratio > 0.85:
                reason = "too_expensive"
            else:
                reason = "irrelevant"
            self._order(uid, user, s, item, at, sid, sat, reason, r, rng, out)
        else:
            sat = min(3, max(1, round(2.0 + noise)))
            if n_c == 0:
                reason = "closed"
            elif want_cat >= 0 and not any(self.shops.cat[int(x)] == want_cat for x in cand[j, :n_c]):
                reason = "irrelevant"
            elif float(cdist[j, :n_c].mean()) > 1.2:
                reason = "far"
            else:
                reason = "too_expensive" if r[5] < 0.5 else "irrelevant"
        feedback = None
        if fb_given:
            feedback = "like" if sat >= 4 else "dislike" if sat <= 2 else None
        def ent(kind: str) -> str:
            return next((str(e["value"]) for e in entities if e["type"] == kind), "")

        return [sid, uid, at.isoformat(), repr(float(plan.lat[i])), repr(float(plan.lon[i])), district, str(budget),
                comp, tod, text, intent, CATEGORIES[want_cat] if want_cat >= 0 else "",
                FOODS[want_food].name if want_food >= 0 else "", ",".join(diet),
                "true" if plan.good_request[i] else "false", ent("budget"), ent("companion"), ent("time_of_day"),
                ent("location"), json.dumps(entities, ensure_ascii=False), str(n_c), chosen_id or "",
                feedback or "", (reason if feedback == "dislike" else None) or "", str(sat)]

    def _pick_item(self, s: int, budget: int, want_food: int, user: int, r: float) -> dict:
        items = [m for m in self.menus[s] if m["price"] <= budget]
        low_tol = self.users.spice_tol[user] < 0.35
        weights = [(5.0 if want_food >= 0 and FOOD_INDEX[m["food"]] == want_food else 1.0)
                   * (0.2 if m["is_spicy"] and low_tol else 1.0) for m in items]
        x = r * sum(weights)
        for m, wt in zip(items, weights):
            x -= wt
            if x < 0:
                return m
        return items[-1]

    def _order(self, uid: str, user: int, s: int, item: dict, at: datetime, sid: str, sat: int, reason: str,
               r: list[float], rng: random.Random, out: ChunkOutput) -> None:
        self.next_order += 1
        ordered_at = at + timedelta(minutes=2 + int(r[1] * 13))
        shop_id = self.shops.ids[s]
        out.orders.append({"order_id": f"o{self.next_order:07d}", "user_id": uid, "shop_id": shop_id,
                           "menu_id": item["menu_id"], "price": item["price"], "ordered_at": ordered_at,
                           "session_id": sid})
        if sat >= 4 and (user, s) not in self.favorited and r[2] < (0.35 if sat == 5 else 0.2):
            self.favorited.add((user, s))
            out.favorites.append({"user_id": uid, "shop_id": shop_id, "created_at": ordered_at + timedelta(minutes=5)})
        if r[3] < (0.45 if sat in (1, 5) else 0.3):
            rating = min(5, max(1, sat + (1 if r[4] < 0.1 else -1 if r[4] > 0.9 else 0)))
            text = rng.choice(lexicon.REVIEWS[rating]).format(food=item["food"])
            if rating <= 2:
                if item["is_spicy"] and self.users.spice_tol[user] < 0.35:
                    text += " " + lexicon.REVIEW_REASONS["too_spicy"]
                elif reason in lexicon.REVIEW_REASONS:
                    text += " " + lexicon.REVIEW_REASONS[reason]
            self.next_review += 1
            out.reviews.append({"review_id": f"r{self.next_review:07d}", "user_id": uid, "shop_id": shop_id,
                                "rating": rating, "text": text,
                                "created_at": ordered_at + timedelta(minutes=30 + int(r[5] * 600))})


def world_time_range(start: date, days: int) -> tuple[datetime, datetime]:
    s = datetime.combine(start, datetime.min.time(), KST)
    return s, s + timedelta(days=days)
