"""Read the lake back as typed rows: one day, a range of days, or the days present.

``source`` is where the files are: ``None`` for the learning-data bucket of ``settings``
(in AWS, or the moto S3 of the local stack), a directory path for a local copy with the same
layout, or any :class:`~nabiyam.lake.store.LakeStore`. In AWS, Athena reads the same files
through the Glue tables declared in template.yaml (``nabiyam_<stage>.conversations`` /
``.feedback``, partition projection on ``dt``).

Example::

    from nabiyam.lake import read_day, read_range
    turns = read_day("conversations", "2026-11-02")                 # list[ConversationRow]
    week = read_range("feedback", "2026-11-02", "2026-11-08")       # list[FeedbackRow], oldest first
    turns = read_day("conversations", "2026-11-02", source="var/lake-copy")
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from pydantic import ValidationError

from nabiyam.lake.schema import SCHEMA_VERSION, LakeSchemaError, Row, row_model, table_prefix
from nabiyam.lake.store import LakeStore, open_store
from nabiyam.lake.writer import PART_SUFFIX, partition_prefix
from nabiyam.settings import Settings

Source = LakeStore | str | Path | None


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a day in the form YYYY-MM-DD") from None


def decode_part(kind: str, data: bytes, where: str = "") -> Iterator[Row]:
    """Rows of one part (gzipped or plain JSON Lines), validated against the schema."""
    model = row_model(kind)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LakeSchemaError(f"{where} line {n}: not JSON ({exc})") from None
        version = raw.get("schema_version", 1)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise LakeSchemaError(f"{where} line {n}: schema_version {version!r} is newer than this reader "
                                  f"({SCHEMA_VERSION}); upgrade nabiyam to read it")
        try:
            yield model.model_validate(raw)
        except ValidationError as exc:
            raise LakeSchemaError(f"{where} line {n}: not a {model.__name__}: {exc}") from None


def iter_day(kind: str, day: date | str, settings: Settings | None = None, *, source: Source = None
             ) -> Iterator[Row]:
    store = open_store(source, settings)
    for key in store.list(partition_prefix(kind, _day(day))):
        if key.endswith(PART_SUFFIX) or key.endswith(".jsonl"):
            yield from decode_part(kind, store.get(key), store.describe(key))


def read_day(kind: str, day: date | str, settings: Settings | None = None, *, source: Source = None) -> list[Row]:
    """Every row of table ``kind`` on Korean day ``day`` (empty when the day was not exported)."""
    return list(iter_day(kind, day, settings, source=source))


def iter_range(kind: str, start: date | str, end: date | str, settings: Settings | None = None, *,
               source: Source = None) -> Iterator[Row]:
    first, last = _day(start), _day(end)
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    store = open_store(source, settings)
    d = first
    while d <= last:
        yield from iter_day(kind, d, settings, source=store)
        d += timedelta(days=1)


def read_range(kind: str, start: date | str, end: date | str, settings: Settings | None = None, *,
               source: Source = None) -> list[Row]:
    """Rows of every day from ``start`` to ``end`` (both included), oldest day first."""
    return list(iter_range(kind, start, end, settings, source=source))


def partitions(kind: str, settings: Settings | None = None, *, source: Source = None) -> list[date]:
    """The days present in table ``kind``, oldest first."""
    store = open_store(source, settings)
    days = set()
    for key in store.list(table_prefix(kind) + "/dt="):
        part = key[len(table_prefix(kind)) + 1:].split("/", 1)[0]
        try:
            days.add(date.fromisoformat(part[3:]))
        except ValueError:
            continue
    return sorted(days)
