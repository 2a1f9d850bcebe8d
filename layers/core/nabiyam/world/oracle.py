"""The oracle: the world's true choice probability for ANY (user, shop, context).

Built from a world directory's files (sheets + preferences.jsonl + the weights in
world.json), it evaluates exactly the formula the generator sampled from
(`nabiyam.world.formula`), so a ranking can be compared with the best possible one.

Three views of the same utility U (see formula.py):

- `probability(...)` / `probabilities(...)`: P(choose the shop | it is the only option
  offered) = sigmoid(U - no_choice); 0 when the shop breaks a hard filter (no meal card,
  closed, nothing within budget). Comparable across sessions and candidate sets.
- `choice_probabilities(...)`: softmax over a given candidate set plus "choose nothing" —
  the quantity stored as `impressions.oracle_prob` for the set the person saw.
- `utilities(...)`: U itself (-inf where a hard filter fails).

Within one context all three rank shops identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from nabiyam.domain.catalogue import MenuItem, Shop
from nabiyam.domain.food import CATEGORIES
from nabiyam.domain.hours import to_kst
from nabiyam.world.formula import (CAT_INDEX, COMPANION_INDEX, DIETARY, FOOD_INDEX, Context, Weights, feasible,
                                   sigmoid, time_of_day, utility)
from nabiyam.world.importer import read_sheets
from nabiyam.world.character import character_matrix
from nabiyam.world.reader import iter_preferences, iter_shop_character, read_manifest
from nabiyam.world.records import Session
from nabiyam.world.tables import shop_arrays, user_arrays


class Oracle:
    def __init__(self, shops: list[Shop], menus: list[MenuItem], brand_ids: list[str], preferences: list[dict],
                 weights: Weights | None = None, shop_character: list[dict] | None = None) -> None:
        """`preferences`: rows of preferences.jsonl; `shop_character`: rows of
        shop_character.jsonl (the hidden shop character; None or missing shops: zero)."""
        self.weights = weights or Weights()
        brand_index = {b: i for i, b in enumerate(brand_ids)}
        character = character_matrix(shop_character or [], [s.shop_id for s in shops])
        self.shops = shop_arrays(shops, menus, brand_index, character)
        self.users = user_arrays(preferences, brand_index)
        self._shop_pos = {s: i for i, s in enumerate(self.shops.ids)}
        self._user_pos = {u: i for i, u in enumerate(self.users.ids)}

    @classmethod
    def from_dir(cls, world_dir: str | Path) -> Oracle:
        d = Path(world_dir)
        manifest = read_manifest(d)
        sheets = read_sheets(d)
        weights = Weights.from_dict(manifest["weights"]) if "weights" in manifest else None
        return cls(sheets.shops, sheets.menus, [b.brand_id for b in sheets.brands], list(iter_preferences(d)),
                   weights, list(iter_shop_character(d)))

    # -- lookups ------------------------------------------------------------------------
    def has_user(self, user_id: str) -> bool:
        return user_id in self._user_pos

    def _user(self, user_id: str) -> int:
        try:
            return self._user_pos[user_id]
        except KeyError:
            raise KeyError(f"unknown user_id {user_id!r}: the oracle knows only this world's users") from None

    def _shop_idx(self, shop_ids: Sequence[str]) -> np.ndarray:
        try:
            return np.array([self._shop_pos[s] for s in shop_ids], dtype=np.intp)
        except KeyError as exc:
            raise KeyError(f"unknown shop_id {exc.args[0]!r}") from None

    # -- scoring ------------------------------------------------------------------------
    def _context(self, n: int, at: datetime | str, lat: float, lon: float, budget: int, companion: str | None,
                 category: str | None, food: str | None, dietary: Sequence[str], good_shop_only: bool) -> Context:
        when = to_kst(datetime.fromisoformat(at) if isinstance(at, str) else at)
        minute = when.hour * 60 + when.minute
        if budget is None or budget <= 0:
            raise ValueError(f"budget must be a positive number of won, got {budget!r}")
        comp = companion or "alone"
        if comp not in COMPANION_INDEX:
            raise ValueError(f"unknown companion {comp!r}; expected one of {', '.join(COMPANION_INDEX)}")
        if category is not None and category not in CAT_INDEX:
            raise ValueError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
        if food is not None and food not in FOOD_INDEX:
            raise ValueError(f"unknown food {food!r} (use the canonical name from nabiyam.domain.food)")
        diet = np.zeros((n, len(DIETARY)), dtype=bool)
        for d in dietary:
            if d not in DIETARY:
                raise ValueError(f"unknown dietary preference {d!r}; expected one of {', '.join(DIETARY)}")
            diet[:, DIETARY.index(d)] = True
        want_cat = CAT_INDEX[category] if category else (CAT_INDEX[_food_cat(food)] if food else -1)

        def full(v: float | int, dtype: type = np.int64) -> np.ndarray:
            return np.full(n, v, dtype=dtype)

        return Context(weekday=full(when.weekday()), minute=full(minute), tod=time_of_day(full(minute)),
                       companion=full(COMPANION_INDEX[comp]), budget=full(int(budget)), lat=full(lat, float),
                       lon=full(lon, float), want_cat=full(want_cat), want_food=full(FOOD_INDEX[food] if food else -1),
                       diet=diet, good_request=full(bool(good_shop_only), bool))

    def utilities(self, user_id: str, shop_ids: Sequence[str], at: datetime | str, lat: float, lon: float,
                  budget: int, companion: str | None = "alone", *, category: str | None = None,
                  food: str | None = None, dietary: Sequence[str] = (), good_shop_only: bool = False,
                  hard_filters: bool = True) -> np.ndarray:
        """True utility of each shop for this user and context (-inf where a hard filter fails)."""
        s = self._shop_idx(shop_ids)
        u = np.full(len(s), self._user(user_id), dtype=np.intp)
        ctx = self._context(len(s), at, lat, lon, budget, companion, category, food, dietary, good_shop_only)
        x = utility(self.weights, self.users, self.shops, u, s, ctx)
        if hard_filters:
            x = np.where(feasible(self.shops, s, ctx), x, -np.inf)
        return x

    def probabilities(self, user_id: str, shop_ids: Sequence[str], at: datetime | str, lat: float, lon: float,
                      budget: int, companion: str | None = "alone", **kw: object) -> np.ndarray:
        """P(choose each shop if it were the only option offered); 0 where a hard filter fails."""
        x = self.utilities(user_id, shop_ids, at, lat, lon, budget, companion, **kw)  # type: ignore[arg-type]
        return sigmoid(x - self.weights.no_choice)

    def probability(self, user_id: str, shop_id: str, at: datetime | str, lat: float, lon: float, budget: int,
                    companion: str | None = "alone", **kw: object) -> float:
        """Scalar `probabilities` for one shop. Keyword context: category, food (canonical),
        dietary (healthy|spicy|not_spicy|vegetarian|large_portion), good_shop_only, hard_filters."""
        return float(self.probabilities(user_id, [shop_id], at, lat, lon, budget, companion, **kw)[0])

    def choice_probabilities(self, user_id: str, shop_ids: Sequence[str], at: datetime | str, lat: float,
                             lon: float, budget: int, companion: str | None = "alone", **kw: object) -> np.ndarray:
        """P(choose each shop) when exactly these shops are offered, with "nothing" as an option."""
        x = self.utilities(user_id, shop_ids, at, lat, lon, budget, companion, **kw)  # type: ignore[arg-type]
        m = max(float(np.max(x, initial=-np.inf)), self.weights.no_choice)
        e = np.exp(x - m)
        return e / (e.sum() + np.exp(self.weights.no_choice - m))

    # -- sessions -----------------------------------------------------------------------
    @staticmethod
    def session_context(session: Session) -> dict[str, object]:
        """The oracle's keyword arguments for a session (what the person asked for, in context)."""
        return {"at": session.at, "lat": session.lat, "lon": session.lon, "budget": session.budget,
                "companion": session.companion, "category": session.want_category, "food": session.want_food,
                "dietary": tuple(session.dietary_list), "good_shop_only": session.good_shop_only}

    def session_probabilities(self, session: Session, shop_ids: Sequence[str], *, choice_set: bool = False
                              ) -> np.ndarray:
        ctx = self.session_context(session)
        f = self.choice_probabilities if choice_set else self.probabilities
        return f(session.user_id, shop_ids, **ctx)  # type: ignore[arg-type]


def _food_cat(food: str | None) -> str:
    from nabiyam.domain.food import FOOD_BY_NAME

    return FOOD_BY_NAME[food].category if food else ""
