"""Train the NLU (joint intent + slot tagger) and export it to ONNX with metrics.

Writes model.onnx, vocab.json, labels.json, metrics.json and manifest.json into --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from training_jobs.nlu.data import DEFAULT_CHATBOT_CSV, DEFAULT_KLUE_ONTOLOGY, REPO_ROOT

DEFAULT_HANDWRITTEN = REPO_ROOT / "tests" / "data" / "nlu_handwritten.jsonl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="artifacts dir (default: Settings.artifacts_dir/nlu)")
    parser.add_argument("--epochs", type=int, default=8, help="maximum epochs (early stopping on dev)")
    parser.add_argument("--patience", type=int, default=2, help="epochs without dev improvement before stopping")
    parser.add_argument("--train-size", type=int, default=16000, help="generated training utterances")
    parser.add_argument("--eval-size", type=int, default=2000, help="dev and test utterances (each)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    parser.add_argument("--quick", action="store_true", help="tiny run for smoke tests (small data, 2 epochs)")
    parser.add_argument("--chatbot-csv", type=Path, default=DEFAULT_CHATBOT_CSV,
                        help="ChatbotData.csv for out-of-scope utterances (skipped if missing)")
    parser.add_argument("--klue-ontology", type=Path, default=DEFAULT_KLUE_ONTOLOGY)
    parser.add_argument("--handwritten", type=Path, default=DEFAULT_HANDWRITTEN,
                        help="hand-written evaluation file (never trained on; skipped if missing)")
    parser.add_argument("--extra-data", type=Path, action="append", default=[],
                        help="JSON Lines of logged utterances that went well (text, intent[, entities]); repeatable")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _fail(msg: str) -> int:
    print(f"nabiyam train nlu: error: {msg}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    if args.quick:
        args.train_size, args.eval_size, args.epochs = min(args.train_size, 3000), min(args.eval_size, 600), min(args.epochs, 2)
    if args.epochs < 1 or args.train_size < 50 or args.eval_size < 20 or args.batch_size < 1:
        return _fail("--epochs ≥ 1, --train-size ≥ 50, --eval-size ≥ 20 and --batch-size ≥ 1 are required")
    for extra in args.extra_data:
        if not extra.is_file():
            return _fail(f"--extra-data {extra} is not a file")
    out: Path = args.out
    if out is None:
        from nabiyam.settings import get_settings

        out = get_settings().artifacts_dir / "nlu"
    from training_jobs.nlu.trainer import train_and_export

    started = time.perf_counter()
    metrics = train_and_export(args, out)
    print(json.dumps({"out": str(out), "version": metrics["version"], "seconds": round(time.perf_counter() - started, 1),
                      "test": {k: metrics["test"][k] for k in ("intent_accuracy", "slot_span_f1", "filter_exact_match",
                                                                 "budget_exact_match")},
                      "handwritten": ({k: metrics["handwritten"][k] for k in ("intent_accuracy", "filter_exact_match",
                                                                               "budget_exact_match")}
                                      if metrics.get("handwritten") else None)}, ensure_ascii=False))
    return 0
