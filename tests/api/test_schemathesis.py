"""The schema tells the truth: schemathesis' own CLI against the running app (uvicorn on
127.0.0.1), every check it has (`--checks all`: not only "no 5xx" but also schema-valid data
accepted, schema-invalid data rejected, status codes / headers / bodies / content types / Allow
headers as documented), coverage and fuzzing phases, at least 1,000 generated cases, zero
failures. Seeded, so a failure reproduces (the report names `st replay` ids and curl lines).

A longer run (``--max-examples 300``: 2,169 and 2,168 cases for seeds 4 and 5) passed too; this
one is sized for `make test` (~20 s).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MAX_EXAMPLES = 30  # per operation and mode: ~1,000 cases over the 5 operations
MIN_CASES = 1000


@pytest.mark.xdist_group("schemathesis")
def test_schemathesis_all_checks_coverage_and_fuzzing(live_api: Any, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{live_api.base_url}/openapi.json",
           "--checks", "all", "--phases", "coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
           "--seed", "17", "--generation-database", "none", "--workers", "1", "--no-color",
           "--request-timeout", "20", "--max-failures", "50"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)
    out = proc.stdout + proc.stderr
    tail = out[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", out)
    assert proc.returncode == 0 and "No issues found" in out, tail
    assert generated is not None, tail
    cases, passed = int(generated.group(1)), int(generated.group(2))
    assert cases == passed >= MIN_CASES, tail
    for phase in ("Coverage", "Fuzzing"):
        assert re.search(rf"✅ {phase}\b", out), tail
