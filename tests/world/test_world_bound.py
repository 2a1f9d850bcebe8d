"""`learnability_bound`: the reference between population taste and the oracle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from nabiyam.cli.main import main
from nabiyam.world.bound import _map_affinity, learnability_bound


def test_bound_orders_population_map_oracle(tiny_world: Path) -> None:
    b = learnability_bound(tiny_world)
    assert b["oracle"]["affinity_rmse"] == 0.0
    # estimates from each person's own choices are closer to the truth than the population mean
    assert b["affinity_map"]["affinity_rmse"] < b["affinity_population"]["affinity_rmse"]
    assert b["affinity_population"]["auc"] < b["affinity_map"]["auc"] <= b["oracle"]["auc"]
    assert b["train_choices_per_person"] > 0


def test_map_affinity_recovers_a_strong_taste() -> None:
    """Many sessions choosing category 3 out of an even set: the estimate moves to it, not the rest."""
    rng = np.random.default_rng(0)
    obs = []
    for _ in range(200):
        cats = rng.permutation(10)[:5]
        chosen = int(np.flatnonzero(cats == 3)[0]) if 3 in cats else -1
        obs.append((np.zeros(5), cats.astype(np.intp), chosen))
    a = _map_affinity(obs, np.zeros(10), w_cat=1.0, no_choice=0.0, precision=1.0)
    assert a[3] > 1.0 and np.all(np.delete(a, 3) < a[3] - 1.0)
    assert np.allclose(_map_affinity([], np.ones(10), 1.0, 0.0, 1.0), 1.0)  # no data: the prior


def test_cli_prints_json_and_names_bad_input(tiny_world: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["world", "bound", str(tiny_world)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"oracle", "affinity_map", "affinity_population", "validation_from"}
    assert main(["world", "bound", str(tiny_world), "--val-fraction", "1.5"]) == 2
    assert "val_fraction must be between 0 and 1" in capsys.readouterr().err
    empty = tmp_path / "no-impressions"
    shutil.copytree(tiny_world, empty, ignore=shutil.ignore_patterns("impressions.csv"))
    assert main(["world", "bound", str(empty)]) == 2
    assert "impressions.csv" in capsys.readouterr().err
