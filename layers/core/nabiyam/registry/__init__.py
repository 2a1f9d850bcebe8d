"""The model registry (module-level API over :class:`~nabiyam.registry.store.Registry`).

``publish`` → candidate; ``promote`` → production (the old one becomes previous);
``rollback``; ``production``; ``list_versions``; ``fetch`` → a verified local directory,
falling back to the last good version when the production artifact is missing or corrupt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nabiyam.registry.store import (
    LOCAL_MARKER,
    ModelCorrupt,
    ModelUnavailable,
    ModelVersion,
    Registry,
    RegistryError,
    read_local_marker,
)
from nabiyam.settings import Settings

__all__ = [
    "LOCAL_MARKER", "ModelCorrupt", "ModelUnavailable", "ModelVersion", "Registry", "RegistryError",
    "fetch", "list_versions", "production", "promote", "publish", "read_local_marker", "rollback",
]


def publish(model_name: str, local_dir: Path | str, metrics: dict[str, Any] | None = None,
            settings: Settings | None = None) -> str:
    return Registry(settings).publish(model_name, Path(local_dir), metrics)


def promote(model_name: str, version: str, settings: Settings | None = None) -> ModelVersion:
    return Registry(settings).promote(model_name, version)


def rollback(model_name: str, settings: Settings | None = None) -> ModelVersion:
    return Registry(settings).rollback(model_name)


def production(model_name: str, settings: Settings | None = None) -> ModelVersion | None:
    return Registry(settings).production(model_name)


def list_versions(model_name: str, settings: Settings | None = None) -> list[ModelVersion]:
    return Registry(settings).list_versions(model_name)


def fetch(model_name: str, cache_dir: Path | str, settings: Settings | None = None) -> Path:
    return Registry(settings).fetch(model_name, Path(cache_dir))
