"""ONNX export of the Wide & Deep with a parity check: onnxruntime must reproduce torch's
probabilities on real feature rows, or the export fails (no silently different model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nabiyam.recsys.features import INPUT_NAMES
from nabiyam.recsys.ranker import OnnxRanker
from training_jobs.ranker.model import WideDeep

PARITY_ATOL = 1e-5


class ParityError(RuntimeError):
    pass


def export_onnx(model: WideDeep, sample: dict[str, np.ndarray], path: Path) -> Path:
    model = model.cpu().eval()
    args = tuple(torch.as_tensor(sample[k][:8]) for k in INPUT_NAMES)
    dynamic = {k: {0: "batch"} for k in INPUT_NAMES}
    dynamic["score"] = {0: "batch"}
    torch.onnx.export(model, args, str(path), input_names=list(INPUT_NAMES), output_names=["score"],
                      dynamic_axes=dynamic, opset_version=17, dynamo=False)
    return path


def parity(model: WideDeep, path: Path, sample: dict[str, np.ndarray], rows: int = 512) -> float:
    """Max |torch - onnxruntime| over up to `rows` rows; raises ParityError above PARITY_ATOL."""
    from nabiyam.recsys.features import FeatureBatch

    n = min(rows, len(sample["label"]))
    batch = FeatureBatch(positions=np.arange(n), **{k: np.ascontiguousarray(sample[k][:n]) for k in INPUT_NAMES})
    ort_scores = OnnxRanker(path).score(batch)
    with torch.no_grad():
        torch_scores = model.cpu().eval()(*(torch.as_tensor(sample[k][:n]) for k in INPUT_NAMES)).numpy()
    diff = float(np.max(np.abs(ort_scores - torch_scores))) if n else 0.0
    if diff > PARITY_ATOL:
        raise ParityError(f"ONNX and torch disagree by {diff:.2e} (> {PARITY_ATOL:.0e}) on {n} rows")
    return diff
