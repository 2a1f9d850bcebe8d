"""LoRA on a causal LM: the batch-time NLU teacher and the child-friendly rewriter.

Never imported by Lambda code. `nabiyam train lora` (training_jobs.lora.job) trains it;
`nabiyam teach --date D` (training_jobs.lora.teach) lets it label low-confidence logged
utterances for the small ONNX NLU student. See docs/lora.md.
"""
