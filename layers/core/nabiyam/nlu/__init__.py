"""Korean NLU: intent, entities and canonical filters (ONNX model with a rules fallback).

`NluService.load(model_dir).parse(text) -> NluResult` is the interface; see service.py.
"""

from nabiyam.nlu.service import NluService

__all__ = ["NluService"]
