"""The durable spool: writes that missed their table wait here for the reconcile job.

When the conversation or feedback table does not answer within the request budget, the
API still answers (a degraded ``/chat``, a ``202 queued`` feedback) and the record goes to
two places at once:

1. a structured log line ``{"spool": "<kind>", "spool_key": ..., "record": {...}}`` — in
   AWS the function's log group has a subscription filter on ``$.spool`` that hands these
   lines to the reconcile function (``functions/jobs/reconcile.py``), so a record survives
   even if the container dies;
2. an append-only JSON Lines file ``<spool_dir>/<kind>.jsonl`` (fsync'd) — locally this is
   what ``nabiyam jobs reconcile`` drains; in Lambda it lets the same container find a
   spooled conversation when feedback on it arrives before reconciliation.

Draining renames the file first (appenders then start a new one; an appender that opened
the old file re-checks under ``flock`` that it still writes the live file), replays every
line, and deletes the renamed file only after every line was stored. Replays are
idempotent (the same id, the same content), so a crash mid-drain replays again, harmlessly.

>>> import tempfile, pathlib
>>> spool = Spool(pathlib.Path(tempfile.mkdtemp()))
>>> spool.append("conversations", "c_1", {"conversation_id": "c_1"})
>>> spool.find("conversations", "c_1")
{'conversation_id': 'c_1'}
>>> with spool.draining("conversations") as entries:
...     [e.key for e in entries]
['c_1']
>>> spool.find("conversations", "c_1") is None
True
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nabiyam.domain.hours import KST
from nabiyam.observability import get_logger

logger = get_logger("spool")
KINDS = ("conversations", "feedback")


@dataclass(frozen=True)
class SpoolEntry:
    kind: str
    key: str
    record: dict[str, Any]
    spooled_at: str


class Spool:
    """Append-only, fsync'd JSON Lines per kind, plus the log line AWS replays."""

    def __init__(self, directory: Path, *, recent: int = 4096) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._recent_size = recent

    def _live(self, kind: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown spool kind {kind!r}; known: {', '.join(KINDS)}")
        return self.directory / f"{kind}.jsonl"

    def append(self, kind: str, key: str, record: dict[str, Any], *, announce: bool = True) -> None:
        """Keep `record` durably; raises OSError only when the file cannot be written.
        `announce=False`: no log line (the reconcile function re-spooling what a log line carried)."""
        entry = {"kind": kind, "key": key, "record": record,
                 "spooled_at": datetime.now(KST).isoformat(timespec="milliseconds")}
        if announce:  # the AWS path: a subscription filter on the API's log group replays this line
            logger.warning("write spooled for reconciliation",
                           extra={"spool": kind, "spool_key": key, "record": record})
        with self._lock:
            self._recent[(kind, key)] = record
            while len(self._recent) > self._recent_size:
                self._recent.popitem(last=False)
        line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._live(kind)
        while True:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    same = os.fstat(fd).st_ino == os.stat(path).st_ino
                except FileNotFoundError:
                    same = False
                if not same:  # a drain renamed it between open and lock: write the new live file
                    continue
                os.write(fd, line)
                os.fsync(fd)
                return
            finally:
                os.close(fd)

    def find(self, kind: str, key: str) -> dict[str, Any] | None:
        """A spooled record not yet reconciled (this process's recent ones, then the files)."""
        with self._lock:
            hit = self._recent.get((kind, key))
        if hit is not None:
            return hit
        for entry in self._read_all(kind):
            if entry.key == key:
                return entry.record
        return None

    def pending(self, kind: str) -> list[SpoolEntry]:
        return list(self._read_all(kind))

    def _files(self, kind: str) -> list[Path]:
        live = self._live(kind)
        return sorted(self.directory.glob(f"{kind}.*.draining")) + ([live] if live.exists() else [])

    def _read_all(self, kind: str) -> Iterator[SpoolEntry]:
        for path in self._files(kind):
            yield from _read(path)

    @contextmanager
    def draining(self, kind: str) -> Iterator[list[SpoolEntry]]:
        """Take every spooled entry of `kind`; the files are removed only if the block succeeds."""
        live = self._live(kind)
        if live.exists():
            taken = self.directory / f"{kind}.{uuid.uuid4().hex}.draining"
            os.rename(live, taken)
            fd = os.open(taken, os.O_RDONLY)
            try:  # wait for an appender that opened the file before the rename
                fcntl.flock(fd, fcntl.LOCK_EX)
            finally:
                os.close(fd)
        files = sorted(self.directory.glob(f"{kind}.*.draining"))
        entries = [e for path in files for e in _read(path)]
        yield entries
        for path in files:
            path.unlink(missing_ok=True)
        with self._lock:
            for entry in entries:
                self._recent.pop((kind, entry.key), None)


def _read(path: Path) -> Iterator[SpoolEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            yield SpoolEntry(str(data["kind"]), str(data["key"]), dict(data["record"]), str(data.get("spooled_at")))
        except (ValueError, KeyError, TypeError):  # a torn last line from a crash mid-write: skip, shout
            logger.error("unreadable spool line skipped", extra={"path": str(path), "line": line[:200]})


def log_entries(lines: list[dict[str, Any]]) -> list[SpoolEntry]:
    """Spool entries from structured log lines (the CloudWatch Logs subscription path)."""
    out = []
    for data in lines:
        kind, key, record = data.get("spool"), data.get("spool_key"), data.get("record")
        if kind in KINDS and isinstance(key, str) and isinstance(record, dict):
            out.append(SpoolEntry(str(kind), key, record, str(data.get("timestamp", ""))))
    return out
