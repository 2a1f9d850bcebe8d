"""The runtime follows the registry's production alias without a restart, and a new version
that does not load never replaces what serves (the good path is in test_learning_loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nabiyam.registry import Registry


def test_a_broken_promotion_keeps_serving_and_is_reported(clean_stack: Any, tmp_path: Path) -> None:
    from nabiyam.recsys import CatalogueIndex
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import get_settings
    from nabiyam.world import generate

    world = tmp_path / "world"
    generate("tiny", 3, world)
    settings = get_settings().model_copy(update={"model_cache_dir": tmp_path / "cache",
                                                 "artifacts_dir": tmp_path / "artifacts", "model_refresh_seconds": 0.0})
    rt = load_runtime(settings, catalogue=CatalogueIndex.from_world_dir(world), nlu_dir=None)
    assert rt.registry_targets == {"recommender": None}  # nothing registered yet, but followed
    before = rt.recommender
    assert before is not None and before.model_version == "funnel-blend-v1"

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.onnx").write_bytes(b"not onnx")
    (bad / "manifest.json").write_text('{"version": "bad"}')
    reg = Registry(settings)
    version = reg.publish("ranker", bad, actor="test", reason="a bad deploy")
    reg.promote("ranker", version, actor="test", reason="a bad deploy")

    assert rt.maybe_refresh(force=True) is False  # found, tried, refused
    assert rt.recommender is before and rt.registry_targets["recommender"] is None
    assert version in rt.problems["recommender_refresh"]
    assert rt.maybe_refresh(force=True) is False and rt.refreshes == 0  # not fetched again on every tick
