"""Train the Korean sentiment classifier (NSMC + neutral chat requests) and export it to ONNX.

Writes model.onnx, labels.json, manifest.json and metrics.json (NSMC test accuracy, the
hand-written food-chat figures with a confusion matrix, ONNX parity) into --out.

Example::

    nabiyam train sentiment --out artifacts/sentiment
    nabiyam train sentiment --out /tmp/s --train-limit 3000 --test-limit 500 --epochs 1   # a quick run
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
    parser.add_argument("--dim", type=int, default=16, help="slot vector size")
    parser.add_argument("--epochs", type=int, default=2, help="epochs (the best on the held-out tenth is kept)")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dev-fraction", type=float, default=0.0,
                        help="share of NSMC train held out to pick the epoch (0: train on all, keep the last epoch)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    parser.add_argument("--seed", type=int, default=13)


def _fail(msg: str) -> int:
    print(f"nabiyam train sentiment: error: {msg}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    from training_jobs.sentiment import data, trainer

    if args.buckets < 1024 or args.epochs < 1 or args.neutral < 0 or args.dim < 1 or args.lr <= 0:
        return _fail("--buckets ≥ 1024, --epochs ≥ 1, --dim ≥ 1, --lr > 0 and --neutral ≥ 0 are required")
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
    import random

    shuffled = list(train)
    random.Random(args.seed).shuffle(shuffled)
    if not 0.0 <= args.dev_fraction < 0.5:
        return _fail("--dev-fraction must be in [0, 0.5)")
    n_dev = int(len(shuffled) * args.dev_fraction)
    dev, fit_on = shuffled[:n_dev], shuffled[n_dev:]

    def log(entry: dict) -> None:
        print(json.dumps({"sentiment_epoch": entry}), file=sys.stderr, flush=True)

    weights, history = trainer.fit(fit_on + neutral, dev, args.buckets, args.dim, args.epochs, args.lr,
                                   args.batch_size, args.seed, args.threads, log)
    fit_seconds = time.perf_counter() - started
    info = {"train": {"nsmc": len(fit_on), "nsmc_dev": len(dev), "generated_neutral": len(neutral)},
            "hyper": {"dim": args.dim, "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
                      "buckets": args.buckets}, "history": history,
            "data": {"train": str(args.train_tsv.name), "test": str(args.test_tsv.name), "source": "NSMC (e9t/nsmc, CC0)"}}
    version = trainer.write_artifacts(out, weights, args.buckets, info)

    from nabiyam.sentiment.model import SentimentModel

    model = SentimentModel.load(out)
    probe = [e.text for e in test[:300]] + [e.text for e in food_chat]
    parity = float(abs(model.probabilities(probe) - trainer.numpy_probs(weights, probe, args.buckets)).max())
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
