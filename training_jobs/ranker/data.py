"""Training data for the ranker, from a world directory, with the serving feature code.

Positives: the shop a person chose (ordered) in a session. Favorites and reviews ≥ 4 have
no request context of their own; they enter through the feature store (user × shop
weights, favourite shops and brands) that every example reads point-in-time. Negatives:
shops shown to the person in the same session that were not chosen, at most
`NEG_PER_POS` per positive in training; validation keeps the whole choice set so ranking
metrics are computed over what the person really saw.

Sessions where the person chose nothing (≈ 30 %) add `NO_CHOICE_ROWS` sampled shown shops as
context-only rows: they are not written to the seed CSV and carry no BCE label; the trainer's
listwise loss uses them (with the "nothing" option, as people choose), so the model learns
when a set is not good enough. Every sampled not-chosen row carries log(m / k), m shown
and k sampled not-chosen shops, so the sampled softmax estimates the full set's denominator.
Every training session is widened to `CONTEXT_ROWS` sampled not-chosen shops for that loss:
the first `NEG_PER_POS` are the CSV/BCE negatives, the rest context-only (not in the CSV).

Split by time: validation = sessions from the last `val_fraction` of the time range.
Point in time: an example at time t reads a feature store built from everything before
the Monday 00:00 (Seoul) that starts t's week, so no example sees its own outcome.
"""

from __future__ import annotations

import sys

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from nabiyam.domain.catalogue import Brand, Favorite, MenuItem, Order, Review, Shop, User
from nabiyam.domain.geo import DISTRICTS, DONG_TO_DISTRICT
from nabiyam.domain.hours import to_kst
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import RequestContext
from nabiyam.recsys.catalogue import CatalogueIndex
from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.filters import wanted_categories
from nabiyam.recsys.features import NUM_DIM, WIDE_DIM
from nabiyam.recsys.recommender import Recommender
from nabiyam.recsys.store import Exposures, FeatureStore, ShopAttrs, Vocab

NEG_PER_POS = 2
NO_CHOICE_ROWS = 3
# shown-not-chosen shops per training session in the listwise loss (the CSV keeps NEG_PER_POS);
# None = every one. Sampling 8 of the ~28 cost 0.0016 validation AUC on small (one member,
# 0.8678 vs 0.8694) and most of what the collaborative factors can learn (+0.0004 vs +0.0017
# AUC): the whole set is what identifies a shop's hidden character against its neighbours.
CONTEXT_ROWS: int | None = None


