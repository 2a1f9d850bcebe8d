"""The learning-loop training pipeline: retrain from the logged traffic in the lake, register the
candidate, evaluate it against production on the held-out end of the window, promote or reject.

`nabiyam train pipeline --window FROM..TO [--sheets DIR] [--holdout-days N] [--models ranker,nlu]
[--oracle-world DIR] [--shuffle-labels] [--no-decide]`. In AWS the same entry point is the
training container's command (template.yaml: RetrainJobDefinition); the retrain trigger starts it.
Torch is imported only inside `main`, never by `nabiyam --help`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--window", required=True, help="data window of the lake, FROM..TO (Korean days, both included)")
    parser.add_argument("--sheets", type=Path, default=Path("var/world-small"),
                        help="operator sheets: a world or imported directory (default: var/world-small)")
    parser.add_argument("--out", type=Path, default=Path("var/pipeline"), help="work directory (artifacts, report)")
    parser.add_argument("--holdout-days", type=int, default=3, help="last days of the window kept for evaluation")
    parser.add_argument("--models", default="ranker", help="comma-separated: ranker (always), nlu")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracle-world", type=Path, default=None,
                        help="the generated world with its hidden truth: adds the oracle replay (dev/test only)")
    parser.add_argument("--oracle-requests", type=int, default=300)
    parser.add_argument("--resamples", type=int, default=300, help="session-bootstrap resamples")
    parser.add_argument("--shuffle-labels", action="store_true",
                        help="train on shuffled labels (a deliberately worse candidate, to test the gates)")
    parser.add_argument("--lake", default=None, help="read the lake from this directory instead of the bucket")
    parser.add_argument("--no-decide", action="store_true", help="evaluate and store the report, change nothing")
    parser.add_argument("--reason", default="retrain requested by hand", help="why this run (stored in the registry)")
    parser.add_argument("--actor", default="pipeline", help="who/what runs it (stored in the registry)")


def main(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.registry import DataWindow, RegistryError

    try:
        window = DataWindow.parse(args.window)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    from training_jobs.pipeline.job import PipelineConfig, run_pipeline, summary_json

    cfg = PipelineConfig(window=window, sheets=args.sheets, out=args.out, holdout_days=args.holdout_days,
                         models=tuple(m.strip() for m in args.models.split(",") if m.strip()), epochs=args.epochs,
                         seed=args.seed, shuffle_labels=args.shuffle_labels, oracle_world=args.oracle_world,
                         oracle_requests=args.oracle_requests, bootstrap_resamples=args.resamples,
                         decide=not args.no_decide, actor=args.actor, reason=args.reason, lake_source=args.lake)
    try:
        result = run_pipeline(cfg)
    except (ValueError, FileNotFoundError, RegistryError) as exc:
        raise CliError(str(exc)) from exc
    print(summary_json(result))
    return 0
