"""`nabiyam recommend` and `nabiyam train ranker` through the real console entry point."""

from __future__ import annotations

import json

import pytest

from nabiyam.cli.main import main

pytestmark = pytest.mark.xdist_group("recsys-trained")

KEYS = {"shop_id", "name", "category", "district", "distance_m", "price_hint", "is_good_shop", "accepts_meal_card",
        "open_now", "score", "reason"}


def test_recommend_prints_recommendation_objects(tiny_world, trained, capsys) -> None:
    code = main(["recommend", "--user-id", "u000001", "--world", str(tiny_world), "--artifacts",
                 str(trained["out_dir"]), "--at", "2026-03-04T12:30", "--budget", "12000", "-k", "3"])
    out = capsys.readouterr()
    assert code == 0
    items = json.loads(out.out)
    assert 1 <= len(items) <= 3
    for item in items:
        assert KEYS <= set(item)
        assert item["accepts_meal_card"] and item["open_now"]
        assert item["price_hint"]["price"] <= 12000
    assert "fallback" not in out.err


def test_recommend_bad_time_is_a_readable_error(tiny_world, capsys) -> None:
    code = main(["recommend", "--user-id", "u1", "--world", str(tiny_world), "--at", "lunchtime"])
    assert code == 2
    assert "--at 'lunchtime' is not an ISO time" in capsys.readouterr().err


def test_train_ranker_without_a_world_says_how_to_make_one(tmp_path, capsys) -> None:
    code = main(["train", "ranker", "--world", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "nabiyam world generate" in capsys.readouterr().err
