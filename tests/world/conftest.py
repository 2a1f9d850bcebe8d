"""A tiny world per xdist worker (generated once, read-only for the tests that share it)."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = 11


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nabiyam.world import generate

    out = tmp_path_factory.mktemp("world-tiny")
    generate("tiny", SEED, out)
    return out


@pytest.fixture(scope="session")
def world(tiny_world: Path):  # noqa: ANN201 - nabiyam.world.World
    from nabiyam.world import read_world

    return read_world(tiny_world, behaviour=True, preferences=True)
