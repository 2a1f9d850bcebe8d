"""Fit, export and evaluate the sentiment model.

Model: multinomial logistic regression over the hashed n-gram slots of
:func:`nabiyam.sentiment.features.feature_ids` (a bag of slots, each weighted
``1/sqrt(slots)``), fitted full-batch with L-BFGS on a sparse CSR matrix (torch), L2-regularised.
The ONNX graph is the same arithmetic: ``Gather(W, ids) · weights → sum → + b → softmax``,
built directly with ``onnx.helper`` and checked against a numpy forward pass (parity).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.sentiment.features import batch, feature_ids
from nabiyam.sentiment.model import LABELS, LABELS_FILE, MANIFEST_FILE, METRICS_FILE, MODEL_FILE, SentimentModel
from training_jobs.sentiment.data import Example

NSMC_BINARY = ("negative", "positive")


def design(texts: list[str], buckets: int):  # noqa: ANN201 - torch.Tensor (torch imported lazily)
    """Sparse CSR [len(texts), buckets] of slot weights."""
    import torch

    crow, cols, vals = [0], [], []
    for t in texts:
        ids = feature_ids(t, buckets)
        cols.extend(ids)
        vals.extend([1.0 / len(ids) ** 0.5] * len(ids) if ids else [])
        crow.append(len(cols))
    return torch.sparse_csr_tensor(torch.tensor(crow, dtype=torch.int64), torch.tensor(cols, dtype=torch.int64),
                                   torch.tensor(vals, dtype=torch.float32), size=(len(texts), buckets))


def fit(examples: list[Example], buckets: int, l2: float, max_iter: int, threads: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Weights [buckets, 3] and bias [3] in :data:`LABELS` order."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = design([e.text for e in examples], buckets)
    y = torch.tensor([LABELS.index(e.label) for e in examples], dtype=torch.int64)
    w = torch.zeros(buckets, len(LABELS), requires_grad=True)
    b = torch.zeros(len(LABELS), requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, history_size=10, line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        logits = x @ w + b
        loss = torch.nn.functional.cross_entropy(logits, y) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy().astype(np.float32), b.detach().numpy().astype(np.float32)


def export_onnx(weights: np.ndarray, bias: np.ndarray, path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Gather", ["W", "ids"], ["rows"], axis=0),               # [B, L, C]
        helper.make_node("Unsqueeze", ["weights", "axis_last"], ["w3"]),          # [B, L, 1]
        helper.make_node("Mul", ["rows", "w3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis_one"], ["summed"], keepdims=0),  # [B, C]
        helper.make_node("Add", ["summed", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "nabiyam_sentiment",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "slots"]),
         helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["batch", "slots"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", len(LABELS)])],
        initializer=[numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b"),
                     numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_last"),
                     numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="nabiyam")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def numpy_probs(weights: np.ndarray, bias: np.ndarray, texts: list[str], buckets: int) -> np.ndarray:
    ids, w = batch(texts, buckets)
    logits = (weights[np.asarray(ids)] * np.asarray(w, dtype=np.float32)[..., None]).sum(1) + bias
    logits -= logits.max(1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(1, keepdims=True)


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


def write_artifacts(out: Path, weights: np.ndarray, bias: np.ndarray, buckets: int, info: dict[str, Any]) -> str:
    """model.onnx, labels.json, manifest.json; returns the version (content hash)."""
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(weights, bias, out / MODEL_FILE)
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
