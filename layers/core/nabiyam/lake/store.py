"""Where lake files live: the learning-data bucket (S3, or the moto S3 locally) or a plain
local directory with the same layout. The writer and the reader see only :class:`LakeStore`.

Example::

    >>> import tempfile
    >>> store = LocalLakeStore(tempfile.mkdtemp())
    >>> store.put("lake/feedback/dt=2026-11-02/part-00000.jsonl.gz", b"x")
    >>> store.list("lake/feedback/")
    ['lake/feedback/dt=2026-11-02/part-00000.jsonl.gz']
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from nabiyam.settings import Settings, get_settings
from nabiyam.storage.blobs import BlobStore


@runtime_checkable
class LakeStore(Protocol):
    """Keys are ``/``-separated paths below the store's root."""

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes) -> None: ...

    def delete(self, key: str) -> None: ...

    def describe(self, key: str) -> str:
        """A URI a person can paste (s3://bucket/key or a file path)."""


class S3LakeStore:
    """The learning-data bucket (``Settings.learning_data_bucket``)."""

    def __init__(self, settings: Settings | None = None, bucket: str | None = None) -> None:
        self.settings = settings or get_settings()
        self.blobs = BlobStore(bucket or self.settings.learning_data_bucket, self.settings)

    def list(self, prefix: str) -> list[str]:
        return sorted(info.key for info in self.blobs.list(prefix))

    def get(self, key: str) -> bytes:
        return self.blobs.get_bytes(key)

    def put(self, key: str, data: bytes) -> None:
        content_type = "application/x-ndjson" if ".jsonl" in key else "application/octet-stream"
        self.blobs.put_bytes(key, data, content_type)

    def delete(self, key: str) -> None:
        self.blobs.delete(key)

    def describe(self, key: str) -> str:
        return f"s3://{self.blobs.bucket}/{key}"


class LocalLakeStore:
    """A directory holding the same keys as files (tests, notebooks, a copy of the bucket)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid lake key {key!r}")
        return self.root / key

    def list(self, prefix: str) -> list[str]:
        base = self.root
        if not base.exists():
            return []
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*")
                      if p.is_file() and p.relative_to(base).as_posix().startswith(prefix))

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def describe(self, key: str) -> str:
        return str(self._path(key))


def open_store(source: LakeStore | str | Path | None = None, settings: Settings | None = None) -> LakeStore:
    """``None``: the learning-data bucket of ``settings``; a path: a local directory; a store: itself."""
    if source is None:
        return S3LakeStore(settings)
    if isinstance(source, (str, Path)):
        return LocalLakeStore(source)
    return source
