"""Fit, export and evaluate the sentiment model.

Model (fastText-style): each hashed n-gram slot of :func:`nabiyam.sentiment.features.feature_ids`
has a ``dim``-vector; a message is the mean of its slots' vectors, followed by a linear layer to
the three labels. Trained with sparse Adam on the slot table (only the slots a batch touches move)
and Adam on the output layer, the learning rate falling linearly to ~0 over the run (fastText's
schedule), keeping the epoch with the best accuracy on a held-out
tenth of the training reviews. The ONNX graph is the same arithmetic —
``Gather(E, ids) · weights → sum → MatMul W + b → softmax`` — built directly with ``onnx.helper``
and checked against a numpy forward pass (parity).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.sentiment.features import batch, feature_ids
from nabiyam.sentiment.model import LABELS, LABELS_FILE, MANIFEST_FILE, METRICS_FILE, MODEL_FILE, SentimentModel
from training_jobs.sentiment.data import Example

NSMC_BINARY = ("negative", "positive")


@dataclass
class Weights:
    embedding: np.ndarray  # [buckets, dim]
    out: np.ndarray        # [dim, 3]
    bias: np.ndarray       # [3]


def _pack(rows: list[list[int]]):  # noqa: ANN202 - torch tensors
    import torch

    ids = torch.tensor([i for r in rows for i in r], dtype=torch.int64)
    offsets = torch.tensor(np.cumsum([0] + [len(r) for r in rows[:-1]]), dtype=torch.int64)
    weights = torch.tensor([1.0 / len(r) for r in rows for _ in r], dtype=torch.float32)
    return ids, offsets, weights


def fit(examples: list[Example], dev: list[Example], buckets: int, dim: int, epochs: int, lr: float,
        batch_size: int = 64, seed: int = 13, threads: int = 0, log: Any = None) -> tuple[Weights, list[dict[str, Any]]]:
    """Train; returns the weights of the best dev epoch and the per-epoch history."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rows = [feature_ids(e.text, buckets) for e in examples]
    keep = [i for i, r in enumerate(rows) if r]
    rows = [rows[i] for i in keep]
    y = torch.tensor([LABELS.index(examples[i].label) for i in keep], dtype=torch.int64)
    emb = torch.nn.EmbeddingBag(buckets, dim, mode="sum", sparse=True)
    torch.nn.init.uniform_(emb.weight, -0.05, 0.05)
    out = torch.nn.Linear(dim, len(LABELS))
    opt_sparse = torch.optim.SparseAdam(list(emb.parameters()), lr=lr)
    opt_dense = torch.optim.Adam(out.parameters(), lr=lr)
    rng = random.Random(seed)
    order = list(range(len(rows)))
    history: list[dict[str, Any]] = []
    best: tuple[float, Weights] | None = None
    steps = epochs * ((len(order) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), batch_size):
            # fastText's schedule: the learning rate falls linearly to ~0 over the whole run
            step += 1
            for opt in (opt_sparse, opt_dense):
                for group in opt.param_groups:
                    group["lr"] = lr * max(1.0 - step / steps, 0.02)
            idx = order[start:start + batch_size]
            ids, offsets, weights = _pack([rows[i] for i in idx])
            logits = out(emb(ids, offsets, per_sample_weights=weights))
            loss = torch.nn.functional.cross_entropy(logits, y[idx])
            opt_sparse.zero_grad()
            opt_dense.zero_grad()
            loss.backward()
            opt_sparse.step()
            opt_dense.step()
            total += float(loss.detach()) * len(idx)
        w = Weights(emb.weight.detach().numpy().copy(), out.weight.detach().numpy().T.copy(),
                    out.bias.detach().numpy().copy())
        acc = binary_accuracy(w, dev, buckets) if dev else None
        history.append({"epoch": epoch, "train_loss": round(total / len(order), 5), "dev_accuracy": acc})
        if log:
            log(history[-1])
        if best is None or acc is None or acc > best[0]:  # no dev set: the last epoch
            best = (acc if acc is not None else 0.0, w)
    assert best is not None
    return best[1], history


