"""`nabiyam dashboard build | serve`: the stakeholders' static site, locally.

``build`` renders the weeks that have stored daily metrics (the local stack) into a folder
with the same layout as the site bucket; ``serve`` serves that folder on 127.0.0.1.

Example::

    nabiyam dashboard build --out var/site            # every week with metrics
    nabiyam dashboard build --out var/site --week 2026-W45
    nabiyam dashboard serve --dir var/site --port 8001
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from nabiyam.cli.jobs import _iso_week

    parser = sub.add_parser("dashboard", help="build or serve the static dashboard site",
                            description="Render the weekly dashboard site from the stored daily metrics.")
    cmds = parser.add_subparsers(dest="dashboard_command", required=True, metavar="ACTION")
    build = cmds.add_parser("build", help="render weeks into a local site folder")
    build.add_argument("--out", type=Path, required=True, help="site folder (index.html, archive.html, reports/…)")
    build.add_argument("--week", type=_iso_week, action="append", default=[],
                       help="an ISO week YYYY-Www (repeatable; default: every week with daily metrics)")
    build.set_defaults(func=run_build)
    serve = cmds.add_parser("serve", help="serve a built site on 127.0.0.1")
    serve.add_argument("--dir", type=Path, default=Path("var/site"), help="the built site folder")
    serve.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)")
    serve.set_defaults(func=run_serve)


def run_build(args: argparse.Namespace) -> int:
    from dashboard_site.from_metrics import ReportDataMissing, available_weeks, load_week_report
    from dashboard_site.publish import LocalSite, publish_week
    from nabiyam.cli.main import CliError
    from nabiyam.settings import get_settings

    settings = get_settings()
    weeks = sorted(args.week) or available_weeks(settings)
    if not weeks:
        raise CliError("no daily metrics are stored yet: run the simulator and `nabiyam jobs daily-metrics` first")
    site = LocalSite(args.out)
    work = args.out.parent / (args.out.name + ".work")
    for week in weeks:
        try:
            report = load_week_report(week, settings)
        except ReportDataMissing as exc:
            raise CliError(str(exc)) from exc
        published = publish_week(report, site, work_dir=work)
        print(f"{week}: {published.files} files → {args.out / published.prefix}")
    print(f"site: {args.out / 'index.html'} (current week {site.read_manifest().current})")  # type: ignore[union-attr]
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
