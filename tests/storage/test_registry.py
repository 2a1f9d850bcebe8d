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


def test_aliases_and_audit_trail(clean_stack: Any, tmp_path: Path) -> None:
    """publish → candidate alias; promote/reject/rollback move aliases and each writes one
    audit event (who, why, report) in the same transaction."""
    from nabiyam.registry import DataWindow

    reg = Registry()
    window = DataWindow.parse("2026-03-02..2026-03-15")
    v1 = reg.publish("ranker", _model_dir(tmp_path, "a", b"one"), {"auc": 0.7}, data_window=window,
                     actor="pipeline:run-1", reason="first model")
    got = reg.get("ranker", v1)
    assert got.data_window == window and got.data_window.days == 14
    assert got.code_revision and got.produced_by == "pipeline:run-1"
    assert got.artifact_uri == f"s3://{clean_stack.buckets['ArtifactsBucket']}/models/ranker/{v1}/"
    assert reg.alias("ranker", "candidate") == v1 and reg.alias("ranker", "production") is None

    reg.promote("ranker", v1, actor="evaluation", reason="no production yet", report_key="reports/r1.json")
    assert reg.alias("ranker", "production") == v1 and reg.alias("ranker", "candidate") is None
    v2 = reg.publish("ranker", _model_dir(tmp_path, "b", b"two"), actor="pipeline:run-2", reason="retrain")
    assert reg.candidate("ranker").version == v2  # type: ignore[union-attr]
    reg.reject("ranker", v2, actor="evaluation", reason="NDCG@5 not better beyond noise", report_key="reports/r2.json")
    assert reg.get("ranker", v2).status == "rejected" and reg.alias("ranker", "candidate") is None
    with pytest.raises(RegistryError, match="only a candidate can be rejected"):
        reg.reject("ranker", v1, actor="x", reason="y")

    v3 = reg.publish("ranker", _model_dir(tmp_path, "c", b"three"), actor="pipeline:run-3", reason="retrain")
    reg.promote("ranker", v3, actor="evaluation", reason="better")
    reg.rollback("ranker", actor="cli:oncall", reason="complaints")
    assert reg.alias("ranker", "production") == v1
    assert {v.version: v.status for v in reg.list_versions("ranker")} == {
        v1: "production", v2: "rejected", v3: "rolled_back"}
    assert reg.list_models() == ["ranker"]  # alias/event items are not models or versions

    events = reg.history("ranker")
    assert [(e.action, e.model_version) for e in events] == [
        ("rolled_back", v1), ("promoted", v3), ("published", v3), ("rejected", v2), ("published", v2),
        ("promoted", v1), ("published", v1)]
    assert events[0].replaced == v3 and events[0].actor == "cli:oncall" and events[0].reason == "complaints"
    assert events[3].report_key == "reports/r2.json" and "beyond noise" in events[3].reason
    with pytest.raises(RegistryError, match="needs an actor"):
        reg.promote("ranker", v2, actor=" ", reason="x")
    with pytest.raises(RegistryError, match="unknown alias"):
        reg.alias("ranker", "staging")


def test_models_cli_decisions_are_audited(clean_stack: Any, tmp_path: Path) -> None:
    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "nabiyam"), *argv], capture_output=True, text=True,
                              timeout=120, check=False)

    assert cli("models", "publish", "nlu", str(_model_dir(tmp_path, "a", b"a")), "--window", "2026-03-02..2026-03-08",
               "--promote").returncode == 0
    out = cli("models", "publish", "nlu", str(_model_dir(tmp_path, "b", b"b")))
    assert out.returncode == 0, out.stderr
    out = cli("models", "promote", "nlu", "candidate", "--reason", "manual check passed", "--actor", "cli:tester")
    assert out.returncode == 0, out.stderr
    history = json.loads(cli("models", "history", "nlu", "--json").stdout)
    assert history[0]["action"] == "promoted" and history[0]["actor"] == "cli:tester"
    assert history[0]["reason"] == "manual check passed"
    out = cli("models", "rollback", "nlu", "--reason", "bad answers")
    assert out.returncode == 0 and "production is now" in out.stdout
    assert json.loads(cli("models", "history", "nlu", "--json").stdout)[0]["reason"] == "bad answers"
    bad = cli("models", "show", "nlu", "candidate")
    assert bad.returncode == 2 and "has no candidate version" in bad.stderr
    bad = cli("models", "publish", "nlu", str(tmp_path / "a"), "--window", "2026-03-09..2026-03-01")
    assert bad.returncode == 2 and "before it starts" in bad.stderr
