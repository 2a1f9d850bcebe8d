"""`NluService`: the one entry point the API, the CLI and the jobs call.

`load()` never raises: a missing or broken model gives a rules-only service (logged loudly).
`parse()` never raises for any string: the model answers when it is confident, the rules
when it is not (or when anything goes wrong), marked `source="rules"`.
"""

from __future__ import annotations

from pathlib import Path

from nabiyam.domain.food import EXTRA_FOOD_BY_NAME
from nabiyam.domain.nlu import Entity, EntityType, NluResult
from nabiyam.nlu.lexicon import FOOD, GOOD_SHOP, LexMatch, match_lexicon
from nabiyam.nlu.rules import finish, parse_rules
from nabiyam.nlu.text import Prepared, prepare
from nabiyam.observability import get_logger

log = get_logger("nlu")


class NluService:
    def __init__(self, model: object | None = None, threshold: float | None = None,
                 max_chars: int | None = None) -> None:
        self.model = model
        self.threshold = threshold if threshold is not None else getattr(model, "threshold", 1.0)
        self.max_chars = max_chars

    @property
    def model_version(self) -> str | None:
        return getattr(self.model, "version", None)

    @classmethod
    def load(cls, model_dir: Path | None = None) -> NluService:
        """Model from `model_dir` (default: Settings.artifacts_dir / 'nlu'); rules-only if unusable."""
        from nabiyam.settings import get_settings

        settings = get_settings()
        model_dir = Path(model_dir) if model_dir is not None else settings.artifacts_dir / "nlu"
        try:
            from nabiyam.nlu.onnx_model import OnnxNlu

            model = OnnxNlu(model_dir)
        except Exception as exc:  # anything: missing file, corrupt ONNX, bad JSON, missing runtime
            log.error("NLU model unavailable; answering with rules only", extra={"model_dir": str(model_dir),
                                                                                  "error": str(exc)})
            return cls(None, max_chars=settings.max_message_chars)
        # The threshold calibrated at training time, unless an operator set NABIYAM_NLU_CONFIDENCE_THRESHOLD.
        threshold = (settings.nlu_confidence_threshold if "nlu_confidence_threshold" in settings.model_fields_set
                     else model.threshold)
        log.info("NLU model loaded", extra={"model_dir": str(model_dir), "version": model.version,
                                            "threshold": threshold})
        return cls(model, threshold=threshold, max_chars=settings.max_message_chars)

    def parse(self, text: str) -> NluResult:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if self.max_chars is not None:
            text = text[: self.max_chars]
        if self.model is not None:
            try:
                prep = prepare(text)
                pred = self.model.predict(prep)  # type: ignore[attr-defined]
                if pred.confidence >= self.threshold:
                    matches = match_lexicon(prep.text)
                    good = any(m.kind == GOOD_SHOP for m in matches)
                    entities = with_extra_foods(prep, list(pred.entities), matches)
                    return finish(text, pred.intent, pred.confidence, entities, good, "model", self.model_version)
            except Exception as exc:  # the model must never turn a message into a 500
                log.exception("NLU model failed; using rules", extra={"error": str(exc)})
        return parse_rules(text, self.model_version)


def with_extra_foods(prep: Prepared, entities: list[Entity], matches: list[LexMatch]) -> list[Entity]:
    """The model was trained on the world's foods; foods only the lexicon knows (쌀국수,
    부대찌개 …) are added as `food_type` entities where the model tagged nothing valid."""
    out = [e for e in entities if not (e.type == EntityType.FOOD_TYPE and e.value is None)]
    for m in matches:
        if m.kind != FOOD or m.value not in EXTRA_FOOD_BY_NAME:
            continue
        start, end = prep.span(m.start, m.end)
        if any(e.start < end and start < e.end and e.value is not None for e in out):
            continue
        out.append(Entity(type=EntityType.FOOD_TYPE, text=prep.original[start:end], value=m.value, start=start,
                          end=end))
    return sorted(out, key=lambda e: e.start)
