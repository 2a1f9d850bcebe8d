"""`nabiyam world generate | load | plot | check | info | bound`: the synthetic world."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("world", help="generate, validate, load and plot the synthetic world")
    cmds = parser.add_subparsers(dest="world_command", required=True, metavar="ACTION")

    g = cmds.add_parser("generate", help="generate a world (tiny | small | large) into a directory")
    g.add_argument("--size", default="small", help="tiny (tests), small (make run), large (benchmarks)")
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--out", required=True, type=Path, help="output directory")
    g.add_argument("--xlsx", action=argparse.BooleanOptionalAction, default=None,
                   help="also write world.xlsx (default: yes for tiny/small, no for large)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=_generate)

    ld = cmds.add_parser("load", help="load a world directory into the local stack (tables + catalogue snapshot)")
    ld.add_argument("dir", type=Path)
    ld.add_argument("--only", default="catalogue,users,interactions,snapshot",
                    help="comma-separated parts to load (default: all of catalogue,users,interactions,snapshot)")
    ld.add_argument("--quiet", action="store_true")
    ld.set_defaults(func=_load)

    c = cmds.add_parser("check", help="validate operator sheets (a CSV folder or an .xlsx workbook)")
    c.add_argument("source", type=Path)
    c.set_defaults(func=_check)

    i = cmds.add_parser("info", help="print a world's manifest and summary statistics as JSON")
    i.add_argument("dir", type=Path)
    i.set_defaults(func=_info)

    b = cmds.add_parser("bound", help="how good a learnt ranker can get: oracle vs taste estimated from past "
                                      "choices vs population taste, on the ranker's validation split (JSON)")
    b.add_argument("dir", type=Path)
    b.add_argument("--val-fraction", type=float, default=0.2, help="most recent share of time held out (as the ranker)")
    b.set_defaults(func=_bound)

    p = cmds.add_parser("plot", help="draw shop locations by category and menu prices (PNG)")
    p.add_argument("dir", type=Path)
    p.add_argument("--out", type=Path, default=Path("docs/img/world.png"))
    p.set_defaults(func=_plot)


def _generate(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.world import SIZES, generate

    if args.size not in SIZES:
        raise CliError(f"unknown size {args.size!r}; expected one of {', '.join(SIZES)}")
    if args.seed < 0:
        raise CliError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"--out {args.out} exists and is not a directory")
    manifest = generate(args.size, args.seed, args.out, progress=not args.quiet, write_xlsx=args.xlsx)
    c = manifest["counts"]
    print(f"world {manifest['size']} (seed {manifest['seed']}) → {args.out}: {c['shops']} shops, {c['users']} users, "
          f"{c['sessions']} sessions, {c['impressions']} impressions, {c['orders']} orders "
          f"in {manifest['elapsed_s']:.1f}s")
    return 0


def _load(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.world.load import load_world

    if not args.dir.is_dir():
        raise CliError(f"{args.dir}: no such world directory (run `nabiyam world generate` first)")
    try:
        parts = tuple(p.strip() for p in args.only.split(",") if p.strip())
        summary = load_world(args.dir, parts=parts, progress=not args.quiet)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _check(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.world import WorldImportError, read_sheets

    try:
        sheets = read_sheets(args.source)
    except WorldImportError as exc:
        raise CliError(str(exc)) from exc
    for w in sheets.warnings:
        print(f"warning: {w}")
    print(f"ok: {len(sheets.brands)} brands, {len(sheets.shops)} shops, {len(sheets.menus)} menu items, "
          f"{len(sheets.users)} users, {len(sheets.orders)} orders, {len(sheets.favorites)} favorites, "
          f"{len(sheets.reviews)} reviews")
    return 0


def _info(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.world.stats import world_stats

    try:
        print(json.dumps(world_stats(args.dir), ensure_ascii=False, indent=2))
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    return 0


def _bound(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.world.bound import learnability_bound

    try:
        print(json.dumps(learnability_bound(args.dir, args.val_fraction), ensure_ascii=False, indent=2))
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    return 0


def _plot(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.world.plot import plot_world

    try:
        path = plot_world(args.dir, args.out)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    print(f"wrote {path}")
    return 0
