"""The model registry (module-level API over :class:`~nabiyam.registry.store.Registry`).

``publish`` → a new version, the ``candidate`` alias; ``promote`` → the ``production``
alias (the old one becomes previous); ``reject``; ``rollback``; ``production`` /
``candidate``; ``list_versions``; ``history`` (the audit trail); ``fetch`` → a verified
local directory, falling back to the last good version when the production artifact is
missing or corrupt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nabiyam.registry.store import (
    ALIASES,
    LOCAL_MARKER,
    AliasRecord,
    DataWindow,
    ModelCorrupt,
    ModelUnavailable,
    ModelVersion,
    Registry,
    RegistryError,
    RegistryEvent,
    code_revision,
    read_local_marker,
)
from nabiyam.settings import Settings

__all__ = [
    "ALIASES", "LOCAL_MARKER", "AliasRecord", "DataWindow", "ModelCorrupt", "ModelUnavailable", "ModelVersion",
    "Registry", "RegistryError", "RegistryEvent", "candidate", "code_revision", "fetch", "history", "list_versions",
    "production", "promote", "publish", "read_local_marker", "reject", "rollback",
]


def publish(model_name: str, local_dir: Path | str, metrics: dict[str, Any] | None = None,
            settings: Settings | None = None, **kw: Any) -> str:
    """New version from a directory; keyword extras (``data_window``, ``actor``, ``reason``,
    ``parent_version``, ``as_candidate``, ``revision``) go to :meth:`Registry.publish`."""
    return Registry(settings).publish(model_name, Path(local_dir), metrics, **kw)


def promote(model_name: str, version: str, settings: Settings | None = None, **kw: Any) -> ModelVersion:
    return Registry(settings).promote(model_name, version, **kw)


def reject(model_name: str, version: str, settings: Settings | None = None, *, actor: str, reason: str,
           **kw: Any) -> ModelVersion:
    return Registry(settings).reject(model_name, version, actor=actor, reason=reason, **kw)


def rollback(model_name: str, settings: Settings | None = None, **kw: Any) -> ModelVersion:
    return Registry(settings).rollback(model_name, **kw)


def production(model_name: str, settings: Settings | None = None) -> ModelVersion | None:
    return Registry(settings).production(model_name)


def candidate(model_name: str, settings: Settings | None = None) -> ModelVersion | None:
    return Registry(settings).candidate(model_name)


def list_versions(model_name: str, settings: Settings | None = None) -> list[ModelVersion]:
    return Registry(settings).list_versions(model_name)


def history(model_name: str, settings: Settings | None = None, limit: int | None = None) -> list[RegistryEvent]:
    return Registry(settings).history(model_name, limit)


def fetch(model_name: str, cache_dir: Path | str, settings: Settings | None = None) -> Path:
    return Registry(settings).fetch(model_name, Path(cache_dir))
