"""`python -m benchmarks.run [--quick] [--only NAME ...]`: run every benchmarks/bench_*.py.

Each benchmark runs in its own interpreter (a crash, a leak or a timeout stays in its
section; peak memory is its own) and its result is validated against the contract in
``benchmarks/harness.py``. Results go to ``benchmarks/results/latest.json`` (machine,
core count, git revision, python, timestamp, one section per benchmark) and
``latest.md`` (tables for humans). A failing benchmark is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import cpu_count, validate_result

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULT_MARK = "BENCHMARK-RESULT "


def discover(bench_dir: Path = BENCH_DIR, only: list[str] | None = None) -> list[Path]:
    """bench_*.py files in name order, filtered by section or module name."""
    paths = sorted(bench_dir.glob("bench_*.py"))
    if only:
        wanted = set(only)
        paths = [p for p in paths if p.stem in wanted or p.stem.removeprefix("bench_") in wanted
                 or section_name(p) in wanted]
    return paths


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def machine() -> dict[str, Any]:
    return {
        "cpu_count": cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "git_revision": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_one(path: Path, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one benchmark in a child interpreter; always returns a section dict."""
    start = time.monotonic()
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", str(path)] + (["--quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        tail = (exc.stderr or b"")[-2000:] if isinstance(exc.stderr, bytes) else (exc.stderr or "")[-2000:]
        return {"status": "error", "error": f"timed out after {timeout:.0f} s", "log_tail": str(tail),
                "seconds": round(time.monotonic() - start, 2)}
    seconds = round(time.monotonic() - start, 2)
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith(RESULT_MARK)), None)
    if proc.returncode != 0 or line is None:
        return {"status": "error", "error": f"exit code {proc.returncode}", "seconds": seconds,
                "log_tail": (proc.stderr or proc.stdout)[-3000:]}
    payload = json.loads(line[len(RESULT_MARK):])
    if "error" in payload:
        return {"status": "error", "error": payload["error"], "seconds": seconds,
                "log_tail": payload.get("traceback", "")[-3000:]}
    result = payload["result"]
    problems = validate_result(result)
    if problems:
        return {"status": "error", "error": "; ".join(problems), "seconds": seconds}
    return {"status": "ok", "seconds": seconds, **result}


def child(path: str, quick: bool) -> int:
    """Inside the child interpreter: import, run, print one marked JSON line."""
    import importlib.util
    import traceback

    try:
        file = Path(path)
        spec = importlib.util.spec_from_file_location(f"benchmarks.{file.stem}", file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        result = module.run(quick)
        text = json.dumps({"section": getattr(module, "SECTION", file.stem), "result": result}, default=str)
    except Exception as exc:  # noqa: BLE001 - report any failure in this benchmark's section
        text = json.dumps({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
    sys.stdout.flush()
    print(RESULT_MARK + text, flush=True)
    return 0


def section_name(path: Path) -> str:
    """SECTION from the source without importing the module (imports happen in the child)."""
    import re

    source = path.read_text(encoding="utf-8")
    match = re.search(r'^SECTION\s*(?::\s*str)?\s*=\s*["\']([^"\']+)["\']', source, re.M)
    return match.group(1) if match else path.stem.removeprefix("bench_")


def to_markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "# Nabiyam benchmarks",
        "",
        f"- generated: {report['generated_at']} ({'quick' if report['quick'] else 'full'} run)",
        f"- machine: {m['cpu_count']} cores ({m['cpu_model']}), {m['platform']}, Python {m['python']}",
        f"- git: {m['git_revision'] or 'unknown'}{' (uncommitted changes)' if m['git_dirty'] else ''}",
        "",
    ]
    for name, section in report["sections"].items():
        lines.append(f"## {name}")
        lines.append("")
        if section["status"] != "ok":
            lines.append(f"**failed** after {section.get('seconds', 0)} s: {section.get('error')}")
            lines.append("")
            continue
        if section.get("notes"):
            lines.append(str(section["notes"]))
            lines.append("")
        lines.append("| metric | value | unit |")
        lines.append("|---|---:|---|")
        for r in section["rows"]:
            value = r["value"]
            shown = f"{value:,.4g}" if isinstance(value, float) else f"{value:,}"
            lines.append(f"| {r['metric']} | {shown} | {r['unit']} |")
        lines.append("")
        lines.append(f"_{section['seconds']} s_")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (minutes, not hours)")
    parser.add_argument("--only", nargs="+", default=None, help="sections or module names to run")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="output directory")
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark (default 600 quick, 3600)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        return child(args.child, args.quick)

    modules = discover(args.bench_dir, args.only)
    if not modules:
        print(f"no benchmarks found{' matching ' + ', '.join(args.only) if args.only else ''} in {args.bench_dir}",
              file=sys.stderr)
        return 2
    timeout = args.timeout or (600.0 if args.quick else 3600.0)
    report: dict[str, Any] = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
                              "machine": machine(), "sections": {}}
    for path in modules:
        name = section_name(path)
        if name in report["sections"]:
            name = f"{name} ({path.stem})"  # two files claim one section: keep both
        print(f"[bench] {name} ...", flush=True)
        section = run_one(path, args.quick, timeout)
        report["sections"][name] = section
        status = "ok" if section["status"] == "ok" else f"FAILED: {section['error']}"
        print(f"[bench] {name}: {status} ({section['seconds']} s)", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    (args.out / "latest.md").write_text(to_markdown(report))
    failed = [n for n, s in report["sections"].items() if s["status"] != "ok"]
    print(f"[bench] wrote {args.out / 'latest.json'} and latest.md; "
          f"{len(modules) - len(failed)} ok, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
