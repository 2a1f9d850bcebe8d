"""The model registry: versions in DynamoDB, artifacts in S3, verified local copies.

Layout: ``s3://<artifacts>/models/<name>/<version>/<file>`` plus a ``_manifest.json``.
The ModelRegistry table holds three kinds of item per ``model_name`` (a single-table
design; the sort key ``version`` tells them apart):

- a **version** (sort key = the version, which starts with its UTC timestamp digits): the
  sha256 of every file, metrics, the data window it was trained on, the code revision, the
  artifact URI, who produced it; its lifecycle ``status``: ``candidate`` (published) →
  ``production`` → ``previous`` when replaced (still good: a fallback) or ``rolled_back``
  (bad: never served again unless promoted); ``rejected`` (evaluated, not promoted);
- an **alias** (sort key ``alias#production`` / ``alias#candidate``): which version the
  name points at. Serving reads these (one GetItem) — champion and challenger;
- an **event** (sort key ``event#<UTC time>#<id>``): the audit trail. Every publish,
  promotion, rejection and rollback writes one in the same DynamoDB transaction as the
  change itself, with who/what decided, why, and the evaluation report that backs it.

Serving code calls :func:`fetch`, which never returns an unverified file.

Example::

    reg = Registry()
    v = reg.publish("ranker", Path("artifacts/ranker"), metrics, data_window=DataWindow.parse("2026-03-02..2026-03-15"),
                    actor="pipeline:run-7", reason="retrain: dislike ratio above threshold")
    reg.promote("ranker", v, actor="evaluation", reason="NDCG@5 +0.04 [0.02, 0.06]", report_key="reports/…json")
    reg.rollback("ranker", actor="cli:oncall", reason="complaints after release")
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field, model_validator

from nabiyam import aws
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.blobs import BlobNotFound, BlobStore
from nabiyam.storage.dynamo import RangeCond, TableRepository

logger = get_logger("registry")

Status = Literal["candidate", "production", "previous", "rolled_back", "rejected"]
Alias = Literal["production", "candidate"]
ALIASES: tuple[str, ...] = ("production", "candidate")
Action = Literal["published", "promoted", "rejected", "rolled_back", "candidate_set"]
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MANIFEST = "_manifest.json"
LOCAL_MARKER = ".registry.json"  # written into a fetched directory: which version it is
ALIAS_PREFIX, EVENT_PREFIX = "alias#", "event#"
VERSION_KEY_BELOW = "a"  # versions start with digits; alias#… and event#… sort after every version
CODE_REVISION_ENV = "NABIYAM_CODE_REVISION"


class RegistryError(RuntimeError):
    """A registry operation cannot be done (unknown model/version, nothing to roll back to)."""


class ModelUnavailable(RegistryError):
    """No version of the model could be fetched and verified."""


class DataWindow(BaseModel):
    """The Korean days of data a model was trained on, both ends included.

    >>> DataWindow.parse("2026-03-02..2026-03-15").days
    14
    """

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DataWindow:
        if self.end < self.start:
            raise ValueError(f"data window ends ({self.end}) before it starts ({self.start})")
        return self

    @classmethod
    def parse(cls, text: str) -> DataWindow:
        """``FROM..TO`` (ISO days); raises ValueError naming what is wrong."""
        start, sep, end = (text or "").partition("..")
        if not sep:
            raise ValueError(f"data window {text!r} must look like YYYY-MM-DD..YYYY-MM-DD")
        try:
            a, b = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
        except ValueError as exc:
            raise ValueError(f"data window {text!r}: {exc}") from None
        if b < a:
            raise ValueError(f"data window {text!r} ends ({b}) before it starts ({a})")
        return cls(start=a, end=b)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


class ModelVersion(BaseModel):
    model_name: str
    version: str
    status: Status = "candidate"
    created_at: str
    promoted_at: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    files: dict[str, str] = Field(description="relative path → sha256 (the checksums fetch verifies)")
    sizes: dict[str, int] = Field(default_factory=dict)
    s3_prefix: str
    digest: str = Field(description="sha256 over the sorted file hashes: same content, same digest")
    artifact_uri: str | None = Field(None, description="s3://bucket/models/<name>/<version>/")
    data_window: DataWindow | None = Field(None, description="the days of data it was trained on")
    code_revision: str | None = Field(None, description="git revision of the code that trained it")
    produced_by: str | None = Field(None, description="who/what published it (pipeline run, cli user)")
    parent_version: str | None = Field(None, description="the version it was warm-started from, if any")


class AliasRecord(BaseModel):
    """``production`` / ``candidate`` → a version (sort key ``alias#<alias>``)."""

    model_name: str
    alias: Alias
    target: str
    updated_at: str
    event: str = Field(description="sort key of the audit event that set it")


class RegistryEvent(BaseModel):
    """One audit record: what happened to which version, who/what decided, and why."""

    model_name: str
    event_key: str = Field(description="event#<UTC time>#<id>: the sort key, chronological")
    at: str
    action: Action
    model_version: str = Field(description="the version the action was about")
    replaced: str | None = Field(None, description="the version it replaced (promotion/rollback)")
    actor: str = Field(description="who or what decided: 'cli:<user>', 'pipeline:<run>', 'evaluation'")
    reason: str
    report_key: str | None = Field(None, description="artifacts-bucket key of the evaluation report behind it")
    details: dict[str, Any] = Field(default_factory=dict)


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


def _check_alias(alias: str) -> None:
    if alias not in ALIASES:
        raise RegistryError(f"unknown alias {alias!r}; aliases are {', '.join(ALIASES)}")


def code_revision(repo_dir: Path | None = None) -> str:
    """The code's revision: ``NABIYAM_CODE_REVISION`` (set in the training container), else
    ``git rev-parse HEAD`` (+ ``-dirty`` with uncommitted changes), else ``unknown``."""
    env = os.environ.get(CODE_REVISION_ENV)
    if env:
        return env
    cwd = repo_dir or Path(__file__).resolve().parents[3]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}-dirty" if dirty else rev