@dataclass
class WorldData:
    brands: list[Brand]
    shops: list[Shop]
    menus: list[MenuItem]
    users: list[User]
    orders: list[Order]
    favorites: list[Favorite]
    reviews: list[Review]
    sessions: list  # nabiyam.world.records.Session, sorted by time
    impressions: dict[str, list[tuple[str, float]]]  # session_id → [(shop_id, oracle_prob)] by position
    distances: dict[str, list[float]]  # session_id → metres, aligned with impressions
    _exposures: Exposures | None = None
    _asked: list | None = None

    @classmethod
    def load(cls, world_dir: Path) -> WorldData:
        from nabiyam.world.io import IMPRESSIONS_FILE, SESSIONS_FILE
        from nabiyam.world.reader import iter_sessions, read_world

        world_dir = Path(world_dir)
        if not (world_dir / SESSIONS_FILE).is_file():
            raise FileNotFoundError(f"{world_dir} is not a world directory (no {SESSIONS_FILE}); "
                                    f"make one with `nabiyam world generate --size tiny --out DIR`")
        world = read_world(world_dir)  # the operator sheets, validated like an import
        sessions = sorted(iter_sessions(world_dir), key=lambda s: (s.at, s.session_id))
        # Impressions are read raw: a million rows through pydantic would dominate training set-up.
        impressions: dict[str, list[tuple[int, str, float, float]]] = defaultdict(list)
        with open(world_dir / IMPRESSIONS_FILE, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                impressions[row["session_id"]].append(
                    (int(row["position"]), row["shop_id"], float(row["oracle_prob"]), float(row["distance_m"])))
        ordered = {k: [(s, p) for _, s, p, _ in sorted(v)] for k, v in impressions.items()}
        distances = {k: [d for *_, d in sorted(v)] for k, v in impressions.items()}
        return cls(world.brands, world.shops, world.menus, world.users, world.orders, world.favorites, world.reviews,
                   sessions, ordered, distances)

    def catalogue(self) -> CatalogueIndex:
        return CatalogueIndex.from_records(self.brands, self.shops, self.menus)

    def exposures(self, cat: CatalogueIndex) -> Exposures:
        """Every shown shop as the exposure log the feature store aggregates (built once)."""
        if self._exposures is None:
            users, at, pos, chosen, km, budget = [], [], [], [], [], []
            for s in self.sessions:
                t = s.at.timestamp()
                for (sid, _), d in zip(self.impressions.get(s.session_id, []), self.distances.get(s.session_id, []),
                                       strict=True):
                    p = cat.position.get(sid)
                    if p is None:
                        continue
                    users.append(s.user_id)
                    at.append(t)
                    pos.append(p)
                    chosen.append(1.0 if sid == s.chosen_shop_id else 0.0)
                    km.append(d / 1000.0)
                    budget.append(float(s.budget))
            self._exposures = Exposures(np.array(users), np.array(at), np.array(pos, dtype=np.int64),
                                        np.array(chosen), np.array(km), np.array(budget))
        return self._exposures

    def store(self, cat: CatalogueIndex, cutoff: datetime) -> FeatureStore:
        companions = {s.session_id: s.companion for s in self.sessions}
        return FeatureStore.build(
            self.users, {s.shop_id: s.category for s in cat.shops}, {s.shop_id: s.brand_id for s in cat.shops},
            self.orders, self.favorites, self.reviews, cutoff, session_companion=companions,
            exposures=self.exposures(cat), shop_attrs=ShopAttrs.of(cat), asked=self.asked(),
        )

    def asked(self) -> list[tuple[str, datetime, str]]:
        """(user, time, category) of every request that named a category or a food."""
        if self._asked is None:
            self._asked = []
            for s in self.sessions:
                filters, _ = request_of(s)
                self._asked += [(s.user_id, s.at, c) for c in sorted(wanted_categories(filters))]
        return self._asked


def request_of(session) -> tuple[Filters, RequestContext]:
    """What the NLU and the client hand the recommender for this session: what the text says
    (food/category/diet/budget/location/good shop) plus the request context the world records
    with it (time, place, card budget, companion: the app asks "누구랑 먹어요?")."""
    district, near_me = None, False
    loc = session.location_mentioned
    if loc == "near_me":
        near_me = True
    elif loc in DISTRICTS:
        district = loc
    elif loc in DONG_TO_DISTRICT:
        district = DONG_TO_DISTRICT[loc]
    filters = Filters(
        category=session.want_category,
        food_types=[session.want_food] if session.want_food else [],
        budget_max=session.budget_mentioned,
        companion=session.companion,
        time_of_day=session.time_mentioned,
        dietary_preferences=session.dietary_list,
        district=district,
        near_me=near_me,
        good_shop_only=session.good_shop_only,
    )
    context = RequestContext(lat=session.lat, lon=session.lon, district=session.district, at=session.at,
                             budget=min(max(session.budget, 1000), 100_000))
    return filters, context


def week_start(at: datetime) -> datetime:
    local = to_kst(at)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Examples:
    """Feature rows (aligned arrays) plus what evaluation needs per row."""

    wide: list = field(default_factory=list)
    numerical: list = field(default_factory=list)
    user_id: list = field(default_factory=list)
    shop_id: list = field(default_factory=list)
    brand_id: list = field(default_factory=list)
    category_id: list = field(default_factory=list)
    query_ids: list = field(default_factory=list)
    label: list = field(default_factory=list)
    session: list = field(default_factory=list)  # index into `sessions`
    oracle: list = field(default_factory=list)
    funnels: list = field(default_factory=list)  # (n, 4) raw funnel scores
    position: list = field(default_factory=list)  # catalogue position
    meta: list = field(default_factory=list)  # (user_id, shop_id, brand_id, category, query, event_time, session_id)
    context_only: list = field(default_factory=list)  # rows for the listwise loss only (no-choice sessions)
    log_weight: list = field(default_factory=list)  # log(shown not-chosen / sampled not-chosen) per row

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.label:
            return {
                "wide": np.zeros((0, WIDE_DIM), np.float32), "numerical": np.zeros((0, NUM_DIM), np.float32),
                **{k: np.zeros(0, np.int64) for k in ("user_id", "shop_id", "brand_id", "category_id", "session",
                                                      "position")},
                "query_ids": np.zeros((0, 1), np.int64), "label": np.zeros(0, np.float32),
                "oracle": np.zeros(0), "funnels": np.zeros((0, 4)), "context_only": np.zeros(0, bool),
                "log_weight": np.zeros(0, np.float32),
            }
        cat = np.concatenate
        return {
            "wide": cat(self.wide), "numerical": cat(self.numerical), "user_id": cat(self.user_id),
            "shop_id": cat(self.shop_id), "brand_id": cat(self.brand_id), "category_id": cat(self.category_id),
            "query_ids": cat(self.query_ids), "label": np.asarray(cat(self.label), np.float32),
            "session": cat(self.session), "oracle": cat(self.oracle), "funnels": cat(self.funnels),
            "position": cat(self.position), "context_only": cat(self.context_only),
            "log_weight": np.asarray(cat(self.log_weight), np.float32),
        }


def build_examples(
    data: WorldData,
    cat: CatalogueIndex,
    sessions: list,
    session_offset: int,
    store_for: Callable[[datetime], FeatureStore],
    collab: CollabModel | None,
    vocab: Vocab,
    negatives: int | None,
    rng: np.random.Generator,
    progress: bool = False,
    no_choice_rows: int = 0,
    context_rows: int | None = 0,
) -> Examples:
    """Rows for `sessions` through the serving code path (Recommender.resolve/layer1/features).

    `negatives=None` keeps every shown shop (validation); otherwise at most that many
    not-chosen shops per chosen one, and sessions without a choice give `no_choice_rows`
    sampled context-only rows (0 = skipped). `context_rows` widens every training session to
    that many sampled shown-not-chosen shops (None: all of them) for the listwise loss only: the first `negatives`
    stay the CSV/BCE rows, the others are context-only (the softmax sees more of the set the
    person chose from, which is what identifies per-person taste)."""
    out = Examples()
    recs: dict[datetime, Recommender] = {}
    iterator = sessions
    if progress:
        from tqdm import tqdm

        iterator = tqdm(sessions, desc="features", unit="session", leave=False, disable=not sys.stderr.isatty())
    for i, s in enumerate(iterator):
        shown = data.impressions.get(s.session_id, [])
        shown = [(sid, p) for sid, p in shown if sid in cat.position]
        if not shown:
            continue
        chosen = s.chosen_shop_id
        context_only, log_w = False, 0.0
        row_context = None
        if negatives is not None:
            if not chosen or chosen not in {sid for sid, _ in shown}:
                if no_choice_rows <= 0:
                    continue
                chosen, context_only = None, True
            others = [x for x in shown if x[0] != chosen]
            k_csv = min(no_choice_rows if context_only else negatives, len(others))
            k = len(others) if context_rows is None else min(max(k_csv, context_rows), len(others))
            pick = rng.choice(len(others), size=k, replace=False).tolist() if others else []
            csv_picks = set(pick[:k_csv])  # the seed CSV's ≤ `negatives` rows; the rest are loss context
            log_w = float(np.log(len(others) / k)) if k else 0.0
            picked = sorted(pick)
            shown = [x for x in shown if x[0] == chosen] + [others[j] for j in picked]
            row_context = np.array([context_only] * (len(shown) - len(picked))
                                   + [context_only or j not in csv_picks for j in picked])
        key = week_start(s.at)
        rec = recs.get(key)
        if rec is None:
            rec = recs[key] = Recommender(cat, store=store_for(key), collab=collab, vocab=vocab)
        filters, context = request_of(s)
        req, profile = rec.resolve(s.user_id, filters, context, semantic_query=s.request_text)
        positions = np.array([cat.position[sid] for sid, _ in shown], dtype=np.int64)
        layer1, _ = rec.layer1(req, profile)  # exactly the serving Layer 1 for this request
        batch = rec.features(req, profile, layer1, positions)
        n = len(positions)
        out.wide.append(batch.wide)
        out.numerical.append(batch.numerical)
        out.user_id.append(batch.user_id)
        out.shop_id.append(batch.shop_id)
        out.brand_id.append(batch.brand_id)
        out.category_id.append(batch.category_id)
        out.query_ids.append(batch.query_ids)
        out.label.append(np.array([1.0 if sid == chosen else 0.0 for sid, _ in shown]))
        out.session.append(np.full(n, session_offset + i, dtype=np.int64))
        out.oracle.append(np.array([p for _, p in shown]))
        out.funnels.append(layer1.scores[:, positions].T)
        out.position.append(positions)
        out.context_only.append(np.full(n, context_only) if row_context is None else row_context)
        out.log_weight.append(np.array([0.0 if sid == chosen else log_w for sid, _ in shown]))
        at = to_kst(s.at).isoformat()
        for sid in (x for x, _ in shown):
            shop = cat.shops[cat.position[sid]]
            out.meta.append((s.user_id, sid, shop.brand_id or "", shop.category, s.request_text, at, s.session_id))
    return out


def write_seed_csv(path: Path, ex: Examples) -> Path:
    """The seed's CSV format (user_id, shop_id, label, wide_feat_0..49, num_feat_0..9, category,
    semantic_query) plus brand_id, event_time and session_id."""
    arrays = ex.arrays()
    header = (["user_id", "shop_id", "label"] + [f"wide_feat_{i}" for i in range(WIDE_DIM)]
              + [f"num_feat_{i}" for i in range(NUM_DIM)]
              + ["category", "semantic_query", "brand_id", "event_time", "session_id"])
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for k, (user, shop, brand, category, query, at, sid) in enumerate(ex.meta):
            if arrays["context_only"][k]:
                continue
            w.writerow([user, shop, int(arrays["label"][k])]
                       + [f"{v:.6g}" for v in arrays["wide"][k].tolist()]
                       + [f"{v:.6g}" for v in arrays["numerical"][k].tolist()]
                       + [category, query, brand, at, sid])
    return path
