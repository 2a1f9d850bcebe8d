"""Wide & Deep ranker: training data (seed CSVs), training, ONNX export, evaluation.

`nabiyam train ranker [--world DIR] [--out DIR] [--epochs N] [--quick]`. Torch is imported
only inside `main` (via training_jobs.ranker.job), never by `nabiyam --help`."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_WORLD = Path("var/world-small")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--world", type=Path, default=None,
                        help=f"world directory (default: {DEFAULT_WORLD}, made by `nabiyam world generate`)")
    parser.add_argument("--out", type=Path, default=None, help="artifact directory (default: <artifacts_dir>/ranker)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs (default 8, 3 with --quick)")
    parser.add_argument("--val-fraction", type=float, default=0.2, help="most recent share of time held out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="few epochs, for tests and smoke runs")
    parser.add_argument("--no-baselines", action="store_true", help="skip the wide-only and deep-only baselines")


def main(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.settings import get_settings

    world = args.world or DEFAULT_WORLD
    if not (world / "sessions.csv").is_file():
        raise CliError(f"no world at {world} (sessions.csv missing); "
                       f"run `nabiyam world generate --size small --out {world}` or pass --world DIR")
    if not 0.05 <= args.val_fraction <= 0.5:
        raise CliError(f"--val-fraction must be between 0.05 and 0.5, got {args.val_fraction}")
    epochs = args.epochs if args.epochs is not None else (3 if args.quick else 8)
    if epochs < 1:
        raise CliError(f"--epochs must be at least 1, got {epochs}")
    out = args.out or get_settings().artifacts_dir / "ranker"
    from training_jobs.ranker.job import metrics_table, run

    try:
        result = run(world, out, epochs=epochs, quick=args.quick, val_fraction=args.val_fraction, seed=args.seed,
                     baselines=not args.no_baselines)
    except (ValueError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc
    print(metrics_table(result["metrics"], result["manifest"].get("learnability_bound")))
    print(f"ranker {result['manifest']['version']} → {out / 'model.onnx'}")
    print(f"metrics → {out / 'metrics.json'}")
    return 0
