"""Train the Korean sentiment classifier (NSMC + neutral chat requests) and export it to ONNX.

Writes model.onnx, labels.json, manifest.json and metrics.json (NSMC test accuracy, the
hand-written food-chat figures with a confusion matrix, ONNX parity) into --out.

Example::

    nabiyam train sentiment --out artifacts/sentiment
    nabiyam train sentiment --out /tmp/s --train-limit 3000 --test-limit 500   # a quick run
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nabiyam.sentiment.features import DEFAULT_BUCKETS
from training_jobs.sentiment.data import DEFAULT_FOOD_CHAT, DEFAULT_TEST, DEFAULT_TRAIN

#: The accuracy the issue asks for on NSMC test; the job says plainly when a run is below it.
NSMC_TARGET = 0.85


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="artifacts dir (default: Settings.artifacts_dir/sentiment)")
    parser.add_argument("--train-tsv", type=Path, default=DEFAULT_TRAIN, help="NSMC train.tsv (read, never copied)")
    parser.add_argument("--test-tsv", type=Path, default=DEFAULT_TEST, help="NSMC test.tsv (disjoint movies)")
    parser.add_argument("--food-chat", type=Path, default=DEFAULT_FOOD_CHAT,
                        help="hand-written food-chat evaluation set (JSON Lines text,label; never trained on)")
    parser.add_argument("--train-limit", type=int, default=None, help="subsample NSMC train (quick runs)")
    parser.add_argument("--test-limit", type=int, default=None, help="subsample NSMC test (quick runs)")
    parser.add_argument("--neutral", type=int, default=6000, help="generated neutral chat requests")
    parser.add_argument("--buckets", type=int, default=DEFAULT_BUCKETS, help="hash slots (rows of the ONNX weight)")
    parser.add_argument("--l2", type=float, default=1e-5, help="L2 penalty on the weights")
    parser.add_argument("--max-iter", type=int, default=150, help="L-BFGS iterations")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    parser.add_argument("--seed", type=int, default=13)


def _fail(msg: str) -> int:
    print(f"nabiyam train sentiment: error: {msg}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    from training_jobs.sentiment import data, trainer

    if args.buckets < 1024 or args.max_iter < 1 or args.neutral < 0 or args.l2 < 0:
        return _fail("--buckets ≥ 1024, --max-iter ≥ 1, --neutral ≥ 0 and --l2 ≥ 0 are required")
    out: Path = args.out
    if out is None:
        from nabiyam.settings import get_settings

        out = get_settings().artifacts_dir / "sentiment"
    started = time.perf_counter()
    try:
        train = data.read_nsmc(args.train_tsv, args.train_limit, args.seed)
        test = data.read_nsmc(args.test_tsv, args.test_limit, args.seed)
        food_chat = data.read_food_chat(args.food_chat) if args.food_chat.is_file() else []
    except data.DataError as exc:
        return _fail(str(exc))
    neutral = data.generated_neutral(args.neutral, "train", args.seed) if args.neutral else []
    weights, bias = trainer.fit(train + neutral, args.buckets, args.l2, args.max_iter, args.threads)
    fit_seconds = time.perf_counter() - started
    info = {"train": {"nsmc": len(train), "generated_neutral": len(neutral)},
            "hyper": {"l2": args.l2, "max_iter": args.max_iter, "buckets": args.buckets},
            "data": {"train": str(args.train_tsv.name), "test": str(args.test_tsv.name), "source": "NSMC (e9t/nsmc, CC0)"}}
    version = trainer.write_artifacts(out, weights, bias, args.buckets, info)

    from nabiyam.sentiment.model import SentimentModel

    model = SentimentModel.load(out)
    probe = [e.text for e in test[:300]] + [e.text for e in food_chat]
    parity = float(abs(model.probabilities(probe) - trainer.numpy_probs(weights, bias, probe, args.buckets)).max())
    nsmc = trainer.evaluate_nsmc(model, test)
    chat = trainer.evaluate_three_way(model, food_chat) if food_chat else None
    metrics = {"version": version, "nsmc_test": nsmc, "nsmc_target": NSMC_TARGET,
               "meets_target": nsmc["accuracy"] >= NSMC_TARGET, "food_chat": chat, "onnx_parity_max_abs": parity,
               "train_seconds": round(fit_seconds, 1), **info}
    trainer.write_metrics(out, metrics)
    if parity > 1e-4:
        return _fail(f"ONNX and numpy disagree by {parity:.2e} (> 1e-4); the artifact in {out} is not trustworthy")
    print(json.dumps({"out": str(out), "version": version, "seconds": round(time.perf_counter() - started, 1),
                      "nsmc_test_accuracy": nsmc["accuracy"], "meets_target": metrics["meets_target"],
                      "food_chat_accuracy": chat["accuracy"] if chat else None, "food_chat_confusion":
                      chat["confusion"] if chat else None, "onnx_parity_max_abs": parity}, ensure_ascii=False))
    return 0
