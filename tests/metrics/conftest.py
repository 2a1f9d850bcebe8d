"""Fixtures for the daily-metrics tests: simulations on the tiny world through the real API
handler and the worker's moto stack (the simulator's own helpers, imported from
tests/simulate/conftest.py), shared per session so each scenario is simulated once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.simulate.conftest import TINY_SEED, Captured, run_and_capture

__all__ = ["Captured", "TINY_SEED"]


@pytest.fixture(scope="session")
def metrics_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nabiyam.world import generate

    out = tmp_path_factory.mktemp("metrics-world") / "tiny"
    generate("tiny", TINY_SEED, out)
    return out


@pytest.fixture(scope="session")
def steady3(local_stack: Any, metrics_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Captured:
    """Three steady days (its own dates), the funnel-blend recommender (no ranker to train)."""
    from nabiyam.simulate import Scenario

    return run_and_capture(local_stack, metrics_world, tmp_path_factory.mktemp("metrics-steady3"), date(2027, 3, 1), 3,
                           30, scenario=Scenario("steady"), seed=5, ranker_dir=None)


@pytest.fixture(scope="session")
def small_sentiment() -> Path:
    """The sentiment tests' small model (trained once per process, see tests/sentiment/conftest.py)."""
    from tests.sentiment.conftest import small_model_dir

    return small_model_dir()


@pytest.fixture(scope="session")
def metrics_ranker(metrics_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quick-trained tiny ranker: the served model the incident breaks and the ab control arm."""
    from training_jobs.ranker.job import run

    out = tmp_path_factory.mktemp("metrics-ranker") / "ranker"
    run(metrics_world, out, epochs=2, quick=True, progress=False, baselines=False)
    return out


def run_days(days: list[str], sentiment_dir: Path, world: Path, **params: str) -> list[dict[str, Any]]:
    """The daily-metrics job for each day in order (each day reads the stored days before it)."""
    from nabiyam.infra.scheduled import run_scheduled_job

    out = []
    for day in days:
        result = run_scheduled_job("daily_metrics", {"date": day, "sentiment_dir": str(sentiment_dir),
                                                     "catalogue": str(world), **params})
        assert result["status"] == "ok", result
        out.append(result["result"])
    return out


@pytest.fixture(scope="session")
def metrics_nlu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The NLU tests' small model (the same directory and file lock), so one run of the suite
    trains it once (~12 s) whichever test asks first."""
    from tests.nlu.test_model import session_nlu_model

    return session_nlu_model(tmp_path_factory)
