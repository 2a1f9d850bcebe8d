"""The training job's outputs: ONNX + parity, metrics for every model, seed CSVs split by
time with at most two negatives per positive, manifest, and OOV-safe serving."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from nabiyam.recsys.features import INPUT_NAMES, NUM_DIM, WIDE_DIM, FeatureBatch
from nabiyam.recsys.ranker import OnnxRanker
from nabiyam.recsys.text import QUERY_LEN

pytestmark = pytest.mark.xdist_group("recsys-trained")

MODELS = ("ranker", "oracle", "popularity", "wide_only", "deep_only", "funnel_collaborative", "funnel_content",
          "funnel_contextual", "funnel_popularity")
METRICS = ("auc", "ndcg@5", "hitrate@5", "mrr", "coverage", "diversity")


def test_metrics_file_has_every_model_and_metric(trained) -> None:
    metrics = json.loads((trained["out_dir"] / "metrics.json").read_text(encoding="utf-8"))
    for model in MODELS:
        for key in METRICS:
            assert 0.0 <= metrics[model][key] <= 1.0, (model, key)
    # the oracle knows the truth: on any world it must beat popularity
    assert metrics["oracle"]["auc"] > metrics["popularity"]["auc"]


def test_manifest_and_parity(trained) -> None:
    manifest = json.loads((trained["out_dir"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"].startswith("ranker-")
    assert manifest["parity_max_abs_diff"] <= 1e-5
    reference = manifest["learnability_bound"]  # a generated world: the hidden truth is there
    assert reference["affinity_map"]["auc"] <= reference["oracle"]["auc"]
    assert manifest["inputs"] == list(INPUT_NAMES)
    assert len(manifest["wide_features"]) == WIDE_DIM and len(manifest["numerical_features"]) == NUM_DIM
    for name in ("model.onnx", "vocab.json", "feature_store.json.gz", "collab.npz"):
        assert (trained["out_dir"] / name).is_file(), name
    assert not (trained["out_dir"] / "checkpoint.pt").exists()


def _rows(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_seed_csvs_split_by_time_with_bounded_negatives(trained) -> None:
    train = _rows(trained["out_dir"] / "recommendation_train.csv")
    val = _rows(trained["out_dir"] / "recommendation_val.csv")
    header = list(train[0])
    assert header[:3] == ["user_id", "shop_id", "label"]
    assert [f"wide_feat_{i}" for i in range(WIDE_DIM)] == header[3 : 3 + WIDE_DIM]
    assert [f"num_feat_{i}" for i in range(NUM_DIM)] == header[3 + WIDE_DIM : 3 + WIDE_DIM + NUM_DIM]
    assert {"category", "semantic_query", "brand_id", "event_time"} <= set(header)
    assert max(r["event_time"] for r in train) < min(r["event_time"] for r in val)
    pos = sum(r["label"] == "1" for r in train)
    neg = sum(r["label"] == "0" for r in train)
    assert pos > 0 and neg <= 2 * pos
    per_session: dict[str, list[str]] = {}
    for r in train:
        per_session.setdefault(r["session_id"], []).append(r["label"])
    assert all(labels.count("1") == 1 and labels.count("0") <= 2 for labels in per_session.values())


def test_onnx_scores_unknown_ids_with_the_shared_oov_row(trained) -> None:
    ranker = OnnxRanker(trained["out_dir"] / "model.onnx")
    rng = np.random.default_rng(0)
    n = 100  # the serving batch: up to 100 candidates in one call
    batch = FeatureBatch(
        positions=np.arange(n), wide=rng.random((n, WIDE_DIM), dtype=np.float32),
        numerical=rng.random((n, NUM_DIM), dtype=np.float32), user_id=np.zeros(n, np.int64),
        shop_id=np.zeros(n, np.int64), brand_id=np.zeros(n, np.int64), category_id=np.zeros(n, np.int64),
        query_ids=np.zeros((n, QUERY_LEN), np.int64))
    scores = ranker.score(batch)
    assert scores.shape == (n,) and np.isfinite(scores).all() and ((scores > 0) & (scores < 1)).all()
    assert np.ptp(scores) > 0  # the wide/numerical features still move the score


def test_unknown_user_gets_recommendations(catalogue, trained) -> None:
    from datetime import datetime

    from nabiyam.domain.hours import KST
    from nabiyam.domain.nlu import Filters
    from nabiyam.domain.recommendation import RequestContext
    from nabiyam.recsys import Recommender

    rec = Recommender.load(trained["out_dir"], catalogue)
    result = rec.recommend("never-seen-user", Filters(), RequestContext(district="관악구",
                           at=datetime(2026, 3, 4, 12, 30, tzinfo=KST)), semantic_query="점심 뭐 먹지")
    assert not result.fallback and result.model_version == rec.artifacts.version
    assert result.items and all(c.ranker_score is not None for c in result.candidates)
    assert len(result.candidates) <= 100
    scores = [i.score for i in result.items]
    assert scores == sorted(scores, reverse=True)
