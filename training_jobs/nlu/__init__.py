"""NLU training job: generated utterances → joint intent/slot model → ONNX (torch only here)."""
