"""The oracle: rebuilt from the files it reproduces the generator's probabilities, it is
consistent with the sampled behaviour, and it ranks real choices far above chance."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from nabiyam.world import Oracle
from nabiyam.world.stats import auc, grouped_auc, ndcg_at, ranking_baselines


@pytest.fixture(scope="module")
def oracle(tiny_world: Path) -> Oracle:
    return Oracle.from_dir(tiny_world)


def _by_session(world) -> dict[str, list]:  # noqa: ANN001
    out: dict[str, list] = {}
    for imp in world.impressions:
        out.setdefault(imp.session_id, []).append(imp)
    return out


def test_oracle_from_files_reproduces_the_stored_probabilities(world, oracle: Oracle) -> None:  # noqa: ANN001
    groups = _by_session(world)
    checked = 0
    for s in world.sessions:
        imps = groups.get(s.session_id, [])
        if not imps:
            continue
        ids = [i.shop_id for i in imps]
        p = oracle.session_probabilities(s, ids, choice_set=True)
        np.testing.assert_allclose(p, [i.oracle_prob for i in imps], atol=2e-6)
        u = oracle.utilities(s.user_id, ids, **oracle.session_context(s))
        np.testing.assert_allclose(u, [i.utility for i in imps], atol=2e-6)
        # the independent view ranks the set the same way
        single = oracle.session_probabilities(s, ids)
        assert np.array_equal(np.argsort(-single, kind="stable"), np.argsort(-p, kind="stable"))
        checked += 1
    assert checked > 300


def test_sampled_choices_are_calibrated_against_the_oracle(world) -> None:  # noqa: ANN001
    p = np.array([i.oracle_prob for i in world.impressions])
    y = np.array([i.ordered for i in world.impressions])
    sd = np.sqrt((p * (1 - p)).sum())
    assert abs(y.sum() - p.sum()) < 4 * sd, (y.sum(), p.sum())
    # and per probability band: what the oracle says is what happened
    bins = np.digitize(p, [0.05, 0.15, 0.3])
    for b in range(4):
        sel = bins == b
        if sel.sum() > 100:
            exp, obs = p[sel].sum(), y[sel].sum()
            assert abs(obs - exp) < 4 * np.sqrt((p[sel] * (1 - p[sel])).sum()) + 2, (b, obs, exp)


def test_oracle_ranks_actual_choices_far_above_chance(world) -> None:  # noqa: ANN001
    p = np.array([i.oracle_prob for i in world.impressions])
    y = np.array([i.ordered for i in world.impressions])
    g = np.array([i.session_id for i in world.impressions])
    assert grouped_auc(p, y, g) > 0.75
    assert auc(p, y) > 0.75
    rng = np.random.default_rng(0)
    r = rng.random(len(p))
    assert abs(grouped_auc(r, y, g) - 0.5) < 0.06
    assert ndcg_at(p, y, g, 5) > ndcg_at(r, y, g, 5) + 0.2


def test_popularity_is_clearly_weaker_than_the_oracle(tiny_world: Path) -> None:
    b = ranking_baselines(tiny_world)
    assert b["oracle_session_auc"] > b["popularity_session_auc"] + 0.1
    assert b["oracle_ndcg5"] > b["popularity_ndcg5"] + 0.1
    assert b["oracle_session_auc"] > b["nearest_session_auc"] + 0.1


def test_metric_helpers_on_known_cases() -> None:
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert auc(np.array([1.0, 1.0]), np.array([0, 1])) == 0.5
    g = np.array([0, 0, 0, 1, 1])
    assert ndcg_at(np.array([3, 2, 1, 1, 2]), np.array([1, 0, 0, 0, 1]), g, 5) == 1.0
    assert np.isnan(auc(np.array([1.0]), np.array([1])))


def _open_session(world, oracle: Oracle):  # noqa: ANN001, ANN202
    """A session with a chosen shop, and that shop."""
    s = next(s for s in world.sessions if s.chosen_shop_id)
    return s, world.shop_by_id()[s.chosen_shop_id]


def test_probability_for_any_context(world, oracle: Oracle) -> None:  # noqa: ANN001
    s, shop = _open_session(world, oracle)
    base = dict(at=s.at, lat=s.lat, lon=s.lon, budget=s.budget, companion=s.companion)
    p = oracle.probability(s.user_id, shop.shop_id, **base)
    assert 0 < p < 1
    assert p == oracle.probability(s.user_id, shop.shop_id, **{**base, "at": s.at.isoformat()})
    # farther away → less likely (every user has a positive distance sensitivity)
    far = oracle.probability(s.user_id, shop.shop_id, **{**base, "lat": s.lat + 0.01})
    near = oracle.probability(s.user_id, shop.shop_id, **{**base, "lat": shop.lat, "lon": shop.lon})
    assert far < near
    # asking for the shop's category makes it more likely
    asked = oracle.probability(s.user_id, shop.shop_id, **base, category=shop.category)
    assert asked > oracle.probability(s.user_id, shop.shop_id, **base)
    # hard filters: too small a budget, or a time the shop is closed → 0
    menus = world.menus_by_shop()[shop.shop_id]
    assert oracle.probability(s.user_id, shop.shop_id, **{**base, "budget": min(m.price for m in menus) - 1}) == 0.0
    closed = next(t for t in (s.at + timedelta(hours=h) for h in range(1, 24 * 7)) if not shop.is_open(t))
    assert oracle.probability(s.user_id, shop.shop_id, **{**base, "at": closed}) == 0.0
    assert oracle.probability(s.user_id, shop.shop_id, **{**base, "at": closed}, hard_filters=False) > 0.0
    no_card = next((x for x in world.shops if not x.accepts_meal_card), None)
    if no_card:
        assert oracle.probability(s.user_id, no_card.shop_id, **base, hard_filters=True) == 0.0
    # a whole candidate set at once, and the choice-set view sums to at most 1
    ids = [x.shop_id for x in world.shops[:40]]
    ps = oracle.probabilities(s.user_id, ids, **base)
    cs = oracle.choice_probabilities(s.user_id, ids, **base)
    assert ps.shape == cs.shape == (40,) and cs.sum() < 1.0
    assert np.array_equal(ps > 0, cs > 0)


def test_bad_oracle_input_is_named(world, oracle: Oracle) -> None:  # noqa: ANN001
    s, shop = _open_session(world, oracle)
    base = dict(at=datetime(2026, 3, 3, 12, 0), lat=s.lat, lon=s.lon, budget=9000)
    with pytest.raises(KeyError, match="unknown user_id 'nobody'"):
        oracle.probability("nobody", shop.shop_id, **base)
    with pytest.raises(KeyError, match="unknown shop_id 'nowhere'"):
        oracle.probability(s.user_id, "nowhere", **base)
    with pytest.raises(ValueError, match="unknown companion 'dog'"):
        oracle.probability(s.user_id, shop.shop_id, **base, companion="dog")
    with pytest.raises(ValueError, match="unknown category"):
        oracle.probability(s.user_id, shop.shop_id, **base, category="태국식")
    with pytest.raises(ValueError, match="unknown food"):
        oracle.probability(s.user_id, shop.shop_id, **base, food="스테이크덮밥")
    with pytest.raises(ValueError, match="unknown dietary"):
        oracle.probability(s.user_id, shop.shop_id, **base, dietary=("keto",))
    with pytest.raises(ValueError, match="budget must be a positive"):
        oracle.probability(s.user_id, shop.shop_id, **{**base, "budget": 0})
    assert oracle.has_user(s.user_id) and not oracle.has_user("nobody")
