"""The generator: same seed same bytes, and the world looks like the real thing."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from nabiyam.domain.food import CATEGORIES, FOOD_BY_NAME
from nabiyam.domain.geo import DISTRICTS, haversine_m
from nabiyam.domain.hours import KST, parse_hours
from nabiyam.world import generate
from nabiyam.world.formula import TIMES_OF_DAY, time_of_day

from .conftest import SEED


def _digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


def test_same_seed_same_bytes_and_other_seed_differs(tiny_world: Path, tmp_path: Path) -> None:
    again = generate("tiny", SEED, tmp_path / "again")
    assert _digest(tmp_path / "again") == _digest(tiny_world)
    assert {"world.xlsx", "sessions.csv", "impressions.csv", "preferences.jsonl", "world.json"} <= set(_digest(tiny_world))
    other = generate("tiny", SEED + 1, tmp_path / "other", write_xlsx=False)
    assert _digest(tmp_path / "other")["shop.csv"] != _digest(tiny_world)["shop.csv"]
    assert other["counts"]["sessions"] == again["counts"]["sessions"]


def test_manifest_describes_the_files(tiny_world: Path) -> None:
    m = json.loads((tiny_world / "world.json").read_text())
    assert (m["size"], m["seed"], m["formula_version"]) == ("tiny", SEED, "2.0")
    for name, digest in m["files"].items():
        assert hashlib.sha256((tiny_world / name).read_bytes()).hexdigest() == digest, name
    assert m["counts"]["impressions"] == sum(1 for _ in open(tiny_world / "impressions.csv")) - 1
    assert m["counts"]["orders"] == sum(1 for _ in open(tiny_world / "product_order.csv")) - 1


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown world size 'huge'"):
        generate("huge", 1, tmp_path)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        generate("tiny", -3, tmp_path)


def test_catalogue_distributions(world) -> None:  # noqa: ANN001
    shops = world.shops
    card = np.mean([s.accepts_meal_card for s in shops])
    assert 0.7 <= card <= 0.95, card                      # most but not all accept the meal card
    good = np.mean([s.is_good_shop for s in shops])
    assert 0.02 <= good <= 0.25, good
    assert {s.category for s in shops} <= set(CATEGORIES) and len({s.category for s in shops}) >= 8
    assert np.mean([s.district == "관악구" for s in shops]) > 0.3
    for s in shops:
        d = DISTRICTS[s.district]
        assert s.dong in d.dongs
        assert haversine_m(s.lat, s.lon, d.lat, d.lon) < (d.radius_km + 1.5) * 1000, s
        assert 2.5 <= s.rating <= 5.0
    # opening hours: parseable, some closed days, lunch-only places or late-night places exist
    weeks = [parse_hours(s.opening_hours) for s in shops]
    assert any(not spans for w in weeks for spans in w.values()), "no shop has a closed day"
    assert any(e > 1440 or e == 1440 for w in weeks for spans in w.values() for _, e in spans), "no late-night shop"
    menus = world.menus_by_shop()
    assert set(menus) == {s.shop_id for s in shops}
    for items in menus.values():
        assert 2 <= len(items) <= 40
    for m in world.menus:
        food = FOOD_BY_NAME[m.food]                        # canonical food from the lexicon
        assert food.price_min * 0.7 <= m.price <= food.price_max * 1.35 + 2000, m
        assert m.price % 500 == 0
    prices = np.array([m.price for m in world.menus])
    assert 5000 <= np.median(prices) <= 12000


def test_people(world) -> None:  # noqa: ANN001
    start = datetime.fromisoformat(world.manifest["time_range"]["start"]).date()
    kids = [u for u in world.users if u.role == "child"]
    assert 0.7 <= len(kids) / len(world.users) <= 0.95
    assert all(8 <= u.age(start) <= 18 for u in kids)
    assert all(u.meal_card_daily_limit in (8000, 9000, 10000) for u in world.users)
    prefs = {p["user_id"]: p for p in world.preferences}
    assert set(prefs) == {u.user_id for u in world.users}
    brands = {b.brand_id for b in world.brands}
    for p in prefs.values():
        assert set(p["category_affinity"]) == set(CATEGORIES)
        assert 0 <= p["spice_tolerance"] <= 1 and p["distance_sensitivity"] > 0
        assert set(p["favorite_brands"]) <= brands
        assert abs(sum(p["time_of_day_habits"].values()) - 1) < 1e-6


def test_sessions_are_consistent_with_their_context(world) -> None:  # noqa: ANN001
    lo = datetime.fromisoformat(world.manifest["time_range"]["start"])
    hi = datetime.fromisoformat(world.manifest["time_range"]["end"])
    users = world.user_by_id()
    ats = [s.at for s in world.sessions]
    assert ats == sorted(ats), "sessions are in time order (for a time split)"
    for s in world.sessions:
        assert lo <= s.at < hi and s.at.utcoffset() == KST.utcoffset(None)
        assert s.time_of_day == TIMES_OF_DAY[int(time_of_day(np.array([s.at.hour * 60 + s.at.minute]))[0])]
        assert s.budget >= users[s.user_id].meal_card_daily_limit
        assert s.companion in ("alone", "friends", "family")
        ents = json.loads(s.entities)
        for e in ents:
            assert s.request_text[e["start"]:e["end"]] == e["text"], (s.request_text, e)
        if s.budget_mentioned is not None:
            assert s.budget_mentioned == s.budget and s.intent == "BUDGET_FOOD_INQUIRY"
        else:
            assert s.intent == "FOOD_RECOMMENDATION"
        if s.want_food:
            assert any(e["type"] == "food_type" and e["value"] == s.want_food for e in ents)
            assert FOOD_BY_NAME[s.want_food].category == s.want_category
        for d in s.dietary_list:
            assert any(e["type"] == "dietary_preference" and e["value"] == d for e in ents)
        if s.n_candidates == 0:
            assert s.chosen_shop_id is None
    texts = {s.request_text for s in world.sessions}
    assert len(texts) > 0.5 * len(world.sessions), "request texts are varied"


def test_choices_respect_the_hard_filters(world) -> None:  # noqa: ANN001
    """Checked with the domain's own is_open (not the generator's grid)."""
    shops = world.shop_by_id()
    menus = world.menus_by_shop()
    sessions = {s.session_id: s for s in world.sessions}
    chosen = [s for s in world.sessions if s.chosen_shop_id]
    assert 0.3 < len(chosen) / len(world.sessions) < 0.95
    for imp in world.impressions:
        s, shop = sessions[imp.session_id], shops[imp.shop_id]
        assert shop.accepts_meal_card and shop.is_open(s.at), (imp, shop.opening_hours, s.at)
        assert min(m.price for m in menus[shop.shop_id]) <= s.budget
        assert abs(haversine_m(s.lat, s.lon, shop.lat, shop.lon) - imp.distance_m) <= 1.0
    orders = {o.session_id: o for o in world.orders}
    assert set(orders) == {s.session_id for s in chosen}
    menu_by_id = {m.menu_id: m for m in world.menus}
    for s in chosen:
        o = orders[s.session_id]
        assert o.shop_id == s.chosen_shop_id and o.user_id == s.user_id
        assert menu_by_id[o.menu_id].shop_id == o.shop_id and o.price == menu_by_id[o.menu_id].price <= s.budget
        assert o.ordered_at >= s.at


def test_feedback_follows_match_quality(world) -> None:  # noqa: ANN001
    sat_chosen = np.mean([s.satisfaction for s in world.sessions if s.chosen_shop_id])
    sat_none = np.mean([s.satisfaction for s in world.sessions if not s.chosen_shop_id])
    assert sat_chosen > sat_none + 0.5
    for s in world.sessions:
        if s.feedback == "like":
            assert s.satisfaction >= 4
        if s.feedback == "dislike":
            assert s.satisfaction <= 2 and s.feedback_reason in ("far", "too_expensive", "irrelevant", "closed")
    # reviews: mostly good ratings after good matches, and every review follows an order
    ordered = {(o.user_id, o.shop_id) for o in world.orders}
    assert all((r.user_id, r.shop_id) in ordered for r in world.reviews)
    assert all((f.user_id, f.shop_id) in ordered for f in world.favorites)
    assert len({(f.user_id, f.shop_id) for f in world.favorites}) == len(world.favorites)
    assert all(r.text for r in world.reviews)
