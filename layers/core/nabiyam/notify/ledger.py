"""The Slack message ledger: which message a report already is, so a retry edits it.

One DynamoDB item per (report, period, channel) in the Idempotency table (template.yaml
``IdempotencyTable``, key ``id``), e.g. ``slack#weekly_report#2026-W45#C0123``. It holds the
message ``ts`` that ``chat.postMessage`` returned; a retried run finds it and calls
``chat.update`` instead of posting again. Ledger items carry no ``expiration`` attribute,
so the table's TTL never removes them.

Example::

    ledger = MessageLedger()
    key = LedgerKey(report="weekly_report", period="2026-W45", channel="#nabiyam-report")
    ledger.get(key)                        # None before the first post
    ledger.record(key, channel_id="C0123", ts="1700000000.000100")
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, Field

from nabiyam.settings import Settings, get_settings
from nabiyam.storage.dynamo import TableRepository

PREFIX = "slack"


class LedgerKey(BaseModel):
    """What makes a report message unique: the report, its period and the channel."""

    report: str = Field(min_length=1)
    period: str = Field(min_length=1)
    channel: str = Field(min_length=1)

    @property
    def id(self) -> str:
        return f"{PREFIX}#{self.report}#{self.period}#{self.channel}"


class LedgerEntry(BaseModel):
    id: str
    report: str
    period: str
    channel: str
    channel_id: str = Field(description="the channel id Slack answered with (chat.update needs it)")
    ts: str = Field(description="the message timestamp: Slack's id of the message")
    posted_at: str
    updated_at: str
    updates: int = 0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class MessageLedger:
    """Reads and writes ledger entries (DynamoDB through the shared TableRepository)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.repo: TableRepository[LedgerEntry] = TableRepository(
            self.settings.idempotency_table, LedgerEntry, hash_key="id", settings=self.settings)

    def get(self, key: LedgerKey) -> LedgerEntry | None:
        return self.repo.get(key.id)

    def record(self, key: LedgerKey, *, channel_id: str, ts: str) -> LedgerEntry:
        """Remember a freshly posted message (overwrites an entry whose message was deleted)."""
        now = _now()
        entry = LedgerEntry(id=key.id, report=key.report, period=key.period, channel=key.channel,
                            channel_id=channel_id, ts=ts, posted_at=now, updated_at=now)
        self.repo.put(entry)
        return entry

    def touch(self, entry: LedgerEntry) -> LedgerEntry:
        """Note that the message was updated by a later run."""
        updated = entry.model_copy(update={"updated_at": _now(), "updates": entry.updates + 1})
        self.repo.put(updated)
        return updated
