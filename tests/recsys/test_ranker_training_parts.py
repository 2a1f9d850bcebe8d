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


def _planted(n_users: int, n_shops: int, sessions: int, width: int, seed: int,
             session_seed: int) -> tuple[dict, np.ndarray]:
    """Choice sessions whose only signal is a planted rank-2 person × shop term (a shop's hidden
    character × a person's taste, the world's formula 2.0 shape; drawn from `seed`): `width`
    shops per session plus "nothing" at logit 0, chosen by the multinomial logit (sessions
    drawn from `session_seed`)."""
    from nabiyam.recsys.features import NUM_DIM, WIDE_DIM

    truth = np.random.default_rng(seed)
    taste = truth.normal(0, 1.0, (n_users, 2))
    character = truth.normal(0, 1.0, (n_shops, 2))
    g = np.random.default_rng(session_seed)
    user = np.repeat(g.integers(1, n_users, sessions), width)
    shop = g.integers(1, n_shops, sessions * width)
    term = (taste[user] * character[shop]).sum(1)
    z = (term - 1.0).reshape(sessions, width)
    z = np.column_stack([z, np.zeros(sessions)])
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    pick = (g.random(sessions)[:, None] > p.cumsum(1)).sum(1)
    label = np.zeros(sessions * width, np.float32)
    made = pick < width
    label[np.flatnonzero(made) * width + pick[made]] = 1.0
    n = sessions * width
    arrays = {"wide": np.zeros((n, WIDE_DIM), np.float32), "numerical": np.zeros((n, NUM_DIM), np.float32),
              "user_id": user.astype(np.int64), "shop_id": shop.astype(np.int64),
              "brand_id": np.zeros(n, np.int64), "category_id": np.ones(n, np.int64),
              "query_ids": np.zeros((n, 12), np.int64), "label": label,
              "session": np.repeat(np.arange(sessions), width), "log_weight": np.zeros(n, np.float32)}
    return arrays, term


def _zero_model(sizes: dict):
    import torch

    from training_jobs.ranker.model import WideDeep

    m = WideDeep(sizes)
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    return m.eval()


def test_collab_factors_recover_a_planted_character_term() -> None:
    """With a frozen model that knows nothing (logit 0), `fit_factors` finds the planted rank-2
    person × shop term from choices alone. Tolerances: 300 people × 80 shops, 20 choice sessions
    of 6 shops per person; measured correlation 0.92 with the planted term and validation
    AUC 0.77 against 0.5 without factors; a fit that learns nothing gives ≈ 0 and 0.5."""
    from training_jobs.ranker.trainer import fit_factors

    sizes = {"users": 300, "shops": 80, "brands": 2, "categories": 11}
    train, _ = _planted(300, 80, 6000, 6, seed=1, session_seed=2)
    val, term = _planted(300, 80, 2000, 6, seed=1, session_seed=3)  # same people and shops, new sessions
    result = fit_factors([_zero_model(sizes)], train, val, sizes, ks=(2,), lams=(2.0,), progress=False)
    assert result.model.factors is not None and result.k == 2
    assert abs(result.val_auc_before - 0.5) < 0.02 and result.val_auc_after > 0.65
    import torch

    with torch.no_grad():
        learnt = result.model.factors(*(torch.as_tensor(val[k]) for k in ("user_id", "shop_id", "brand_id"))).numpy()
    assert np.corrcoef(learnt, term)[0, 1] > 0.7


def test_factors_export_to_onnx_and_give_unknown_ids_nothing(tmp_path) -> None:
    import torch

    from training_jobs.ranker.export import export_onnx, parity
    from training_jobs.ranker.model import CollabFactors, Ensemble

    sizes = {"users": 50, "shops": 40, "brands": 5, "categories": 11}
    arrays, _ = _planted(50, 40, 40, 6, seed=3, session_seed=4)
    arrays["brand_id"] = np.random.default_rng(0).integers(0, 5, len(arrays["label"]))
    factors = CollabFactors(sizes, 3)
    with torch.no_grad():
        for e in (factors.user_f, factors.shop_f, factors.brand_f):
            e.weight.normal_(0, 1.0)  # row 0 too: the forward pass, not the weights, must zero unknown ids
    ens = Ensemble([_zero_model(sizes)], factors).eval()
    path = export_onnx(ens, arrays, tmp_path / "factors.onnx")
    assert parity(ens, path, arrays) <= 1e-5
    with torch.no_grad():
        ids = torch.tensor([0, 0, 3]), torch.tensor([0, 4, 0]), torch.tensor([0, 0, 0])
        out = factors(*ids)
    assert float(out.abs().max()) == 0.0  # unknown user, or unknown shop without a brand: no term
    with torch.no_grad():
        assert float(factors(torch.tensor([3]), torch.tensor([4]), torch.tensor([0])).abs()) > 0.0


