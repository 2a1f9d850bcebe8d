"""Layer 2 at serving time: the Wide & Deep ONNX graph under onnxruntime (never torch).

An artifact directory holds `model.onnx`, `vocab.json`, `feature_store.json.gz`,
`collab.npz` and `manifest.json`; `RankerArtifacts.load` reads them once per process and
raises `ArtifactError` with the reason when any is missing or unusable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nabiyam.recsys.collab import CollabModel
from nabiyam.recsys.features import INPUT_NAMES, WIDE_DIM, WIDE_NAMES, FeatureBatch
from nabiyam.recsys.store import FeatureStore, Vocab

MODEL_FILE = "model.onnx"
VOCAB_FILE = "vocab.json"
STORE_FILE = "feature_store.json.gz"
COLLAB_FILE = "collab.npz"
MANIFEST_FILE = "manifest.json"


class ArtifactError(RuntimeError):
    """The ranker artifact is missing or unusable (the reason is in the message)."""


class OnnxRanker:
    def __init__(self, model_path: Path):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # Lambda: one vCPU per request is the norm; predictable latency
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for corrupt files
            raise ArtifactError(f"cannot load ranker {model_path}: {exc}") from exc
        names = {i.name for i in self.session.get_inputs()}
        if names != set(INPUT_NAMES):
            raise ArtifactError(f"ranker {model_path} has inputs {sorted(names)}, expected {sorted(INPUT_NAMES)}")

    def score(self, batch: FeatureBatch) -> np.ndarray:
        """Choice probabilities for every row, one batched call."""
        if len(batch) == 0:
            return np.zeros(0, dtype=np.float32)
        (out,) = self.session.run(None, batch.inputs())
        return np.asarray(out, dtype=np.float32).reshape(-1)


def expected_wide_layout() -> list[str]:
    """The wide-feature names this code computes, padded to WIDE_DIM (what training records)."""
    return list(WIDE_NAMES) + [f"pad_{i}" for i in range(len(WIDE_NAMES), WIDE_DIM)]


@dataclass
class RankerArtifacts:
    ranker: OnnxRanker
    vocab: Vocab
    store: FeatureStore
    collab: CollabModel | None
    version: str

    @classmethod
    def load(cls, directory: Path) -> RankerArtifacts:
        directory = Path(directory)
        if not (directory / MODEL_FILE).is_file():
            raise ArtifactError(f"no {MODEL_FILE} in {directory}")
        try:
            manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
            vocab = Vocab.load(directory / VOCAB_FILE)
            store = FeatureStore.load(directory / STORE_FILE)
            collab = CollabModel.load(directory / COLLAB_FILE) if (directory / COLLAB_FILE).is_file() else None
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise ArtifactError(f"ranker artifact in {directory} is unusable: {exc}") from exc
        trained_layout = manifest.get("wide_features")
        if trained_layout is not None and list(trained_layout) != expected_wide_layout():
            # A model trained on another wide layout would silently misread every feature.
            raise ArtifactError(f"ranker artifact in {directory} was trained on a different wide-feature layout "
                                "than this code computes; retrain it (nabiyam train ranker)")
        ranker = OnnxRanker(directory / MODEL_FILE)
        return cls(ranker, vocab, store, collab, str(manifest.get("version", "unknown")))
