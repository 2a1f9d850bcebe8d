"""Write one day of one lake table: deterministic bytes, and a re-run replaces the partition.

Rows are sorted (``created_at``, then the id), serialised as JSON Lines with sorted keys and
compact separators, split into parts of at most ``rows_per_part`` rows and gzipped with a
zero mtime: the same rows always give the same bytes. The new parts are written first, then
every other object of the partition is deleted, so a second run for a day leaves exactly
one copy of each row (never duplicates), and a day that became empty is left empty.

Example::

    >>> import tempfile
    >>> from nabiyam.lake.store import LocalLakeStore
    >>> from nabiyam.lake.schema import FeedbackRow
    >>> row = FeedbackRow(event_id="e1", kind="response", conversation_id="c1", user_id="u1",
    ...                   created_at="2026-11-02T12:00:00.000+09:00", day="2026-11-02",
    ...                   feedback="like", payload_hash="h")
    >>> store = LocalLakeStore(tempfile.mkdtemp())
    >>> write_partition("feedback", "2026-11-02", [row], store).keys
    ['lake/feedback/dt=2026-11-02/part-00000.jsonl.gz']
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from nabiyam.lake.schema import LakeSchemaError, Row, row_model, table_prefix
from nabiyam.lake.store import LakeStore

#: Rows per object: bounds the memory of a writer and a reader (~100 MB of JSON at most).
ROWS_PER_PART = 20_000
PART_SUFFIX = ".jsonl.gz"


def partition_prefix(kind: str, day: date | str) -> str:
    """``lake/<kind>/dt=YYYY-MM-DD/``."""
    d = day if isinstance(day, date) else date.fromisoformat(day)
    return f"{table_prefix(kind)}/dt={d.isoformat()}/"


def part_key(kind: str, day: date | str, index: int) -> str:
    return f"{partition_prefix(kind, day)}part-{index:05d}{PART_SUFFIX}"


def encode_rows(rows: Sequence[Row]) -> bytes:
    """JSON Lines, one row a line, sorted keys, UTF-8 (Korean kept as is)."""
    return "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")) + "\n" for r in rows).encode("utf-8")


def compress(data: bytes) -> bytes:
    """gzip with mtime 0 and no file name: identical input, identical bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


@dataclass
class PartitionWrite:
    kind: str
    day: str
    rows: int
    keys: list[str] = field(default_factory=list)
    bytes: int = 0
    removed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {"rows": self.rows, "parts": len(self.keys), "bytes": self.bytes, "keys": self.keys,
                "removed": self.removed}


def write_partition(kind: str, day: date | str, rows: Iterable[Row], store: LakeStore, *,
                    rows_per_part: int = ROWS_PER_PART) -> PartitionWrite:
    """Replace the ``day`` partition of table ``kind`` with ``rows`` (all of that day)."""
    if rows_per_part < 1:
        raise ValueError("rows_per_part must be at least 1")
    model = row_model(kind)
    d = day if isinstance(day, date) else date.fromisoformat(day)
    ordered = sorted(rows, key=lambda r: r.sort_key)
    for r in ordered:
        if not isinstance(r, model):
            raise LakeSchemaError(f"table {kind!r} takes {model.__name__} rows, got {type(r).__name__}")
        if r.day != d.isoformat():
            raise LakeSchemaError(f"row of day {r.day} cannot go to partition dt={d.isoformat()} of {kind!r}")
    out = PartitionWrite(kind=kind, day=d.isoformat(), rows=len(ordered))
    for i in range(0, len(ordered), rows_per_part):
        key = part_key(kind, d, i // rows_per_part)
        data = compress(encode_rows(ordered[i:i + rows_per_part]))
        store.put(key, data)
        out.keys.append(key)
        out.bytes += len(data)
    keep = set(out.keys)
    for key in store.list(partition_prefix(kind, d)):
        if key not in keep:
            store.delete(key)
            out.removed.append(key)
    return out
