"""`nabiyam train <model>`: runs a training job from `training_jobs/` in this process.

The same entry points run as GPU batch jobs in AWS (see training_jobs/README.md). Torch is
imported only inside the job, never by `nabiyam --help` or the Lambda code.
"""

from __future__ import annotations

import argparse
import importlib

# model name → module under training_jobs/ exposing `add_arguments(parser)` and `main(args) -> int`
TRAINING_JOBS: dict[str, str] = {
    "nlu": "training_jobs.nlu.job",
    "ranker": "training_jobs.ranker",
    "sentiment": "training_jobs.sentiment",
    "lora": "training_jobs.lora.job",
    "pipeline": "training_jobs.pipeline",
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train a model (NLU, ranker, ...) into the local artifacts directory")
    jobs = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    for name, module_name in TRAINING_JOBS.items():
        module = importlib.import_module(module_name)
        job = jobs.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else None)
        module.add_arguments(job)
        job.set_defaults(func=module.main)
