"""JSON Lines files partitioned by date: ``<prefix>/dt=YYYY-MM-DD/<uuid>.jsonl``.

The learning-data layout: Athena/Glue and the training jobs read a day by its partition.
One file per write call keeps writers independent (no append, no read-modify-write).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from pydantic import BaseModel

from nabiyam.storage.blobs import BlobStore

Record = BaseModel | dict[str, Any]
_PREFIX = re.compile(r"^[A-Za-z0-9_\-./]+$")


def _line(record: Record) -> str:
    if isinstance(record, BaseModel):
        return record.model_dump_json() + "\n"
    return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n"


def partition_key(prefix: str, day: date, name: str | None = None) -> str:
    return f"{prefix.strip('/')}/dt={day.isoformat()}/{name or uuid.uuid4().hex}.jsonl"


class JsonlWriter:
    """Writes records as JSON Lines objects into a bucket, one date partition per file."""

    def __init__(self, store: BlobStore, prefix: str) -> None:
        if not prefix or not _PREFIX.match(prefix) or ".." in prefix:
            raise ValueError(f"invalid JSONL prefix {prefix!r}: use letters, digits, '-', '_', '/'")
        self.store = store
        self.prefix = prefix.strip("/")

    def write(self, records: Iterable[Record], day: date, *, name: str | None = None) -> str | None:
        """Write ``records`` of ``day`` as one object; returns its key (None if empty).

        ``name`` makes the key deterministic (a retried write overwrites, never duplicates).
        """
        body = "".join(_line(r) for r in records)
        if not body:
            return None
        key = partition_key(self.prefix, day, name)
        self.store.put_bytes(key, body.encode("utf-8"), "application/x-ndjson")
        return key

    def write_partitioned(self, records: Iterable[Record], day_of: Callable[[Record], date]) -> list[str]:
        """Group records by ``day_of(record)`` and write one object per day."""
        groups: dict[date, list[Record]] = defaultdict(list)
        for record in records:
            groups[day_of(record)].append(record)
        keys = [self.write(items, day) for day, items in sorted(groups.items())]
        return [k for k in keys if k]

    def days(self) -> list[date]:
        """The partitions present, oldest first."""
        out = []
        for p in self.store.list_prefixes(self.prefix + "/"):
            part = p.rstrip("/").rsplit("/", 1)[-1]
            if part.startswith("dt="):
                try:
                    out.append(date.fromisoformat(part[3:]))
                except ValueError:
                    continue
        return sorted(out)

    def read(self, day: date) -> Iterator[dict[str, Any]]:
        """Every record of ``day`` (all files of the partition, in key order)."""
        for blob in self.store.list(f"{self.prefix}/dt={day.isoformat()}/"):
            for line in self.store.get_bytes(blob.key).decode("utf-8").splitlines():
                if line.strip():
                    yield json.loads(line)
