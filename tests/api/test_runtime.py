"""Runtime loading (once per container): catalogue from the S3 snapshot with local fallback,
models from the registry, and loud fallbacks (rules / funnel blend / 503) when parts are bad."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from nabiyam import aws, registry
from nabiyam.runtime import CATALOGUE_KEY, DISCOVER, load_runtime
from nabiyam.settings import Settings, get_settings

from .conftest import CONTEXT, start_live_server, stop_live_server


@pytest.fixture()
def settings(local_stack: Any, tmp_path: Path) -> Settings:
    return get_settings().model_copy(update={"model_cache_dir": tmp_path / "cache",
                                             "artifacts_dir": tmp_path / "artifacts"})


def _put_snapshot(settings: Settings, api_catalogue: Any, tmp_path: Path, data: bytes | None = None) -> None:
    path = api_catalogue.to_snapshot(tmp_path / "snap.json.gz")
    aws.client("s3", settings).put_object(Bucket=settings.artifacts_bucket, Key=CATALOGUE_KEY,
                                          Body=data if data is not None else path.read_bytes())


def test_catalogue_from_s3_snapshot_is_cached_in_tmp(settings: Settings, api_catalogue: Any, tmp_path: Path) -> None:
    _put_snapshot(settings, api_catalogue, tmp_path)
    rt = load_runtime(settings, nlu_dir=None, ranker_dir=None)
    assert rt.catalogue is not None and len(rt.catalogue) == 10
    assert rt.sources["catalogue"].startswith("s3:")
    assert (settings.model_cache_dir / "catalogue" / "current.json.gz").exists()
    assert rt.recommender is not None and rt.nlu is not None


def test_corrupt_s3_snapshot_falls_back_to_the_local_one(settings: Settings, api_catalogue: Any,
                                                         tmp_path: Path) -> None:
    _put_snapshot(settings, api_catalogue, tmp_path, data=b"\x1f\x8b not really gzip")
    api_catalogue.to_snapshot(settings.artifacts_dir / "catalogue" / "current.json.gz")
    rt = load_runtime(settings, nlu_dir=None, ranker_dir=None)
    assert rt.catalogue is not None and rt.sources["catalogue"].startswith("local:")


def test_bad_models_in_the_registry_fall_back_loudly(settings: Settings, api_catalogue: Any, tmp_path: Path) -> None:
    """A registered production model that is garbage must give rules / the funnel blend, never an error."""
    for name in ("nlu", "ranker"):
        model_dir = tmp_path / f"bad-{name}"
        model_dir.mkdir()
        (model_dir / "model.onnx").write_bytes(b"this is not an onnx file")
        (model_dir / "manifest.json").write_text('{"version": "bad-1"}')
        version = registry.publish(name, model_dir, {"note": "corrupt on purpose"}, settings=settings)
        registry.promote(name, version, settings=settings)
    rt = load_runtime(settings, catalogue=api_catalogue)  # DISCOVER: through the registry
    assert rt.sources["nlu"].startswith("registry:") and rt.sources["ranker"].startswith("registry:")
    assert rt.nlu is not None and rt.nlu.model_version is None  # rules only
    assert rt.recommender is not None and rt.recommender.model_version == "funnel-blend-v1"
    assert "ranker" in rt.problems and "nlu" in rt.problems
    result = rt.nlu.parse("만원으로 떡볶이")
    assert result.source == "rules" and result.filters.budget_max == 10000


def test_missing_catalogue_gives_503_with_reason_but_small_talk_still_works(settings: Settings,
                                                                           tmp_path: Path) -> None:
    from nabiyam.api import create_app

    aws.client("s3", settings).delete_object(Bucket=settings.artifacts_bucket, Key=CATALOGUE_KEY)
    rt = load_runtime(settings, nlu_dir=None, ranker_dir=None)
    assert rt.catalogue is None and "world load" in rt.problems["catalogue"]
    live = start_live_server(create_app(rt, settings))
    try:
        with httpx.Client(base_url=live.base_url) as http:
            r = http.post("/chat", json={"user_id": "u1", "message": "치킨 먹고 싶어", "context": CONTEXT})
            assert r.status_code == 503 and r.headers["retry-after"]
            assert "catalogue" in r.json()["error"]["message"]
            hello = http.post("/chat", json={"user_id": "u1", "message": "안녕"})
            assert hello.status_code == 200 and "나비얌" in hello.json()["response"]
            health = http.get("/health")
            assert health.status_code == 503 and health.json()["status"] == "down"
    finally:
        stop_live_server(live)


def test_discover_without_any_model_uses_fallbacks(settings: Settings, api_catalogue: Any) -> None:
    rt = load_runtime(settings, catalogue=api_catalogue, nlu_dir=DISCOVER, ranker_dir=DISCOVER)
    assert rt.sources["ranker"] in ("none",) or rt.sources["ranker"].startswith("registry:")
    assert rt.recommender is not None and rt.nlu is not None