def numpy_probs(w: Weights, texts: list[str], buckets: int) -> np.ndarray:
    ids, weights = batch(texts, buckets)
    pooled = (w.embedding[np.asarray(ids)] * np.asarray(weights, dtype=np.float32)[..., None]).sum(1)
    logits = pooled @ w.out + w.bias
    logits -= logits.max(1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(1, keepdims=True)


def binary_accuracy(w: Weights, examples: list[Example], buckets: int) -> float:
    """Positive vs negative accuracy (neutral ignored) on labelled reviews."""
    neg, pos = LABELS.index("negative"), LABELS.index("positive")
    correct = 0
    for start in range(0, len(examples), 1024):
        part = examples[start:start + 1024]
        p = numpy_probs(w, [e.text for e in part], buckets)
        correct += sum((("positive" if r[pos] > r[neg] else "negative") == e.label) for r, e in zip(p, part, strict=True))
    return round(correct / len(examples), 4)


def export_onnx(w: Weights, path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Gather", ["E", "ids"], ["rows"], axis=0),               # [B, L, D]
        helper.make_node("Unsqueeze", ["weights", "axis_last"], ["w3"]),          # [B, L, 1]
        helper.make_node("Mul", ["rows", "w3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis_one"], ["pooled"], keepdims=0),  # [B, D]
        helper.make_node("MatMul", ["pooled", "W"], ["projected"]),
        helper.make_node("Add", ["projected", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "nabiyam_sentiment",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "slots"]),
         helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["batch", "slots"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", len(LABELS)])],
        initializer=[numpy_helper.from_array(w.embedding.astype(np.float32), "E"),
                     numpy_helper.from_array(w.out.astype(np.float32), "W"),
                     numpy_helper.from_array(w.bias.astype(np.float32), "b"),
                     numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_last"),
                     numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="nabiyam")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def confusion(truth: list[str], predicted: list[str], labels: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """``{true label: {predicted label: count}}``."""
    counts = Counter(zip(truth, predicted, strict=True))
    return {t: {p: counts[(t, p)] for p in labels} for t in labels}


def evaluate_nsmc(model: SentimentModel, examples: list[Example]) -> dict[str, Any]:
    """Binary accuracy (positive vs negative probability: NSMC has no neutral) plus how often the
    three-way label would have said neutral."""
    probs = model.probabilities([e.text for e in examples])
    neg, pos = LABELS.index("negative"), LABELS.index("positive")
    predicted = ["positive" if p[pos] > p[neg] else "negative" for p in probs]
    truth = [e.label for e in examples]
    three_way = [model.labels[int(p.argmax())] for p in probs]
    return {"n": len(examples), "accuracy": round(float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)])), 4),
            "confusion": confusion(truth, predicted, NSMC_BINARY),
            "three_way_neutral_share": round(three_way.count("neutral") / max(len(three_way), 1), 4)}


def evaluate_three_way(model: SentimentModel, examples: list[Example]) -> dict[str, Any]:
    preds = model.predict([e.text for e in examples])
    truth = [e.label for e in examples]
    predicted = [p.label for p in preds]
    per_class = {}
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        n_true, n_pred = truth.count(label), predicted.count(label)
        per_class[label] = {"n": n_true, "recall": round(tp / n_true, 4) if n_true else None,
                            "precision": round(tp / n_pred, 4) if n_pred else None}
    errors = [{"text": e.text, "label": e.label, "predicted": p.label, "score": round(p.score, 3)}
              for e, p in zip(examples, preds, strict=True) if e.label != p.label]
    return {"n": len(examples),
            "accuracy": round(float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)])), 4) if examples else None,
            "confusion": confusion(truth, predicted, LABELS), "per_class": per_class, "errors": errors}


def write_artifacts(out: Path, w: Weights, buckets: int, info: dict[str, Any]) -> str:
    """model.onnx, labels.json, manifest.json; returns the version (content hash)."""
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(w, out / MODEL_FILE)
    (out / LABELS_FILE).write_text(json.dumps({"labels": list(LABELS), "buckets": buckets}, indent=2) + "\n",
                                   encoding="utf-8")
    digest = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()[:12]
    version = f"sentiment-{digest}"
    manifest = {"model": "sentiment", "version": version, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "buckets": buckets, "labels": list(LABELS), **info}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return version


def write_metrics(out: Path, metrics: dict[str, Any]) -> None:
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
