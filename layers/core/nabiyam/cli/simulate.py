"""`nabiyam simulate`: the world's people use the service for days (docs/simulator.md).

Example::

    nabiyam simulate --world var/world-small --days 28 --start 2026-11-02 --per-day 60
    nabiyam simulate --world var/world-small --days 14 --start 2026-11-02 --scenario incident --incident-day 7
    nabiyam simulate --world var/world-small --days 14 --start 2026-11-02 --scenario ab --treatment artifacts/ranker-b
    nabiyam simulate --world var/world-small --days 3 --start 2026-11-02 --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


OFF = "none"


def _dir_or_none(text: str) -> Path | str:
    return OFF if text.lower() == OFF else Path(text)


def _model_dir(value: Path | str | None, discover: object) -> object:
    """Not given → discover (registry, then artifacts/); ``none`` → None (no model); else the directory."""
    return discover if value is None else None if value == OFF else value


def register(sub: argparse._SubParsersAction) -> None:
    from nabiyam.simulate.scenarios import INCIDENTS, SCENARIOS

    p = sub.add_parser("simulate", help="simulated users send real requests and react by the world's truth",
                       description="Draw sessions from the world's behaviour model day after day, send them through "
                                   "the real API Lambda handler (or --url), react by the oracle's true probabilities, "
                                   "write the truth file beside the logs and export each day to the lake.")
    p.add_argument("--world", required=True, type=Path, help="world directory (nabiyam world generate)")
    p.add_argument("--days", required=True, type=int, help="number of simulated days")
    p.add_argument("--start", required=True, type=_day, help="first simulated day, YYYY-MM-DD (Asia/Seoul)")
    p.add_argument("--per-day", type=int, default=60, help="sessions per day (growth: on the first day)")
    p.add_argument("--scenario", choices=SCENARIOS, default="steady")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--url", default=None, help="send requests over HTTP to this API (nabiyam serve) instead")
    p.add_argument("--out", type=Path, default=None, help="truth + run.json (default var/sim/<scenario>-seed<seed>)")
    p.add_argument("--ranker", type=_dir_or_none, default=None, metavar="DIR|none",
                   help="ranker artifact to serve (default: the registry's production version, then artifacts/)")
    p.add_argument("--nlu", type=_dir_or_none, default=None, metavar="DIR|none",
                   help="NLU artifact to serve (default: registry, then artifacts/; none = rules)")
    p.add_argument("--treatment", type=Path, default=None, help="ab: the treatment ranker artifact "
                   "(default: the funnel-score blend as a deliberately different arm)")
    p.add_argument("--treatment-share", type=float, default=0.5, help="ab: share of users in the treatment arm")
    p.add_argument("--incident", choices=INCIDENTS, default="ranker", help="incident: what breaks")
    p.add_argument("--incident-day", type=int, default=None, help="incident: 0-based day it starts (default: middle)")
    p.add_argument("--growth", type=float, default=0.05, help="growth: daily growth rate (0.05 = +5 %% a day)")
    p.add_argument("--no-export", action="store_true", help="do not run the export-logs job after each day")
    p.add_argument("--bulk", action="store_true",
                   help="bulk path for large days: the service's core (pipeline, feedback service) in this process, "
                        "records written straight to the lake partitions (no handler, no DynamoDB; docs/simulator.md)")
    p.add_argument("--lake", type=Path, default=None,
                   help="with --bulk: write the lake to this local directory instead of the learning-data bucket")
    p.add_argument("--workers", type=int, default=1,
                   help="with --bulk: worker processes (each serves a fixed share of the people; the output does "
                        "not depend on the count)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from nabiyam.cli.main import CliError
    from nabiyam.runtime import DISCOVER
    from nabiyam.simulate import Scenario, SimConfig, SimulationError, simulate

    try:
        scenario = Scenario(args.scenario, growth=args.growth, incident_day=args.incident_day,
                            incident=args.incident, treatment_share=args.treatment_share)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.treatment is not None and not (args.treatment / "model.onnx").exists():
        raise CliError(f"--treatment {args.treatment}: no model.onnx there (a ranker artifact directory)")
    out = args.out or Path("var/sim") / f"{args.scenario}-seed{args.seed}"
    config = SimConfig(world=args.world, days=args.days, start=args.start, out=out, per_day=args.per_day,
                       scenario=scenario, seed=args.seed, url=args.url,
                       ranker_dir=_model_dir(args.ranker, DISCOVER), nlu_dir=_model_dir(args.nlu, DISCOVER),
                       treatment_dir=args.treatment, export=not args.no_export, progress=not args.quiet,
                       bulk=args.bulk, lake=args.lake, workers=args.workers)
    try:
        result = simulate(config)
    except (SimulationError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc
    t = result.manifest["totals"]
    print(json.dumps({"out": str(out), "scenario": args.scenario, "days": args.days,
                      "conversations_per_day": round(t["conversations_per_day"], 1),
                      "ctr": round(t["ctr"], 4), "expected_ctr": round(t["expected_ctr"], 4),
                      "conversion": round(t["conversion"], 4), "expected_conversion": round(t["expected_conversion"], 4),
                      "like_ratio": round(t["like_ratio"], 4), "expected_like_ratio": round(t["expected_like_ratio"], 4),
                      "mean_satisfaction": round(t["mean_satisfaction"], 3),
                      "expected_rated_satisfaction": round(t["expected_rated_satisfaction"], 3),
                      "errors": t["errors"], "runtimes": result.manifest["runtimes"]}, ensure_ascii=False))
    return 0