class Registry:
    """Registry operations for one settings object (tables, bucket, endpoint)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        table = self.settings.model_registry_table
        self.repo: TableRepository[ModelVersion] = TableRepository(
            table, ModelVersion, hash_key="model_name", range_key="version", settings=self.settings)
        self.aliases: TableRepository[AliasRecord] = TableRepository(
            table, AliasRecord, hash_key="model_name", range_key="version", settings=self.settings,
            keys=lambda a: {"version": ALIAS_PREFIX + a.alias})
        self.events: TableRepository[RegistryEvent] = TableRepository(
            table, RegistryEvent, hash_key="model_name", range_key="version", settings=self.settings,
            keys=lambda e: {"version": e.event_key})
        self.blobs = BlobStore(self.settings.artifacts_bucket, self.settings)

    # -------------------------------------------------------------- reading
    def list_versions(self, model_name: str) -> list[ModelVersion]:
        """Newest first (versions only: alias and event items are not versions)."""
        _check_name(model_name)
        return list(self.repo.query(model_name, newest_first=True, range_cond=RangeCond.lt(VERSION_KEY_BELOW)))

    def list_models(self) -> list[str]:
        return sorted({v.model_name for v in self.repo.scan(filter_cond=Attr("version").lt(VERSION_KEY_BELOW))})

    def get(self, model_name: str, version: str) -> ModelVersion:
        _check_name(model_name)
        found = self.repo.get(model_name, version) if version and version < VERSION_KEY_BELOW else None
        if found is None:
            known = [v.version for v in self.list_versions(model_name)[:5]]
            raise RegistryError(f"{model_name} has no version {version!r}" + (f"; newest: {', '.join(known)}" if known else ""))
        return found

    def alias(self, model_name: str, alias: str) -> str | None:
        """The version an alias points at (one consistent GetItem: what serving polls)."""
        _check_name(model_name)
        _check_alias(alias)
        record = self.aliases.get(model_name, ALIAS_PREFIX + alias)
        if record is not None:
            return record.target
        if alias == "production":  # versions promoted before aliases existed
            legacy = next((v for v in self.list_versions(model_name) if v.status == "production"), None)
            return legacy.version if legacy else None
        return None

    def production(self, model_name: str) -> ModelVersion | None:
        target = self.alias(model_name, "production")
        return self.get(model_name, target) if target else None

    def candidate(self, model_name: str) -> ModelVersion | None:
        target = self.alias(model_name, "candidate")
        return self.get(model_name, target) if target else None

    def history(self, model_name: str, limit: int | None = None) -> list[RegistryEvent]:
        """The audit trail, newest first."""
        _check_name(model_name)
        return list(self.events.query(model_name, newest_first=True, max_items=limit,
                                      range_cond=RangeCond.begins_with(EVENT_PREFIX)))

    def good_versions(self, model_name: str) -> list[ModelVersion]:
        """Production first, then earlier production versions, most recently promoted first."""
        versions = self.list_versions(model_name)
        target = self.alias(model_name, "production")
        prod = [v for v in versions if v.version == target]
        prev = sorted((v for v in versions if v.status == "previous"), key=lambda v: v.promoted_at or "", reverse=True)
        return prod + prev

    # -------------------------------------------------------------- writing
    def publish(self, model_name: str, local_dir: Path, metrics: dict[str, Any] | None = None, *,
                data_window: DataWindow | None = None, revision: str | None = None, actor: str = "unspecified",
                reason: str = "published", parent_version: str | None = None,
                as_candidate: bool = True) -> str:
        """Upload every file of ``local_dir`` as a new version; returns the version.

        The version becomes the ``candidate`` alias (the challenger) unless ``as_candidate``
        is False. Publishing the same content twice returns the existing version (no duplicate).
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
                              s3_prefix=prefix, digest=digest,
                              artifact_uri=f"s3://{self.settings.artifacts_bucket}/{prefix}",
                              data_window=data_window, code_revision=revision or code_revision(),
                              produced_by=actor, parent_version=parent_version)
        self.blobs.put_json(prefix + MANIFEST, record.model_dump(mode="json"))
        event = self._event(model_name, "published", version, actor, reason,
                            details={"data_window": str(data_window) if data_window else None,
                                     "code_revision": record.code_revision})
        ops = [self._put(self.repo, record, new=True), self._put(self.events, event, new=True)]
        if as_candidate:
            ops.append(self._put(self.aliases, AliasRecord(model_name=model_name, alias="candidate", target=version,
                                                           updated_at=event.at, event=event.event_key)))
        self._transact(ops, f"publish {model_name} {version}")
        logger.info("model published", extra={"model": model_name, "version": version, "files": len(files),
                                               "candidate": as_candidate})
        return version

    def promote(self, model_name: str, version: str, *, actor: str = "unspecified", reason: str = "promoted",
                report_key: str | None = None, details: dict[str, Any] | None = None) -> ModelVersion:
        """Make ``version`` production; the current production becomes ``previous``; the
        ``candidate`` alias is cleared when it pointed at ``version``. One transaction with
        its audit event."""
        target = self.get(model_name, version)
        current = self.production(model_name)
        if current is not None and current.version == version:
            return current
        event = self._event(model_name, "promoted", version, actor, reason, replaced=current.version if current else None,
                            report_key=report_key, details=details)
        ops: list[dict[str, Any]] = [
            self._status_update(model_name, version, "production", target.status, event.at),
            self._put(self.events, event, new=True),
            self._alias_put(model_name, "production", version, event, expected=current.version if current else None),
        ]
        if current is not None:
            ops.append(self._status_update(model_name, current.version, "previous", "production", None))
        if self.alias(model_name, "candidate") == version:
            ops.append(self._alias_delete(model_name, "candidate", version))
        self._transact(ops, f"promote {model_name} {version}")
        logger.info("model promoted", extra={"model": model_name, "version": version, "actor": actor, "reason": reason,
                                             "replaced": current.version if current else None})
        return self.get(model_name, version)

    def reject(self, model_name: str, version: str, *, actor: str, reason: str, report_key: str | None = None,
               details: dict[str, Any] | None = None) -> ModelVersion:
        """Record that ``version`` was evaluated and not promoted (status ``rejected``; the
        ``candidate`` alias is cleared when it pointed at it), with the reason."""
        target = self.get(model_name, version)
        if target.status not in ("candidate", "rejected"):
            raise RegistryError(f"{model_name} {version} is {target.status}, only a candidate can be rejected")
        event = self._event(model_name, "rejected", version, actor, reason, report_key=report_key, details=details)
        ops = [self._put(self.events, event, new=True)]
        if target.status != "rejected":
            ops.append(self._status_update(model_name, version, "rejected", "candidate", None))
        if self.alias(model_name, "candidate") == version:
            ops.append(self._alias_delete(model_name, "candidate", version))
        self._transact(ops, f"reject {model_name} {version}")
        logger.warning("model rejected", extra={"model": model_name, "version": version, "actor": actor,
                                                "reason": reason})
        return self.get(model_name, version)

    def set_candidate(self, model_name: str, version: str, *, actor: str = "unspecified",
                      reason: str = "candidate set") -> ModelVersion:
        """Point the ``candidate`` alias (the experiment's treatment) at an existing version."""
        target = self.get(model_name, version)
        if target.status in ("production", "rolled_back"):
            raise RegistryError(f"{model_name} {version} is {target.status}; it cannot be the candidate")
        event = self._event(model_name, "candidate_set", version, actor, reason)
        self._transact([self._put(self.events, event, new=True),
                        self._put(self.aliases, AliasRecord(model_name=model_name, alias="candidate", target=version,
                                                            updated_at=event.at, event=event.event_key))],
                       f"set candidate {model_name} {version}")
        return target

    def rollback(self, model_name: str, *, actor: str = "unspecified", reason: str = "rolled back") -> ModelVersion:
        """Mark production ``rolled_back`` and restore the most recent previous version."""
        current = self.production(model_name)
        if current is None:
            raise RegistryError(f"{model_name} has no production version to roll back")
        previous = [v for v in self.good_versions(model_name) if v.status == "previous"]
        if not previous:
            raise RegistryError(f"{model_name} has no previous version to roll back to")
        target = previous[0]
        event = self._event(model_name, "rolled_back", target.version, actor, reason, replaced=current.version)
        self._transact([
            self._status_update(model_name, current.version, "rolled_back", "production", None),
            self._status_update(model_name, target.version, "production", "previous", event.at),
            self._put(self.events, event, new=True),
            self._alias_put(model_name, "production", target.version, event, expected=current.version),
        ], f"roll back {model_name}")
        logger.warning("model rolled back", extra={"model": model_name, "from": current.version, "to": target.version,
                                                   "actor": actor, "reason": reason})
        return self.get(model_name, target.version)

    # -------------------------------------------------------------- transaction parts
    @staticmethod
    def _event(model_name: str, action: Action, version: str, actor: str, reason: str, *, replaced: str | None = None,
               report_key: str | None = None, details: dict[str, Any] | None = None) -> RegistryEvent:
        at = _now()
        if not (actor or "").strip():
            raise RegistryError("every registry decision needs an actor (who or what decided)")
        return RegistryEvent(model_name=model_name, event_key=f"{EVENT_PREFIX}{at}#{uuid.uuid4().hex[:8]}", at=at,
                             action=action, model_version=version, replaced=replaced, actor=actor, reason=reason or action,
                             report_key=report_key, details=details or {})

    def _put(self, repo: TableRepository[Any], model: BaseModel, *, new: bool = False) -> dict[str, Any]:
        ser = TypeSerializer()
        put: dict[str, Any] = {"TableName": self.settings.model_registry_table,
                               "Item": {k: ser.serialize(v) for k, v in repo.item_of(model).items()}}
        if new:
            put["ConditionExpression"] = "attribute_not_exists(version)"
        return {"Put": put}

    def _alias_put(self, model_name: str, alias: str, target: str, event: RegistryEvent, *,
                   expected: str | None) -> dict[str, Any]:
        op = self._put(self.aliases, AliasRecord(model_name=model_name, alias=alias, target=target,  # type: ignore[arg-type]
                                                 updated_at=event.at, event=event.event_key))
        if expected is None:
            op["Put"]["ConditionExpression"] = "attribute_not_exists(version) OR attribute_not_exists(target)"
        else:  # nobody moved the alias since we read it
            op["Put"]["ConditionExpression"] = "attribute_not_exists(version) OR target = :expected"
            op["Put"]["ExpressionAttributeValues"] = {":expected": {"S": expected}}
        return op

    def _alias_delete(self, model_name: str, alias: str, expected: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.settings.model_registry_table,
                           "Key": {"model_name": {"S": model_name}, "version": {"S": ALIAS_PREFIX + alias}},
                           "ConditionExpression": "target = :expected",
                           "ExpressionAttributeValues": {":expected": {"S": expected}}}}

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

    def fetch_version(self, model_name: str, version: str, cache_dir: Path) -> Path:
        """Directory with exactly ``version``, verified (no fallback: evaluation and the
        experiment's treatment arm need that version or nothing)."""
        return self._materialise(self.get(model_name, version), Path(cache_dir))

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
