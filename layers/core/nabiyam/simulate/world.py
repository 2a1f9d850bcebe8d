"""The world as the simulator needs it: its people (with their hidden habits), its oracle,
and fresh sessions drawn from the world's own behaviour model for any day.

Sessions come from :func:`nabiyam.world.behaviour.plan_sessions` (who asks, when, where,
with whom, with what budget and what they are in the mood for) and their Korean text from
:func:`nabiyam.world.requests.make_request`, exactly as the generator draws them, so the
traffic has the same mix as the world's history. True utilities come from the oracle's
public functions, so a new hidden term of the world reaches the simulator by itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from nabiyam.domain.food import CATEGORIES, FOODS
from nabiyam.domain.hours import KST
from nabiyam.world.behaviour import plan_sessions
from nabiyam.world.formula import COMPANIONS, DIETARY, TIMES_OF_DAY, distance_km
from nabiyam.world.importer import read_sheets
from nabiyam.world.oracle import Oracle
from nabiyam.world.people import People
from nabiyam.world.reader import iter_preferences, read_manifest
from nabiyam.world.requests import make_request
from nabiyam.world.sizes import WorldSize, get_size


@dataclass(frozen=True)
class PlannedSession:
    """One person's visit: the context, the request text, and what they truly want."""

    session_id: str
    user_id: str
    at: datetime
    lat: float
    lon: float
    district: str
    budget: int
    companion: str
    time_of_day: str
    text: str
    intent: str
    category: str | None
    food: str | None
    dietary: tuple[str, ...]
    good_shop_only: bool

    def oracle_context(self) -> dict[str, object]:
        """Keyword arguments of the oracle's scoring functions for this session."""
        return {"at": self.at, "lat": self.lat, "lon": self.lon, "budget": self.budget,
                "companion": self.companion, "category": self.category, "food": self.food,
                "dietary": self.dietary, "good_shop_only": self.good_shop_only}


class SimWorld:
    """A generated world directory, loaded once for a simulation."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        manifest = read_manifest(self.path)
        base = get_size(manifest["size"])
        self.size: WorldSize = replace(base, districts=tuple(manifest.get("districts", base.districts)),
                                       max_candidates=int(manifest.get("max_candidates", base.max_candidates)),
                                       max_distance_km=float(manifest.get("max_distance_km", base.max_distance_km)))
        self.manifest = manifest
        self.oracle = Oracle.from_dir(self.path)
        sheets = read_sheets(self.path)
        self.shops = sheets.shops
        self.shop_dong = [s.dong for s in sheets.shops]
        self.people = self._people(sheets.users)

    def _people(self, users: list) -> People:
        prefs = {p["user_id"]: p for p in iter_preferences(self.path)}
        ua = self.oracle.users
        by_id = {u.user_id: u for u in users}
        rows = [by_id[uid] for uid in ua.ids]
        district_pos = {d: i for i, d in enumerate(self.size.districts)}
        habits = np.array([[prefs[uid]["time_of_day_habits"][t] for t in TIMES_OF_DAY] for uid in ua.ids])
        return People(
            users=[u.model_dump() for u in rows], arrays=ua, tod_habits=habits,
            activity=np.array([prefs[uid]["activity"] for uid in ua.ids], dtype=float),
            district_idx=np.array([district_pos.get(u.district, 0) for u in rows]),
            home_lat=np.array([u.lat for u in rows]), home_lon=np.array([u.lon for u in rows]),
            age=np.array([u.age(self.size.start) for u in rows]))

    def sessions(self, day: date, n: int, seed: int, prefix: str) -> list[PlannedSession]:
        """``n`` fresh sessions on ``day``, time-ordered; the same (day, n, seed) gives the same ones."""
        if n <= 0:
            return []
        ss = np.random.SeedSequence([seed, day.toordinal(), n])
        rng_plan, rng_text = (np.random.default_rng(s) for s in ss.spawn(2))
        spec = replace(self.size, sessions=n, days=1, start=day)
        plan = plan_sessions(rng_plan, spec, self.people)
        py = random.Random(int(rng_text.integers(2**63)))
        shops = self.oracle.shops
        out = []
        for i in range(len(plan)):
            user = int(plan.user[i])
            at = datetime.combine(day, datetime.min.time(), KST) + timedelta(minutes=int(plan.minute[i]))
            want_cat, want_food = int(plan.want_cat[i]), int(plan.want_food[i])
            diet = [DIETARY[k] for k in np.flatnonzero(plan.diet[i])]
            district = self.size.districts[int(plan.district[i])]
            loc_kind = int(plan.say_location[i])
            location = None
            if loc_kind == 1:
                location = ("near", "near_me")
            elif loc_kind == 2:
                km = distance_km(plan.lat[i], plan.lon[i], shops.lat, shops.lon)
                location = ("dong", self.shop_dong[int(np.argmin(km))])
            elif loc_kind == 3:
                location = ("district", district)
            tod, comp, budget = TIMES_OF_DAY[int(plan.tod[i])], COMPANIONS[int(plan.companion[i])], int(plan.budget[i])
            text, intent, _ = make_request(
                py, tod=tod, companion=comp, budget=budget, want_cat=want_cat, want_food=want_food, diet=diet,
                location=location, good_request=bool(plan.good_request[i]), say_budget=bool(plan.say_budget[i]),
                say_companion=bool(plan.say_companion[i]), say_time=bool(plan.say_time[i]))
            out.append(PlannedSession(
                session_id=f"{prefix}-{i:06d}", user_id=self.people.arrays.ids[user], at=at,
                lat=float(plan.lat[i]), lon=float(plan.lon[i]), district=district, budget=budget, companion=comp,
                time_of_day=tod, text=text, intent=intent,
                category=CATEGORIES[want_cat] if want_cat >= 0 else None,
                food=FOODS[want_food].name if want_food >= 0 else None, dietary=tuple(diet),
                good_shop_only=bool(plan.good_request[i])))
        return out

    def best_set(self, s: PlannedSession, k: int, also: list[str] | tuple[str, ...] = ()
                 ) -> tuple[list[str], np.ndarray]:
        """The ``k`` shops of highest true utility among those passing the hard filters within
        the world's walking radius (plus ``also``: what the service showed, wherever it is),
        and their utilities: the best answer the catalogue allowed."""
        sh = self.oracle.shops
        near = np.flatnonzero(distance_km(s.lat, s.lon, sh.lat, sh.lon) <= self.size.max_distance_km)
        ids = list(dict.fromkeys([sh.ids[i] for i in near] + list(also)))
        if not ids or k <= 0:
            return [], np.zeros(0)
        u = self.oracle.utilities(s.user_id, ids, **s.oracle_context())  # type: ignore[arg-type]
        order = [int(j) for j in np.argsort(-u, kind="stable")[:k] if np.isfinite(u[j])]
        return [ids[j] for j in order], u[order]
