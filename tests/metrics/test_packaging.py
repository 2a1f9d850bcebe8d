"""Packaging of the metrics job: the Korean tokenizer (kiwipiepy + its ~105 MB model) ships in its
own layer on the daily-metrics function only — never on the API function, never imported by the
API — and the job's code needs neither pandas nor matplotlib (it does not carry that layer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nabiyam.infra.sam_build_check import function_layers
from nabiyam.infra.template import load_template

REPO = Path(__file__).resolve().parents[2]


def test_only_the_daily_metrics_function_carries_the_nlp_layer() -> None:
    layers = function_layers(load_template(REPO / "template.yaml"))
    assert "NlpLayer" in layers["DailyMetricsFunction"]
    assert "ReportingLayer" not in layers["DailyMetricsFunction"]
    assert all("NlpLayer" not in v for k, v in layers.items() if k != "DailyMetricsFunction")


def test_nlp_layer_pins_what_the_venv_runs() -> None:
    from importlib.metadata import version

    pins = dict(line.split("==") for line in (REPO / "layers/nlp/requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pins == {"kiwipiepy": version("kiwipiepy"), "kiwipiepy_model": version("kiwipiepy_model")}


def test_the_api_and_the_job_import_no_heavy_libraries() -> None:
    code = ("import sys, nabiyam.api.app, nabiyam.jobs.daily_metrics, nabiyam.metrics.daily, nabiyam.sentiment.model;"
            "bad=[m for m in ('kiwipiepy','pandas','matplotlib','torch','onnx') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr
