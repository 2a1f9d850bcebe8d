"""The traffic simulator: the world's people use the real service day after day and react as
they truly would, with the truth beside the logs (docs/simulator.md).

    from nabiyam.simulate import SimConfig, Scenario, simulate
    result = simulate(SimConfig(world=Path("var/world-small"), days=28, start=date(2026, 11, 2),
                                out=Path("var/sim/steady"), per_day=100, scenario=Scenario("steady")))
"""

from __future__ import annotations

from nabiyam.simulate.runner import SimConfig, SimResult, Simulation, SimulationError, simulate
from nabiyam.simulate.scenarios import SCENARIOS, Scenario
from nabiyam.simulate.truth import TruthRow, read_truth

__all__ = ["SimConfig", "SimResult", "Simulation", "SimulationError", "simulate", "SCENARIOS", "Scenario",
           "TruthRow", "read_truth"]
