"""A tiny simulated log (the world's people using the real service for a few days), once per worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

SIM_START = date(2026, 11, 2)  # a Monday: the simulated days are ISO week 2026-W45
SIM_DAYS = 3
SIM_PER_DAY = 25


@dataclass
class SimulatedLog:
    stack: Any
    world: Path
    out: Path
    start: date
    days: int


@pytest.fixture(scope="session")
def simulated_log(local_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> SimulatedLog:
    from nabiyam.simulate import Scenario, SimConfig, simulate
    from nabiyam.world.generator import generate

    world = tmp_path_factory.mktemp("dash-world")
    generate("tiny", 11, world)
    out = tmp_path_factory.mktemp("dash-sim")
    simulate(SimConfig(world=world, days=SIM_DAYS, start=SIM_START, out=out, per_day=SIM_PER_DAY,
                       scenario=Scenario("steady"), seed=5, ranker_dir=None, nlu_dir=None))
    # the daily-metrics job for each day (topics, sentiment, evaluation …), as `make site` does;
    # a no-op while that job is not built (the site then counts from the lake)
    from dashboard_site.local import ensure_daily_metrics
    from nabiyam.settings import Settings

    ensure_daily_metrics(SIM_START, SIM_DAYS, Settings())
    return SimulatedLog(stack=local_stack, world=world, out=out, start=SIM_START, days=SIM_DAYS)
