"""Metric definitions against brute force, and the collaborative artifact's invariants."""

from __future__ import annotations

import numpy as np
import pytest

from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.text import QUERY_BUCKETS, QUERY_LEN, hash_ids

pytestmark = pytest.mark.xdist_group("recsys-unit")


def test_auc_matches_pairwise_count() -> None:
    from training_jobs.ranker.metrics import auc

    rng = np.random.default_rng(3)
    y = rng.random(300) < 0.3
    s = np.round(rng.random(300), 2)  # ties on purpose
    pos, neg = s[y], s[~y]
    brute = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))
    assert auc(y, s) == pytest.approx(brute, abs=1e-12)


def test_ranking_metrics_by_hand() -> None:
    from training_jobs.ranker.metrics import ranking_metrics

    # session 0: chosen ranked 1st; session 1: chosen ranked 3rd; session 2: no choice
    session = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    labels = np.array([1, 0, 0, 0, 0, 1, 0, 0])
    scores = np.array([0.9, 0.5, 0.1, 0.8, 0.7, 0.2, 0.3, 0.4])
    shop = np.array([1, 2, 3, 1, 2, 4, 5, 6])
    category = np.array([0, 0, 1, 0, 1, 1, 2, 2])
    m = ranking_metrics(session, labels, scores, shop, category, n_shops=10)
    assert m["mrr"] == pytest.approx((1 + 1 / 3) / 2, abs=1e-5)
    assert m["hitrate@5"] == 1.0
    assert m["ndcg@5"] == pytest.approx((1 + 1 / np.log2(4)) / 2, abs=1e-5)
    assert m["coverage"] == pytest.approx(0.6)
    assert m["sessions"] == 2


def test_collab_neighbours_follow_co_occurrence_and_survive_reordering(tmp_path) -> None:
    shops = ["a", "b", "c", "d"]
    interactions = {"u1": {"a": 2, "b": 1}, "u2": {"a": 1, "b": 3}, "u3": {"c": 1, "d": 1}, "u4": {"c": 2}}
    model = CollabModel.precompute(interactions, shops, top_k=2)
    assert model.neighbours[0][0] == 1  # a's nearest is b
    assert model.neighbours[2][0] == 3  # c's nearest is d
    pos = {s: i for i, s in enumerate(shops)}
    scores = model.scores({"a": 1.0}, pos)
    assert scores[1] > 0 and scores[2] == 0 and scores[3] == 0
    loaded = CollabModel.load(model.save(tmp_path / "collab.npz"))
    reordered = loaded.aligned_to(np.array(["d", "c", "b", "a", "z"]))
    new_pos = {s: i for i, s in enumerate(["d", "c", "b", "a", "z"])}
    rescored = reordered.scores({"a": 1.0}, new_pos)
    for s in shops:
        assert rescored[new_pos[s]] == pytest.approx(scores[pos[s]])
    assert rescored[new_pos["z"]] == 0


def test_query_hashing_is_stable_and_bounded() -> None:
    ids = hash_ids("아이랑 갈만한 건강한 저녁 식당")
    assert ids.shape == (QUERY_LEN,) and ids.dtype == np.int64
    assert ((ids >= 0) & (ids <= QUERY_BUCKETS)).all() and (ids > 0).sum() > 10
    assert (hash_ids("아이랑 갈만한 건강한 저녁 식당") == ids).all()
    assert not hash_ids("").any()


def test_choice_probability_keeps_order_and_sums_below_one() -> None:
    from training_jobs.ranker.metrics import choice_probability

    session = np.array([0, 0, 0, 1, 1])
    p = np.array([0.9, 0.2, 0.5, 0.3, 0.3])
    q = choice_probability(p, session)
    assert np.argsort(-q[:3]).tolist() == np.argsort(-p[:3]).tolist()
    assert q[:3].sum() < 1 and q[3:].sum() < 1 and q[3] == pytest.approx(q[4])
    # a shop facing strong competition is less likely to be chosen than the same shop alone
    assert choice_probability(np.array([0.5, 0.99]), np.array([0, 0]))[0] < choice_probability(
        np.array([0.5]), np.array([0]))[0]
