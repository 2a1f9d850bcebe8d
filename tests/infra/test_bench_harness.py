"""`make bench` harness: discovery, isolation of failures, JSON + Markdown output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.harness import percentile, row, timeit, validate_result

REPO = Path(__file__).resolve().parents[2]

BENCHES = {
    "bench_alpha.py": 'SECTION = "alpha"\nfrom benchmarks.harness import row\n'
                      'def run(quick):\n    return {"rows": [row("answer", 42 if quick else 41, "things")], "extra": 1}\n',
    "bench_boom.py": 'SECTION = "boom"\ndef run(quick):\n    raise RuntimeError("kaput")\n',
    "bench_crash.py": 'SECTION = "crash"\nimport os\ndef run(quick):\n    os._exit(3)\n',
    "bench_badrows.py": 'SECTION = "badrows"\ndef run(quick):\n    return {"rows": [{"metric": "x", "value": "fast"}]}\n',
    "not_a_bench.py": 'raise SystemExit("must not be imported")\n',
}


def test_runner_isolates_failures_and_writes_both_reports(tmp_path: Path) -> None:
    bench_dir = tmp_path / "benches"
    bench_dir.mkdir()
    for name, text in BENCHES.items():
        (bench_dir / name).write_text(text)
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--bench-dir", str(bench_dir),
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # some failed: reported, and the exit says so
    report = json.loads((out / "latest.json").read_text())
    assert report["quick"] is True
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["python"]
    assert len(report["machine"]["git_revision"] or "") == 40
    sections = report["sections"]
    assert list(sections) == ["alpha", "badrows", "boom", "crash"]
    assert sections["alpha"]["status"] == "ok" and sections["alpha"]["rows"][0]["value"] == 42
    assert sections["alpha"]["extra"] == 1
    assert sections["boom"]["status"] == "error" and "kaput" in sections["boom"]["error"]
    assert sections["crash"]["status"] == "error" and "exit code 3" in sections["crash"]["error"]
    assert "non-numeric value 'fast'" in sections["badrows"]["error"]
    md = (out / "latest.md").read_text()
    assert "| answer | 42 | things |" in md and "**failed**" in md and "kaput" in md


def test_only_selects_sections(tmp_path: Path) -> None:
    bench_dir = tmp_path / "b"
    bench_dir.mkdir()
    (bench_dir / "bench_alpha.py").write_text(BENCHES["bench_alpha.py"])
    (bench_dir / "bench_boom.py").write_text(BENCHES["bench_boom.py"])
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "alpha", "--bench-dir", str(bench_dir),
                           "--out", str(tmp_path / "o")], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "o" / "latest.json").read_text())
    assert list(report["sections"]) == ["alpha"] and report["sections"]["alpha"]["rows"][0]["value"] == 41


def test_harness_helpers() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([1.0, 2.0], 95) == 2.0
    calls = []
    t = timeit(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and t.n == 4 and t.minimum <= t.median <= t.p95
    with pytest.raises(ValueError, match="finite number"):
        row("x", float("nan"), "s")
    assert validate_result({"rows": [row("x", 1, "s")]}) == []
    assert validate_result({"rows": []}) == ["run() must return a non-empty 'rows' list"]
    assert validate_result([]) == ["run() must return a dict, got list"]
