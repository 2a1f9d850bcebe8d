"""No train/serve skew: the seed CSV rows written by training equal the feature vectors the
serving objects (catalogue snapshot, stored feature store / vocab / collab, loaded from disk)
compute for the same request."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from nabiyam.recsys import CatalogueIndex, Recommender
from nabiyam.recsys.features import NUM_DIM, NUM_NAMES, WIDE_DIM, WIDE_NAMES

pytestmark = pytest.mark.xdist_group("recsys-trained")


def test_training_rows_equal_serving_features(tiny_world, trained, tmp_path) -> None:
    from training_jobs.ranker.data import WorldData, build_examples, request_of, write_seed_csv

    out = trained["out_dir"]
    data = WorldData.load(tiny_world)
    cat = data.catalogue()
    served = Recommender.load(out, CatalogueIndex.from_snapshot(cat.to_snapshot(tmp_path / "catalogue.json.gz")))
    assert served.artifacts is not None
    sessions = [s for s in data.sessions if s.chosen_shop_id][-25:]
    ex = build_examples(data, cat, sessions, 0, lambda _cutoff: served.store, served.collab, served.vocab, None,
                        np.random.default_rng(0))
    path = write_seed_csv(tmp_path / "rows.csv", ex)
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    arrays = ex.arrays()
    assert len(rows) == len(arrays["label"]) > 100
    k = 0
    checked = 0
    for s in sessions:
        filters, context = request_of(s)
        req, profile = served.resolve(s.user_id, filters, context, semantic_query=s.request_text)
        shown = [sid for sid, _ in data.impressions[s.session_id] if sid in served.catalogue.position]
        positions = np.array([served.catalogue.position[sid] for sid in shown])
        layer1, _ = served.layer1(req, profile)
        batch = served.features(req, profile, layer1, positions)
        n = len(positions)
        np.testing.assert_array_equal(batch.wide, arrays["wide"][k : k + n])
        np.testing.assert_array_equal(batch.numerical, arrays["numerical"][k : k + n])
        for name in ("user_id", "shop_id", "brand_id", "category_id", "query_ids"):
            np.testing.assert_array_equal(getattr(batch, name), arrays[name][k : k + n])
        for j in range(n):
            row = rows[k + j]
            assert row["shop_id"] == shown[j] and row["user_id"] == s.user_id
            wide = np.array([float(row[f"wide_feat_{i}"]) for i in range(WIDE_DIM)])
            num = np.array([float(row[f"num_feat_{i}"]) for i in range(NUM_DIM)])
            np.testing.assert_allclose(wide, batch.wide[j], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(num, batch.numerical[j], rtol=1e-5, atol=1e-6)
            checked += 1
        k += n
    assert checked == len(rows)
    # Every column is a named feature (no silent padding), and the comparison above is not
    # between two all-zero vectors: most named features vary across the checked rows.
    assert len(WIDE_NAMES) == WIDE_DIM and len(NUM_NAMES) == NUM_DIM
    varying = [name for name, spread in zip(WIDE_NAMES, np.ptp(arrays["wide"], axis=0), strict=True) if spread > 0]
    assert len(varying) >= 0.75 * WIDE_DIM, sorted(set(WIDE_NAMES) - set(varying))
    assert (np.ptp(arrays["numerical"], axis=0) > 0).sum() >= NUM_DIM - 2
