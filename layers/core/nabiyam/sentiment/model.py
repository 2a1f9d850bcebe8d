"""The sentiment classifier served by onnxruntime (no torch): a message → positive | negative | neutral.

Artifacts (written by ``nabiyam train sentiment``, published as registry model ``sentiment``):
``model.onnx`` (inputs ``ids`` int64 [B, L] and ``weights`` float [B, L] from
:func:`nabiyam.sentiment.features.batch`; output ``probs`` float [B, 3]), ``labels.json``
(the label order and the hash size), ``manifest.json`` (version), ``metrics.json``.

Example::

    model = SentimentModel.load(Path("artifacts/sentiment"))
    model.predict(["떡볶이 진짜 맛있어요!", "너무 짜고 별로였어요"])
    # [Sentiment(label='positive', score=0.93, ...), Sentiment(label='negative', score=0.88, ...)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from nabiyam.sentiment.features import batch

MODEL_FILE, LABELS_FILE, MANIFEST_FILE, METRICS_FILE = "model.onnx", "labels.json", "manifest.json", "metrics.json"
LABELS: tuple[str, ...] = ("negative", "positive", "neutral")
Label = Literal["positive", "negative", "neutral"]
#: Messages per onnxruntime call (bounds the padded batch's memory).
BATCH = 512


class SentimentModelError(RuntimeError):
    """The artifacts directory is missing a file or holds something unusable."""


@dataclass(frozen=True)
class Sentiment:
    label: Label
    score: float
    probs: dict[str, float]

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "score": round(self.score, 4),
                "probs": {k: round(v, 4) for k, v in self.probs.items()}}


class SentimentModel:
    def __init__(self, model_dir: Path) -> None:
        import onnxruntime as ort

        try:
            labels = json.loads((model_dir / LABELS_FILE).read_text(encoding="utf-8"))
            manifest = json.loads((model_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
            self.labels = tuple(str(x) for x in labels["labels"])
            self.buckets = int(labels["buckets"])
            self.version = str(manifest["version"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SentimentModelError(f"sentiment artifacts in {model_dir} are incomplete or invalid: {exc}") from exc
        if set(self.labels) != set(LABELS):
            raise SentimentModelError(f"{model_dir / LABELS_FILE}: labels {self.labels} are not {LABELS}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(model_dir / MODEL_FILE), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise SentimentModelError(f"cannot load {model_dir / MODEL_FILE}: {exc}") from exc
        self.model_dir = model_dir

    @classmethod
    def load(cls, model_dir: Path | str) -> SentimentModel:
        return cls(Path(model_dir))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[len(texts), 3] probabilities in :attr:`labels` order."""
        out = []
        for start in range(0, len(texts), BATCH):
            ids, weights = batch(texts[start:start + BATCH], self.buckets)
            (probs,) = self.session.run(["probs"], {"ids": np.asarray(ids, dtype=np.int64),
                                                     "weights": np.asarray(weights, dtype=np.float32)})
            out.append(probs)
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict(self, texts: list[str]) -> list[Sentiment]:
        probs = self.probabilities(texts)
        result = []
        for row in probs:
            best = int(row.argmax())
            result.append(Sentiment(label=self.labels[best], score=float(row[best]),  # type: ignore[arg-type]
                                    probs={name: float(p) for name, p in zip(self.labels, row, strict=True)}))
        return result


def load_sentiment(settings=None, model_dir: Path | None = None) -> SentimentModel:  # noqa: ANN001 - Settings
    """The model to use: ``model_dir`` when given, else the registry's production version (when an
    AWS endpoint is reachable), else ``<artifacts_dir>/sentiment``. Raises :class:`SentimentModelError`
    naming what was tried when none loads."""
    from nabiyam.settings import get_settings

    if model_dir is not None:
        return SentimentModel.load(model_dir)
    settings = settings or get_settings()
    tried = []
    from nabiyam.runtime import _remote_allowed

    if _remote_allowed(settings):
        try:
            from nabiyam import registry

            return SentimentModel.load(Path(registry.fetch("sentiment", settings.model_cache_dir, settings)))
        except Exception as exc:  # noqa: BLE001 - no registry/version: try the local artifacts
            tried.append(f"registry: {type(exc).__name__}: {exc}")
    local = settings.artifacts_dir / "sentiment"
    if (local / MODEL_FILE).exists():
        return SentimentModel.load(local)
    tried.append(f"no {local / MODEL_FILE}")
    raise SentimentModelError("no sentiment model (run `nabiyam train sentiment`): " + "; ".join(tried))
