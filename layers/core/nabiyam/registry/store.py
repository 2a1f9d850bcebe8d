"""The model registry: versions in DynamoDB, artifacts in S3, verified local copies.

Layout: ``s3://<artifacts>/models/<name>/<version>/<file>`` plus a ``_manifest.json``;
one ModelRegistry item per (model_name, version) with the sha256 of every file. Status:
``candidate`` (published) → ``production`` (exactly one) → ``previous`` when replaced
(still good: a fallback) or ``rolled_back`` (bad: never served again unless promoted).
Serving code calls :func:`fetch`, which never returns an unverified file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from nabiyam import aws
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.blobs import BlobNotFound, BlobStore
from nabiyam.storage.dynamo import TableRepository

logger = get_logger("registry")

Status = Literal["candidate", "production", "previous", "rolled_back"]
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MANIFEST = "_manifest.json"
LOCAL_MARKER = ".registry.json"  # written into a fetched directory: which version it is


class RegistryError(RuntimeError):
    """A registry operation cannot be done (unknown model/version, nothing to roll back to)."""


class ModelUnavailable(RegistryError):
    """No version of the model could be fetched and verified."""


class ModelVersion(BaseModel):
    model_name: str
    version: str
    status: Status = "candidate"
    created_at: str
    promoted_at: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    files: dict[str, str] = Field(description="relative path → sha256")
    sizes: dict[str, int] = Field(default_factory=dict)
    s3_prefix: str
    digest: str = Field(description="sha256 over the sorted file hashes: same content, same digest")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_name(model_name: str) -> None:
    if not NAME_RE.match(model_name or ""):
        raise RegistryError(f"invalid model name {model_name!r}: use lowercase letters, digits, '-' and '_'")


class Registry:
    """Registry operations for one settings object (tables, bucket, endpoint)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.repo: TableRepository[ModelVersion] = TableRepository(
            self.settings.model_registry_table, ModelVersion, hash_key="model_name", range_key="version",
            settings=self.settings)
        self.blobs = BlobStore(self.settings.artifacts_bucket, self.settings)

    # -------------------------------------------------------------- reading
    def list_versions(self, model_name: str) -> list[ModelVersion]:
        """Newest first."""
        _check_name(model_name)
        return list(self.repo.query(model_name, newest_first=True))

    def list_models(self) -> list[str]:
        return sorted({v.model_name for v in self.repo.scan()})

    def get(self, model_name: str, version: str) -> ModelVersion:
        _check_name(model_name)
        found = self.repo.get(model_name, version)
        if found is None:
            known = [v.version for v in self.list_versions(model_name)[:5]]
            raise RegistryError(f"{model_name} has no version {version!r}" + (f"; newest: {', '.join(known)}" if known else ""))
        return found

    def production(self, model_name: str) -> ModelVersion | None:
        return next((v for v in self.list_versions(model_name) if v.status == "production"), None)

    def good_versions(self, model_name: str) -> list[ModelVersion]:
        """Production first, then earlier production versions, most recently promoted first."""
        versions = self.list_versions(model_name)
        prod = [v for v in versions if v.status == "production"]
        prev = sorted((v for v in versions if v.status == "previous"), key=lambda v: v.promoted_at or "", reverse=True)
        return prod + prev

    # -------------------------------------------------------------- writing
    def publish(self, model_name: str, local_dir: Path, metrics: dict[str, Any] | None = None) -> str:
        """Upload every file of ``local_dir`` as a new candidate version; returns the version.

        Publishing the same content twice returns the existing version (no duplicate).
        """
        _check_name(model_name)
        local_dir = Path(local_dir)
        if not local_dir.is_dir():
            raise RegistryError(f"{local_dir} is not a directory")
        paths = sorted(p for p in local_dir.rglob("*") if p.is_file() and p.name != LOCAL_MARKER)
        if not paths:
            raise RegistryError(f"{local_dir} has no files to publish")
        files = {p.relative_to(local_dir).as_posix(): _sha256(p) for p in paths}
        digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
        for existing in self.list_versions(model_name):
            if existing.digest == digest:
                logger.info("model already published", extra={"model": model_name, "version": existing.version})
                return existing.version
        version = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}Z-{digest[:8]}"
        prefix = f"models/{model_name}/{version}/"
        for path in paths:
            self.blobs.upload_file(path, prefix + path.relative_to(local_dir).as_posix())
        record = ModelVersion(model_name=model_name, version=version, created_at=_now(), metrics=metrics or {},
                              files=files, sizes={p.relative_to(local_dir).as_posix(): p.stat().st_size for p in paths},
                              s3_prefix=prefix, digest=digest)
        self.blobs.put_json(prefix + MANIFEST, record.model_dump(mode="json"))
        if not self.repo.put_if_absent(record):
            raise RegistryError(f"{model_name} {version} was published concurrently; retry")
        logger.info("model published", extra={"model": model_name, "version": version, "files": len(files)})
        return version

    def promote(self, model_name: str, version: str) -> ModelVersion:
        """Make ``version`` production; the current production becomes ``previous``."""
        target = self.get(model_name, version)
        current = self.production(model_name)
        if current is not None and current.version == version:
            return current
        now = _now()
        ops: list[dict[str, Any]] = [self._status_update(model_name, version, "production", target.status, now)]
        if current is not None:
            ops.append(self._status_update(model_name, current.version, "previous", "production", None))
        self._transact(ops, f"promote {model_name} {version}")
        logger.info("model promoted", extra={"model": model_name, "version": version,
                                             "replaced": current.version if current else None})
        return self.get(model_name, version)

    def rollback(self, model_name: str) -> ModelVersion:
        """Mark production ``rolled_back`` and restore the most recent previous version."""
        current = self.production(model_name)
        if current is None:
            raise RegistryError(f"{model_name} has no production version to roll back")
        previous = [v for v in self.good_versions(model_name) if v.status == "previous"]
        if not previous:
            raise RegistryError(f"{model_name} has no previous version to roll back to")
        target = previous[0]
        self._transact([
            self._status_update(model_name, current.version, "rolled_back", "production", None),
            self._status_update(model_name, target.version, "production", "previous", _now()),
        ], f"roll back {model_name}")
        logger.warning("model rolled back", extra={"model": model_name, "from": current.version, "to": target.version})
        return self.get(model_name, target.version)

    def _status_update(self, name: str, version: str, status: str, expected: str, promoted_at: str | None) -> dict[str, Any]:
        values: dict[str, Any] = {":s": {"S": status}, ":e": {"S": expected}}
        expr = "SET #st = :s"
        if promoted_at:
            expr += ", promoted_at = :p"
            values[":p"] = {"S": promoted_at}
        return {"Update": {
            "TableName": self.settings.model_registry_table,
            "Key": {"model_name": {"S": name}, "version": {"S": version}},
            "UpdateExpression": expr,
            "ConditionExpression": "#st = :e",
            "ExpressionAttributeNames": {"#st": "status"},
            "ExpressionAttributeValues": values,
        }}

    def _transact(self, ops: list[dict[str, Any]], what: str) -> None:
        try:
            aws.client("dynamodb", self.settings).transact_write_items(TransactItems=ops)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise RegistryError(f"could not {what}: the registry changed meanwhile; retry") from exc
            raise

    # -------------------------------------------------------------- serving
    def fetch(self, model_name: str, cache_dir: Path) -> Path:
        """Directory with the production version, verified; falls back to the last good one.

        Raises :class:`ModelUnavailable` only when no production or previous version can be
        downloaded and verified.
        """
        tried: list[str] = []
        for candidate in self.good_versions(model_name):
            try:
                path = self._materialise(candidate, Path(cache_dir))
            except (ModelCorrupt, BlobNotFound, ClientError, BotoCoreError, OSError) as exc:
                tried.append(f"{candidate.version} ({candidate.status}): {exc}")
                logger.error("MODEL ARTIFACT UNUSABLE - falling back to an earlier good version",
                             extra={"model": model_name, "version": candidate.version, "error": str(exc)})
                continue
            if tried:
                logger.error("SERVING A FALLBACK MODEL VERSION", extra={"model": model_name, "version": candidate.version,
                                                                         "failed": tried})
            return path
        detail = "; ".join(tried) if tried else "no production or previous version registered"
        raise ModelUnavailable(f"no usable version of model {model_name!r}: {detail}")

    def _materialise(self, version: ModelVersion, cache_dir: Path) -> Path:
        final = cache_dir / version.model_name / version.version
        if final.is_dir() and _verify(final, version.files) is None:
            return final
        tmp = cache_dir / version.model_name / f".tmp-{uuid.uuid4().hex}"
        try:
            for rel in version.files:
                self.blobs.download_file(version.s3_prefix + rel, tmp / rel)
            problem = _verify(tmp, version.files)
            if problem:
                raise ModelCorrupt(f"{version.model_name} {version.version}: {problem}")
            (tmp / LOCAL_MARKER).write_text(json.dumps(
                {"model_name": version.model_name, "version": version.version, "metrics": version.metrics}))
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final


class ModelCorrupt(RegistryError):
    """A downloaded file is missing or its sha256 differs from the registry's."""


def _verify(directory: Path, files: dict[str, str]) -> str | None:
    """None when every file exists with the registered sha256; otherwise what is wrong."""
    for rel, expected in files.items():
        path = directory / rel
        if not path.is_file():
            return f"{rel} is missing"
        actual = _sha256(path)
        if actual != expected:
            return f"{rel} has sha256 {actual[:12]}…, registry says {expected[:12]}…"
    return None


def read_local_marker(directory: Path) -> dict[str, Any] | None:
    """The version a fetched directory holds (``fetch`` writes it), if any."""
    try:
        data = json.loads((Path(directory) / LOCAL_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
