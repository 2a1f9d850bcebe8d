"""Training examples from LOGGED traffic: the lake's recommendation turns, their outcomes, and
the operator sheets (shops, menus, users, orders, favourites, reviews).

One example group per logged turn: the shops production showed, in the context the person
asked in (the logged NLU filters, request context and semantic query — exactly what the
recommender saw), with the features as they were at request time: every turn reads a
feature store built from what happened strictly before the Monday 00:00 (Seoul) that starts
its week — operator-sheet orders/favourites/reviews plus the orders, asked categories and
exposures logged before that point — so no example sees its own outcome or anything later.
Label: the shop ordered from that answer (``feedback_type=ordered``). A turn without an order
is a "chose nothing" group (context rows for the listwise loss, the trainer's "nothing"
option). At most ``NEG_PER_POS`` shown-not-chosen shops per positive are BCE negatives; the
rest of the shown set is listwise context. The ranker job's model and trainer are reused as is.

Example::

    sheets = Sheets.load(Path("var/world-small"))
    ex = build_logged_examples(sheets, cat, train_turns, all_turns, vocab)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from nabiyam.domain.catalogue import Brand, Favorite, MenuItem, Order, Review, Shop, User
from nabiyam.domain.hours import to_kst
from nabiyam.evaluation.logged import LoggedTurn
from nabiyam.recsys.catalogue import CatalogueIndex
from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.features import NUM_DIM, WIDE_DIM
from nabiyam.recsys.filters import wanted_categories
from nabiyam.recsys.recommender import Recommender
from nabiyam.recsys.store import Exposures, FeatureStore, ShopAttrs, Vocab

NEG_PER_POS = 2  # the seed's rule: at most 2 negatives per positive (BCE rows)


@dataclass
class Sheets:
    """The operator sheets (what the business knows, not the hidden world)."""

    brands: list[Brand]
    shops: list[Shop]
    menus: list[MenuItem]
    users: list[User]
    orders: list[Order]
    favorites: list[Favorite]
    reviews: list[Review]

    @classmethod
    def load(cls, world_dir: Path) -> Sheets:
        from nabiyam.world.reader import read_world

        w = read_world(world_dir)
        return cls(w.brands, w.shops, w.menus, w.users, w.orders, w.favorites, w.reviews)

    def catalogue(self) -> CatalogueIndex:
        return CatalogueIndex.from_records(self.brands, self.shops, self.menus)


def week_start(at: datetime) -> datetime:
    local = to_kst(at)
    return (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


class LoggedFeatureStores:
    """Point-in-time feature stores from the sheets plus everything logged before a cutoff."""

    def __init__(self, sheets: Sheets, cat: CatalogueIndex, history: Sequence[LoggedTurn]) -> None:
        self.sheets, self.cat = sheets, cat
        self.history = sorted(history, key=lambda t: t.at)
        self._cache: dict[datetime, FeatureStore] = {}
        price = dict(zip((m.shop_id for m in sheets.menus), (m.price for m in sheets.menus), strict=False))
        self.logged_orders = [
            Order(order_id=f"log-{t.conversation_id}", user_id=t.user_id, shop_id=t.chosen, menu_id="logged",
                  price=max(1, int((dict(zip(t.shown, t.shown_prices, strict=True)).get(t.chosen)
                                    or price.get(t.chosen) or 1))), ordered_at=t.at, session_id=t.session)
            for t in self.history if t.chosen]
        users, at, pos, chosen, km, budget = [], [], [], [], [], []
        for t in self.history:
            for sid, d in zip(t.shown, t.shown_distance_m, strict=True):
                p = cat.position.get(sid)
                if p is None:
                    continue
                users.append(t.user_id)
                at.append(t.at.timestamp())
                pos.append(p)
                chosen.append(1.0 if sid == t.chosen else 0.0)
                km.append((d or 0.0) / 1000.0)
                budget.append(float(t.context.budget or t.filters.budget_max or 0))
        self.exposures = Exposures(np.array(users, dtype=object), np.array(at, dtype=np.float64),
                                   np.array(pos, dtype=np.int64), np.array(chosen), np.array(km), np.array(budget))
        self.asked = [(t.user_id, t.at, c) for t in self.history for c in sorted(wanted_categories(t.filters))]

    def at(self, cutoff: datetime) -> FeatureStore:
        if cutoff not in self._cache:
            s = self.sheets
            self._cache[cutoff] = FeatureStore.build(
                s.users, {x.shop_id: x.category for x in self.cat.shops}, {x.shop_id: x.brand_id for x in self.cat.shops},
                [*s.orders, *self.logged_orders], s.favorites, s.reviews, cutoff, exposures=self.exposures,
                shop_attrs=ShopAttrs.of(self.cat), asked=self.asked)
        return self._cache[cutoff]

    def collab(self, cutoff: datetime) -> CollabModel:
        return CollabModel.precompute({u: p.shops for u, p in self.at(cutoff).users.items()},
                                      self.cat.shop_ids.tolist())


def build_logged_examples(stores: LoggedFeatureStores, turns: Sequence[LoggedTurn], vocab: Vocab,
                          collab: CollabModel | None, rng: np.random.Generator, *, all_negatives: bool = False,
                          shuffle_labels: bool = False) -> dict[str, np.ndarray]:
    """Arrays in the trainer's layout (INPUT_NAMES + label, session, context_only, log_weight).

    ``all_negatives``: every shown shop is a BCE row (validation). ``shuffle_labels``: the
    chosen shop is replaced by a random shop of the same shown set (a deliberately broken
    candidate, for testing that the loop refuses it)."""
    cat = stores.cat
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("wide", "numerical", "user_id", "shop_id", "brand_id",
                                                          "category_id", "query_ids", "label", "session",
                                                          "context_only", "log_weight")}
    recs: dict[datetime, Recommender] = {}
    for i, t in enumerate(turns):
        shown = [s for s in t.shown if s in cat.position]
        if not shown:
            continue
        chosen = t.chosen if t.chosen in shown else None
        if shuffle_labels and chosen is not None:
            chosen = shown[int(rng.integers(len(shown)))]
        key = week_start(t.at)
        rec = recs.get(key)
        if rec is None:
            rec = recs[key] = Recommender(cat, store=stores.at(key), collab=collab, vocab=vocab)
        req, profile = rec.resolve(t.user_id, t.filters, t.context, t.semantic_query)
        layer1, _ = rec.layer1(req, profile)
        positions = np.array([cat.position[s] for s in shown], dtype=np.int64)
        batch = rec.features(req, profile, layer1, positions)
        labels = np.array([1.0 if s == chosen else 0.0 for s in shown])
        if all_negatives:
            context_only = np.zeros(len(shown), dtype=bool)
        elif chosen is None:
            context_only = np.ones(len(shown), dtype=bool)
        else:
            others = [j for j, s in enumerate(shown) if s != chosen]
            bce = set(rng.choice(others, size=min(NEG_PER_POS, len(others)), replace=False).tolist()) if others else set()
            context_only = np.array([s != chosen and j not in bce for j, s in enumerate(shown)])
        for name in ("wide", "numerical", "user_id", "shop_id", "brand_id", "category_id", "query_ids"):
            parts[name].append(getattr(batch, name))
        parts["label"].append(labels.astype(np.float32))
        parts["session"].append(np.full(len(shown), i, dtype=np.int64))
        parts["context_only"].append(context_only)
        parts["log_weight"].append(np.zeros(len(shown), dtype=np.float32))
    if not parts["label"]:
        raise ValueError("no logged recommendation turns with a shown set in this window")
    out = {k: np.concatenate(v) for k, v in parts.items()}
    assert out["wide"].shape[1] == WIDE_DIM and out["numerical"].shape[1] == NUM_DIM
    return out
