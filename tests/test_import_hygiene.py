"""Lambda code never imports torch, transformers or peft (DESIGN: inference is ONNX only).

Every module of the ``nabiyam`` package and every handler module under ``functions/`` is
imported in a fresh interpreter; the test fails naming the module that pulled a banned
package into ``sys.modules``. The CLI parser (which loads every command group and the
training-job registry) is checked too, since `nabiyam --help` must stay light.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BANNED = ("torch", "transformers", "peft")

_PROBE = r"""
import importlib, json, pkgutil, sys
from pathlib import Path

banned = tuple(sys.argv[1].split(","))
repo = Path(sys.argv[2])

def offenders():
    return sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in banned})

report = {"checked": [], "violations": {}, "errors": {}}

def check(name, load):
    try:
        load()
    except Exception as exc:  # report, do not hide: an unimportable module is a bug too
        report["errors"][name] = f"{type(exc).__name__}: {exc}"
    bad = offenders()
    if bad:
        report["violations"][name] = bad
        for m in [m for m in sys.modules if m.split(".")[0] in banned]:
            del sys.modules[m]
    report["checked"].append(name)

import nabiyam
for info in pkgutil.walk_packages(nabiyam.__path__, "nabiyam."):
    check(info.name, lambda n=info.name: importlib.import_module(n))

for fn_dir in sorted(p for p in (repo / "functions").iterdir() if p.is_dir()):
    sys.path.insert(0, str(fn_dir))
    for py in sorted(fn_dir.glob("*.py")):
        mod = py.stem
        sys.modules.pop(mod, None)
        check(f"functions/{fn_dir.name}/{py.name}", lambda m=mod: importlib.import_module(m))
    sys.path.remove(str(fn_dir))

from nabiyam.cli.main import build_parser
check("nabiyam.cli.main.build_parser()", build_parser)
print("REPORT " + json.dumps(report))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NABIYAM_"))}
    env.update({"NABIYAM_STATE_DIR": str(tmp_path_factory.mktemp("no-stack")), "AWS_DEFAULT_REGION": "ap-northeast-2",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "NABIYAM_ARTIFACTS_DIR": str(tmp_path_factory.mktemp("no-artifacts"))})
    proc = subprocess.run([sys.executable, "-c", _PROBE, ",".join(BANNED), str(REPO)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=str(tmp_path_factory.mktemp("cwd")), check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")), None)
    assert line, f"probe failed (rc {proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(line[7:])


def test_no_lambda_module_imports_torch_transformers_or_peft(report: dict[str, object]) -> None:
    assert report["violations"] == {}, f"banned imports in Lambda code paths: {report['violations']}"


def test_every_lambda_module_imports(report: dict[str, object]) -> None:
    assert report["errors"] == {}, f"modules that fail to import: {report['errors']}"


def test_the_probe_saw_the_whole_tree(report: dict[str, object]) -> None:
    checked = set(report["checked"])  # type: ignore[arg-type]
    assert {"nabiyam.settings", "nabiyam.storage.dynamo", "nabiyam.registry.store"} <= checked
    assert {f"functions/jobs/{j}.py" for j in ("daily_metrics", "weekly_report", "retrain_trigger")} <= checked
    assert "nabiyam.cli.main.build_parser()" in checked


def test_the_probe_detects_a_banned_import(tmp_path: Path) -> None:
    """The detector itself works: with pydantic "banned", the modules that import it are named."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, "pydantic", str(REPO)], capture_output=True, text=True,
                          timeout=300, cwd=str(tmp_path), check=False)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT "))
    violations = json.loads(line[7:])["violations"]
    assert violations and all(v == ["pydantic"] for v in violations.values())
    assert "nabiyam.domain.catalogue" in violations  # purged after each hit, so every importer is named
