"""Recsys fixtures: one tiny world and one quick-trained ranker per xdist worker."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_SEED = 11


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nabiyam.world import generate

    out = tmp_path_factory.mktemp("recsys-world") / "tiny"
    generate("tiny", TINY_SEED, out)
    return out


@pytest.fixture(scope="session")
def catalogue(tiny_world: Path):
    from nabiyam.recsys import CatalogueIndex

    return CatalogueIndex.from_world_dir(tiny_world)


@pytest.fixture(scope="session")
def trained(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from training_jobs.ranker.job import run

    out = tmp_path_factory.mktemp("recsys-artifacts") / "ranker"
    return run(tiny_world, out, epochs=2, quick=True, progress=False, deep_only=True)
