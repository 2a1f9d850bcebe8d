"""`nabiyam dashboard build | serve`: the stakeholders' static site, locally.

``build`` renders the weeks that have stored daily metrics (the local stack) into a folder
with the same layout as the site bucket; ``serve`` serves that folder on 127.0.0.1.

Example::

    nabiyam dashboard build --out var/site --simulate var/world-small   # simulate two weeks if the stack has none
    nabiyam dashboard build --out var/site            # every week with logged traffic
    nabiyam dashboard build --out var/site --week 2026-W45
    nabiyam dashboard serve --dir var/site --port 8001
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from nabiyam.cli.jobs import _iso_week

    parser = sub.add_parser("dashboard", help="build or serve the static dashboard site",
                            description="Render the weekly dashboard site from the stored daily metrics.")
    cmds = parser.add_subparsers(dest="dashboard_command", required=True, metavar="ACTION")
    build = cmds.add_parser("build", help="render weeks into a local site folder")
    build.add_argument("--out", type=Path, required=True, help="site folder (index.html, archive.html, reports/…)")
    build.add_argument("--week", type=_iso_week, action="append", default=[],
                       help="an ISO week YYYY-Www (repeatable; default: every week with logged traffic)")
    build.add_argument("--simulate", type=Path, default=None, metavar="WORLD",
                       help="first make sure the stack has traffic: simulate WORLD's people for --days from --start "
                            "(skipped when the lake already has those days), then run the daily metrics")
    build.add_argument("--start", type=_day, default=date(2026, 11, 2), help="first simulated day (default 2026-11-02)")
    build.add_argument("--days", type=int, default=14, help="simulated days (default 14: two ISO weeks)")
    build.add_argument("--per-day", type=int, default=40, help="simulated sessions per day (default 40)")
    build.set_defaults(func=run_build)
    serve = cmds.add_parser("serve", help="serve a built site on 127.0.0.1")
    serve.add_argument("--dir", type=Path, default=Path("var/site"), help="the built site folder")
    serve.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)")
    serve.set_defaults(func=run_serve)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def run_build(args: argparse.Namespace) -> int:
    from dashboard_site.from_metrics import ReportDataMissing, available_weeks
    from dashboard_site.local import build_site, ensure_daily_metrics, ensure_traffic
    from nabiyam.cli.main import CliError
    from nabiyam.settings import get_settings

    settings = get_settings()
    if args.simulate is not None:
        if not (args.simulate / "world.json").exists():
            raise CliError(f"--simulate {args.simulate}: not a world directory (no world.json)")
        if args.days < 1 or args.per_day < 1:
            raise CliError("--days and --per-day must be at least 1")
        if ensure_traffic(args.simulate, args.start, days=args.days, per_day=args.per_day, settings=settings):
            print(f"simulated {args.days} days from {args.start} ({args.per_day} sessions a day)")
        ran = ensure_daily_metrics(args.start, args.days, settings)
        if ran:
            print(f"daily metrics computed for {len(ran)} days")
    weeks = sorted(args.week) or available_weeks(settings)
    if not weeks:
        raise CliError("the local stack has no logged traffic: `nabiyam dashboard build --simulate var/world-small …` "
                       "or `nabiyam simulate` first")
    try:
        published = build_site(args.out, settings, weeks)
    except ReportDataMissing as exc:
        raise CliError(str(exc)) from exc
    for p in published:
        print(f"{p.week}: {p.files} files → {args.out / p.prefix}")
    print(f"site: {args.out / 'index.html'} (current week {published[-1].manifest.current})")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from dashboard_site.browser import serve_dir
    from nabiyam.cli.main import CliError

    if not (args.dir / "index.html").exists():
        raise CliError(f"{args.dir}/index.html not found: run `nabiyam dashboard build --out {args.dir}` first")
    import time

    with serve_dir(args.dir, port=args.port) as url:
        print(f"dashboard: {url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
