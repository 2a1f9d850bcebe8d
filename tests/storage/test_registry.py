"""The model registry over the moto server: publish, promote, rollback, verified fetch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nabiyam import registry
from nabiyam.registry import ModelUnavailable, Registry, RegistryError
from nabiyam.storage.blobs import BlobStore


def _model_dir(root: Path, name: str, payload: bytes) -> Path:
    d = root / name
    (d / "sub").mkdir(parents=True)
    (d / "model.onnx").write_bytes(payload)
    (d / "sub" / "vocab.json").write_text(json.dumps({"payload": payload.hex()}))
    return d


def test_publish_promote_fetch_round_trip(clean_stack: Any, tmp_path: Path) -> None:
    src = _model_dir(tmp_path, "v1", b"weights-1")
    version = registry.publish("ranker", src, {"auc": 0.71})
    listed = registry.list_versions("ranker")
    assert [v.version for v in listed] == [version] and listed[0].status == "candidate"
    assert registry.publish("ranker", src) == version  # same content: same version, no duplicate

    with pytest.raises(ModelUnavailable, match="no production"):
        registry.fetch("ranker", tmp_path / "cache")
    registry.promote("ranker", version)
    prod = registry.production("ranker")
    assert prod is not None and prod.version == version and prod.metrics == {"auc": 0.71}

    got = registry.fetch("ranker", tmp_path / "cache")
    assert (got / "model.onnx").read_bytes() == b"weights-1"
    assert (got / "sub" / "vocab.json").is_file()
    assert registry.read_local_marker(got)["version"] == version
    keys = [b.key for b in BlobStore(clean_stack.buckets["ArtifactsBucket"]).list(f"models/ranker/{version}/")]
    assert sorted(keys) == sorted(f"models/ranker/{version}/{k}" for k in ("model.onnx", "sub/vocab.json", "_manifest.json"))


def test_promote_demotes_and_rollback_restores(clean_stack: Any, tmp_path: Path) -> None:
    v1 = registry.publish("nlu", _model_dir(tmp_path, "a", b"one"))
    v2 = registry.publish("nlu", _model_dir(tmp_path, "b", b"two"))
    registry.promote("nlu", v1)
    registry.promote("nlu", v2)
    statuses = {v.version: v.status for v in registry.list_versions("nlu")}
    assert statuses == {v1: "previous", v2: "production"}

    restored = registry.rollback("nlu")
    assert restored.version == v1
    statuses = {v.version: v.status for v in registry.list_versions("nlu")}
    assert statuses == {v1: "production", v2: "rolled_back"}
    with pytest.raises(RegistryError, match="no previous version"):
        registry.rollback("nlu")
    with pytest.raises(RegistryError, match="has no version"):
        registry.promote("nlu", "19990101T000000000000Z-deadbeef")


def test_fetch_falls_back_when_production_is_corrupt_or_missing(clean_stack: Any, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    v1 = registry.publish("sentiment", _model_dir(tmp_path, "a", b"good"))
    registry.promote("sentiment", v1)
    v2 = registry.publish("sentiment", _model_dir(tmp_path, "b", b"newer"))
    registry.promote("sentiment", v2)
    store = BlobStore(clean_stack.buckets["ArtifactsBucket"])

    store.put_bytes(f"models/sentiment/{v2}/model.onnx", b"tampered")  # corrupt production
    got = registry.fetch("sentiment", tmp_path / "cache")
    assert registry.read_local_marker(got)["version"] == v1
    assert (got / "model.onnx").read_bytes() == b"good"

    store.delete(f"models/sentiment/{v1}/model.onnx")  # and now the fallback's file is gone too
    with pytest.raises(ModelUnavailable, match="no usable version of model 'sentiment'") as info:
        registry.fetch("sentiment", tmp_path / "other-cache")
    assert v1 in str(info.value) and v2 in str(info.value)


def test_corrupt_cache_is_downloaded_again(clean_stack: Any, tmp_path: Path) -> None:
    v1 = registry.publish("ranker", _model_dir(tmp_path, "a", b"cached"))
    registry.promote("ranker", v1)
    got = registry.fetch("ranker", tmp_path / "cache")
    (got / "model.onnx").write_bytes(b"bit rot")
    again = registry.fetch("ranker", tmp_path / "cache")
    assert (again / "model.onnx").read_bytes() == b"cached"


def test_bad_input_is_rejected(clean_stack: Any, tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="invalid model name"):
        registry.publish("Bad Name", tmp_path)
    with pytest.raises(RegistryError, match="not a directory"):
        registry.publish("ok", tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegistryError, match="no files"):
        registry.publish("ok", tmp_path / "empty")
    with pytest.raises(RegistryError, match="no production version to roll back"):
        Registry().rollback("ok")


def test_models_cli_over_the_local_stack(clean_stack: Any, tmp_path: Path) -> None:
    src = _model_dir(tmp_path, "cli", b"cli-weights")
    (src / "metrics.json").write_text(json.dumps({"f1": 0.9}))

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "nabiyam"), *argv], capture_output=True, text=True,
                              timeout=120, check=False)

    out = cli("models", "publish", "nlu", str(src), "--promote")
    assert out.returncode == 0, out.stderr
    assert "promoted nlu" in out.stdout
    listed = cli("models", "list", "nlu", "--json")
    assert json.loads(listed.stdout)[0]["metrics"] == {"f1": 0.9}
    assert json.loads(cli("models", "show", "nlu").stdout)["status"] == "production"
    bad = cli("models", "rollback", "nlu")
    assert bad.returncode == 2 and "no previous version" in bad.stderr
    assert "Traceback" not in bad.stderr
