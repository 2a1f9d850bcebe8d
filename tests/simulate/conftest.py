"""Simulator fixtures: one tiny world and one quick-trained ranker per xdist worker, and a
helper that runs a simulation against the worker's moto stack and captures what the service
logged (the lake rows, read right after the run, so later tests that empty the stack do not
matter). Every simulation uses its own dates, so runs never share a lake partition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

TINY_SEED = 11


@dataclass
class Captured:
    config: Any
    manifest: dict[str, Any]
    truth: list[Any]                  # TruthRow, every day
    conversations: list[Any]          # ConversationRow from the lake
    feedback: list[Any]               # FeedbackRow from the lake (through the day after the last)
    lake_bytes: dict[str, bytes]      # every lake object of the run's days after the run's own export
    lake_bytes_again: dict[str, bytes]  # the same after `nabiyam jobs export-logs` ran again for each day

    def days(self) -> list[str]:
        return [(self.config.start + timedelta(days=d)).isoformat() for d in range(self.config.days)]


@pytest.fixture(scope="session")
def sim_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nabiyam.world import generate

    out = tmp_path_factory.mktemp("sim-world") / "tiny"
    generate("tiny", TINY_SEED, out)
    return out


@pytest.fixture(scope="session")
def sim_ranker(sim_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from training_jobs.ranker.job import run

    out = tmp_path_factory.mktemp("sim-ranker") / "ranker"
    run(sim_world, out, epochs=2, quick=True, progress=False, baselines=False)
    return out


def run_and_capture(local_stack: Any, world: Path, out: Path, start: date, days: int, per_day: int, **kw: Any
                    ) -> Captured:
    from nabiyam.cli.main import main
    from nabiyam.lake import S3LakeStore, read_range
    from nabiyam.settings import get_settings
    from nabiyam.simulate import SimConfig, read_truth, simulate

    kw.setdefault("nlu_dir", None)
    config = SimConfig(world=world, days=days, start=start, out=out, per_day=per_day, **kw)
    result = simulate(config, get_settings())
    last = start + timedelta(days=days - 1)
    truth = [row for d in range(days) for row in read_truth(out, start + timedelta(days=d))]
    store = S3LakeStore()
    prefixes = [f"lake/{k}/dt={(start + timedelta(days=d)).isoformat()}/" for k in ("conversations", "feedback")
                for d in range(days)]

    def snapshot() -> dict[str, bytes]:
        return {key: store.get(key) for p in prefixes for key in store.list(p)}

    first = snapshot()
    for d in range(days + 1):   # and the day after: feedback on a turn just before midnight lands there
        assert main(["jobs", "export-logs", "--date", (start + timedelta(days=d)).isoformat()]) == 0
    return Captured(config=config, manifest=result.manifest, truth=truth,
                    conversations=read_range("conversations", start, last),
                    feedback=read_range("feedback", start, last + timedelta(days=1)) if config.export else [],
                    lake_bytes=first, lake_bytes_again=snapshot())