def _session_rows(n_sessions: int, width: int, sizes: dict[str, int], seed: int) -> tuple[dict, np.ndarray]:
    """Rows grouped by session (each session's rows share one query, as the examples do) and
    the (G, W) group matrix the trainer batches by, −1 padded."""
    from nabiyam.recsys.features import NUM_DIM, WIDE_DIM
    from nabiyam.recsys.text import QUERY_BUCKETS

    g = np.random.default_rng(seed)
    per = g.integers(1, width + 1, n_sessions)
    n = int(per.sum())
    session = np.repeat(np.arange(n_sessions), per)
    queries = g.integers(0, QUERY_BUCKETS + 1, (n_sessions, 12))
    queries[:, 8:] = 0  # padding, as short requests have
    rows = {"wide": g.random((n, WIDE_DIM), dtype=np.float32), "numerical": g.random((n, NUM_DIM), dtype=np.float32),
            "user_id": g.integers(0, sizes["users"], n), "shop_id": g.integers(0, sizes["shops"], n),
            "brand_id": g.integers(0, sizes["brands"], n), "category_id": g.integers(0, sizes["categories"], n),
            "query_ids": queries[session], "label": np.zeros(n, np.float32), "session": session}
    from training_jobs.ranker.trainer import _groups

    return rows, _groups(rows)


def test_query_embedded_once_per_session_gives_the_same_logits_and_gradients() -> None:
    """The trainer embeds a session's request once and indexes it per row (`query_index`);
    logits and the n-gram table's gradient must equal the per-row computation, and a batch
    whose groups do not share a query is detected (the trainer then embeds per row)."""
    import torch

    from nabiyam.recsys.features import INPUT_NAMES
    from training_jobs.ranker.model import WideDeep
    from training_jobs.ranker.trainer import _query_per_group, batch_inputs

    sizes = {"users": 30, "shops": 20, "brands": 4, "categories": 11}
    rows, groups = _session_rows(40, 7, sizes, seed=5)
    assert _query_per_group(rows["query_ids"], groups)
    torch.manual_seed(0)
    model = WideDeep(sizes, dropout=0.0).train()
    with torch.no_grad():
        model.query.weight[1:].normal_(0, 1.0)
    block = torch.as_tensor(groups)
    t = {k: torch.as_tensor(rows[k]) for k in INPUT_NAMES}
    per_row_inputs, none = batch_inputs(t, block, query_once=False)
    once_inputs, query_index = batch_inputs(t, block, query_once=True)
    assert none is None
    per_row = [per_row_inputs[k] for k in INPUT_NAMES]
    once = [once_inputs[k] for k in INPUT_NAMES]
    assert len(once[-1]) < len(per_row[-1]) / 2  # the point: far fewer query rows

    def logits_and_grad(inputs, **kw):
        model.zero_grad()
        z = model.logits(*inputs, **kw)
        (z * torch.linspace(-1, 1, len(z))).sum().backward()
        return z.detach(), model.query.weight.grad.to_dense()

    z_row, g_row = logits_and_grad(per_row)
    z_once, g_once = logits_and_grad(once, query_index=query_index)
    torch.testing.assert_close(z_once, z_row, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(g_once, g_row, rtol=1e-4, atol=1e-6)
    assert float(g_row.abs().sum()) > 0.0

    mixed = rows["query_ids"].copy()
    mixed[groups[0, 1]] = (mixed[groups[0, 1]] + 1) % 50  # one shown shop with another query
    assert groups[0, 1] >= 0 and not _query_per_group(mixed, groups)


def test_dropout_drops_at_its_rate_keeps_the_mean_and_leaves_the_exported_graph(tmp_path) -> None:
    """`model.Dropout` (drawn with rand_like, faster than torch's CPU bernoulli_) behaves as
    inverted dropout: share of zeros p (200k draws, sd 0.0011, tolerance 0.01), survivors
    scaled by 1/(1−p); identity in eval mode, so the ONNX graph has no random or dropout node."""
    import onnx
    import torch

    from training_jobs.ranker.export import export_onnx, parity
    from training_jobs.ranker.model import Dropout, WideDeep

    x = torch.ones(200_000)
    torch.manual_seed(1)
    y = Dropout(0.4).train()(x)
    assert abs(float((y == 0).float().mean()) - 0.4) < 0.01
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.6))
    assert torch.equal(Dropout(0.4).eval()(x), x) and torch.equal(Dropout(0.0).train()(x), x)
    with pytest.raises(ValueError):
        Dropout(1.0)

    sizes = {"users": 30, "shops": 20, "brands": 4, "categories": 11}
    rows, _ = _session_rows(10, 5, sizes, seed=6)
    model = WideDeep(sizes, dropout=0.4).eval()
    path = export_onnx(model, rows, tmp_path / "dropout.onnx")
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert not ops & {"Dropout", "RandomUniform", "RandomUniformLike", "Bernoulli"}, ops
    assert parity(model, path, rows) <= 1e-5
