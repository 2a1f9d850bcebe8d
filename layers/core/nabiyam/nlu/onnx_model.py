"""The learned NLU served by onnxruntime: intent + BIO slots → entities (no torch here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nabiyam.domain.nlu import Entity, EntityType, Intent
from nabiyam.nlu import lexicon as lx
from nabiyam.nlu.bio import spans, viterbi
from nabiyam.nlu.features import MAX_LEN, encode
from nabiyam.nlu.normalize import lexicon_word, normalize
from nabiyam.nlu.text import Prepared

MODEL_FILE, VOCAB_FILE, LABELS_FILE, MANIFEST_FILE, METRICS_FILE = (
    "model.onnx", "vocab.json", "labels.json", "manifest.json", "metrics.json")


class ModelLoadError(RuntimeError):
    """The artifacts directory is missing a file or holds something unusable."""


@dataclass
class Prediction:
    intent: Intent
    confidence: float
    entities: list[Entity]
    probs: np.ndarray


class OnnxNlu:
    def __init__(self, model_dir: Path) -> None:
        import onnxruntime as ort

        try:
            labels = json.loads((model_dir / LABELS_FILE).read_text(encoding="utf-8"))
            chars = json.loads((model_dir / VOCAB_FILE).read_text(encoding="utf-8"))["chars"]
            manifest = json.loads((model_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
            self.intents = [Intent(x) for x in labels["intents"]]
            self.tags = tuple(labels["tags"])
            self.max_len = int(labels.get("max_len", MAX_LEN))
            self.threshold = float(labels["confidence_threshold"])
            self.version = str(manifest["version"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"NLU artifacts in {model_dir} are incomplete or invalid: {exc}") from exc
        self.vocab = {ch: i for i, ch in enumerate(chars)}
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(model_dir / MODEL_FILE), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelLoadError(f"cannot load {model_dir / MODEL_FILE}: {exc}") from exc
        outputs = {o.name for o in self.session.get_outputs()}
        if outputs != {"intent_logits", "slot_logits"} or len(labels["tags"]) != self.session.get_outputs()[1].shape[-1]:
            raise ModelLoadError(f"{model_dir / MODEL_FILE} does not match labels.json")

    def predict(self, prep: Prepared) -> Prediction:
        feats = encode(prep.text, self.vocab, self.max_len)[None]
        mask = np.ones(feats.shape[:2], dtype=np.float32)
        intent_logits, slot_logits = self.session.run(None, {"features": feats, "mask": mask})
        z = intent_logits[0] - intent_logits[0].max()
        probs = np.exp(z) / np.exp(z).sum()
        best = int(probs.argmax())
        s = slot_logits[0] - slot_logits[0].max(axis=-1, keepdims=True)
        log_probs = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
        path = viterbi(log_probs, self.tags)
        entities: list[Entity] = []
        n = min(len(prep.text), self.max_len)
        for kind, start, end in spans(path[:n], self.tags):
            surface = prep.text[start:end].strip()
            if not surface:
                continue
            lead = len(prep.text[start:end]) - len(prep.text[start:end].lstrip())
            start += lead
            end = start + len(surface)
            if kind == lx.SHOP and (word := lexicon_word(surface)) is not None:
                kind, value, w_start, w_end = word  # "햄버거 세트 얼마야": a food, not a shop called 햄버거
                start, end = start + w_start, start + w_end
            else:
                value = normalize(kind, surface)
            if value is None and kind not in (lx.SHOP,):
                continue  # a span the lexicon cannot name is not a usable filter
            o_start, o_end = prep.span(start, end)
            entities.append(Entity(type=EntityType(kind), text=prep.original[o_start:o_end], value=value,
                                   start=o_start, end=o_end))
        return Prediction(self.intents[best], float(probs[best]), entities, probs)
