"""The SAM template validates (with cfn-lint) and builds, and no function exceeds 250 MB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nabiyam.infra.sam_build_check import FunctionSize, find_sam, format_table, function_layers, measure
from nabiyam.infra.template import load_template

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.sam, pytest.mark.xdist_group("sam")]


def _sam_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env["SAM_CLI_TELEMETRY"] = "0"
    return env


def test_sam_validate_lint() -> None:
    proc = subprocess.run([str(find_sam(REPO)), "validate", "--lint", "--template-file", str(REPO / "template.yaml")],
                          capture_output=True, text=True, timeout=300, env=_sam_env(), cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


def test_every_function_has_core_and_runtime_layers_and_jobs_have_reporting() -> None:
    layers = function_layers(load_template(REPO / "template.yaml"))
    assert set(layers) == {"ApiFunction", "DailyMetricsFunction", "WeeklyReportFunction", "RetrainTriggerFunction",
                           "ExportLogsFunction", "ReconcileFunction"}
    for fn, fn_layers in layers.items():
        assert fn_layers[:2] == ["CoreLayer", "RuntimeLayer"], fn
    assert "ReportingLayer" not in layers["ApiFunction"]  # pandas/matplotlib stay out of the API's cold start


def test_size_check_flags_a_function_over_the_limit(tmp_path: Path) -> None:
    template = {"Globals": {"Function": {"Layers": [{"Ref": "L"}]}},
                "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {}},
                              "L": {"Type": "AWS::Serverless::LayerVersion"}}}
    (tmp_path / "F").mkdir()
    (tmp_path / "F" / "app.py").write_bytes(b"x" * 600_000)
    (tmp_path / "L" / "python").mkdir(parents=True)
    (tmp_path / "L" / "python" / "big.so").write_bytes(b"x" * 1_200_000)
    [result] = measure(template, tmp_path, limit_mb=1.5)
    assert result == FunctionSize("F", 0.57, {"L": 1.14}, 1.72, True)
    assert "OVER LIMIT" in format_table([result], 1.5)
    [ok] = measure(template, tmp_path, limit_mb=2.0)
    assert not ok.over_limit


@pytest.mark.slow
def test_sam_build_and_size_check(tmp_path: Path) -> None:
    """`sam build` (no container, arm64 wheels from PyPI) passes and prints every function's size."""
    build_dir = tmp_path / "build"  # not .aws-sam: parallel test runs in one checkout must not share it
    out_json = tmp_path / "sizes.json"
    proc = subprocess.run([sys.executable, "-m", "nabiyam.infra.sam_build_check", "--build-dir", str(build_dir),
                           "--json", str(out_json)], capture_output=True, text=True, timeout=1800, env=_sam_env(),
                          cwd=REPO, check=False)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sizes = json.loads(out_json.read_text())
    names = {f["function"] for f in sizes["functions"]}
    assert names == {"ApiFunction", "DailyMetricsFunction", "WeeklyReportFunction", "RetrainTriggerFunction",
                     "ExportLogsFunction", "ReconcileFunction"}
    for f in sizes["functions"]:
        assert 0 < f["total_mb"] <= 250, f
        assert f["function"] in proc.stdout
    built = build_dir / "CoreLayer" / "python" / "nabiyam" / "settings.py"
    assert built.is_file(), "the core layer must hold the nabiyam package under python/"


_SAM_LOCAL_ROUTES = """
import json, sys
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1], parameter_overrides={"Stage": "dev"})
functions = SamFunctionProvider(stacks)
routes = {}
for r in ApiProvider(stacks).api.routes:
    fn = functions.get(r.function_name)
    for m in r.methods:
        routes[m + " " + r.path] = fn.handler if fn else None
print(json.dumps(routes))
"""


def test_sam_local_start_api_sees_every_route() -> None:
    """`sam local start-api` (Docker) must route to the API function: checked with SAM CLI's own parser."""
    sam_python = find_sam(REPO).parent / "python"
    proc = subprocess.run([str(sam_python), "-c", _SAM_LOCAL_ROUTES, str(REPO / "template.yaml")], capture_output=True,
                          text=True, timeout=120, env=_sam_env(), cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr
    routes = json.loads(proc.stdout.strip().splitlines()[-1])
    for route in ("POST /chat", "GET /recommendations", "POST /recommendations", "POST /feedback", "GET /health"):
        assert routes.get(route) == "app.handler", (route, routes)


def test_samconfig_has_dev_and_prod_environments() -> None:
    import tomllib

    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    for env in ("dev", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["stack_name"] == f"nabiyam-{env}"
        assert f'Stage="{env}"' in deploy["parameter_overrides"]
        assert deploy["region"] == "ap-northeast-2" and "CAPABILITY_IAM" in deploy["capabilities"]
        assert config[env]["validate"]["parameters"]["lint"] is True
    proc = subprocess.run([str(find_sam(REPO)), "validate", "--config-env", "prod"], capture_output=True, text=True,
                          timeout=300, env=_sam_env(), cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
