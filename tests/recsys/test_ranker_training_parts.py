"""Training parts that the quick fixture does not reach: the seed ensemble exported as one
ONNX graph, and the listwise context rows (more of the shown set in the loss, never in the
seed CSV)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("recsys-trained")


def test_seed_ensemble_is_one_onnx_graph_with_the_mean_logit(trained, tmp_path) -> None:
    import torch

    from training_jobs.ranker.export import export_onnx, parity
    from training_jobs.ranker.model import Ensemble, WideDeep

    from nabiyam.recsys.features import NUM_DIM, WIDE_DIM
    from nabiyam.recsys.text import QUERY_BUCKETS

    sizes = trained["manifest"]["vocab_sizes"]
    g = np.random.default_rng(0)
    n = 64
    rows = {"wide": g.random((n, WIDE_DIM), dtype=np.float32), "numerical": g.random((n, NUM_DIM), dtype=np.float32),
            "user_id": g.integers(0, sizes["users"], n), "shop_id": g.integers(0, sizes["shops"], n),
            "brand_id": g.integers(0, sizes["brands"], n), "category_id": g.integers(0, sizes["categories"], n),
            "query_ids": g.integers(0, QUERY_BUCKETS + 1, (n, 12)), "label": np.zeros(n, np.float32)}
    members = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        m = WideDeep(sizes)
        with torch.no_grad():  # members must differ, or the mean proves nothing
            m.user_coef.weight.normal_(0, 0.5)
            m.user_category.weight.normal_(0, 0.5)
        members.append(m.eval())
    ens = Ensemble(members).eval()
    inputs = [torch.as_tensor(rows[k]) for k in ("wide", "numerical", "user_id", "shop_id", "brand_id",
                                                       "category_id", "query_ids")]
    with torch.no_grad():
        z = [m.logits(*inputs) for m in members]
        assert float((z[0] - z[1]).abs().max()) > 1e-3
        torch.testing.assert_close(ens.logits(*inputs), (z[0] + z[1]) / 2)
    path = export_onnx(ens, rows, tmp_path / "ensemble.onnx")
    assert parity(ens, path, rows) <= 1e-5
    with pytest.raises(ValueError):
        Ensemble([])


def test_context_rows_widen_the_loss_but_not_the_seed_csv(tiny_world, tmp_path) -> None:
    from nabiyam.recsys.collab import CollabModel
    from nabiyam.recsys.store import Vocab
    from training_jobs.ranker.data import WorldData, build_examples, write_seed_csv

    data = WorldData.load(tiny_world)
    cat = data.catalogue()
    sessions = data.sessions[: len(data.sessions) // 2]
    store = data.store(cat, sessions[-1].at)
    collab = CollabModel.precompute({u: p.shops for u, p in store.users.items()}, cat.shop_ids.tolist())
    vocab = Vocab.build({s.user_id for s in sessions}, set(cat.shop_ids.tolist()), [])
    ex = build_examples(data, cat, sessions, 0, lambda _c: store, collab, vocab, 2, np.random.default_rng(0),
                        no_choice_rows=3, context_rows=6)
    a = ex.arrays()
    shown = {i: len([x for x in data.impressions.get(s.session_id, []) if x[0] in cat.position])
             for i, s in enumerate(sessions)}
    widened = 0
    for sess in np.unique(a["session"]):
        rows = a["session"] == sess
        label, ctx, logw = a["label"][rows], a["context_only"][rows], a["log_weight"][rows]
        m = shown[int(sess)] - int(label.sum())  # shown, not chosen
        k = int((label == 0).sum())
        assert k == min(6, m)
        if k:
            np.testing.assert_allclose(logw[label == 0], np.log(m / k), rtol=1e-6)
        if label.sum() == 1:
            assert not ctx[label == 1].any()
            assert int((~ctx & (label == 0)).sum()) == min(2, m)  # the seed CSV's negatives
            widened += int(k > 2)
        else:
            assert ctx.all()
    assert widened > 10
    path = write_seed_csv(tmp_path / "train.csv", ex)
    with open(path, encoding="utf-8") as fh:
        assert sum(1 for _ in fh) - 1 == int((~a["context_only"]).sum())
