"""The conversation log: one item per chat turn in the Conversations table.

Written with exactly one `PutItem` on the /chat hot path (no read-modify-write); the
S3 learning-data copy is produced later by a job (`export_day`: a filtered scan, one
JSON Lines object per day with a fixed name, so a re-run replaces it). Keys:
PK `conversation_id`; GSI `by_user` = `user_id` + `created_at`.

On the request path the store is wrapped by :class:`DurableConversationLog`: a write the
table does not take within the request budget goes to the durable spool
(`nabiyam.storage.spool`) and :meth:`ConversationStore.reconcile` (the reconcile job)
stores it later; reads fall back to the spool, so feedback on a spooled turn is accepted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from boto3.dynamodb.conditions import Attr
from pydantic import BaseModel, Field

from nabiyam.resilience import Dependency, is_outage
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.blobs import BlobStore
from nabiyam.storage.dynamo import TableRepository
from nabiyam.storage.jsonl import JsonlWriter
from nabiyam.storage.spool import Spool

LEARNING_PREFIX = "conversations"


class ConversationRecord(BaseModel):
    conversation_id: str
    user_id: str
    session_id: str | None = None
    created_at: str = Field(description="ISO-8601 with +09:00")
    day: str = Field(description="YYYY-MM-DD, Asia/Seoul")
    message: str
    context: dict[str, Any] = Field(default_factory=dict)
    intent: str
    nlu_confidence: float
    nlu: dict[str, Any] = Field(default_factory=dict)
    candidates: list[dict[str, Any]] = Field(default_factory=list, description="Layer-1 candidates with scores")
    shown: list[dict[str, Any]] = Field(default_factory=list, description="the items in the answer, in order")
    response: str
    template: str
    result_count: int
    latency_ms: dict[str, float] = Field(default_factory=dict)
    model_versions: dict[str, str | None] = Field(default_factory=dict)
    variant: str
    fallback: bool = False
    nothing_fits: bool = False

    @property
    def shown_shop_ids(self) -> list[str]:
        return [str(item.get("shop_id")) for item in self.shown]


class ConversationStore:
    """Put/get/query conversation turns over the shared `TableRepository`."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.repo: TableRepository[ConversationRecord] = TableRepository(
            self.settings.conversations_table, ConversationRecord, hash_key="conversation_id",
            indexes={"by_user": ("user_id", "created_at")}, settings=self.settings)

    def put(self, record: ConversationRecord) -> None:
        self.repo.put(record)

    def get(self, conversation_id: str) -> ConversationRecord | None:
        return self.repo.get(conversation_id)

    def by_user(self, user_id: str, limit: int = 50) -> list[ConversationRecord]:
        """Newest first, following pagination until `limit` items."""
        return list(self.repo.query(user_id, index="by_user", newest_first=True, max_items=limit))

    def on_day(self, day: str) -> list[ConversationRecord]:
        """Every turn of one (Asia/Seoul) day, oldest first: a scan, for daily jobs only."""
        return sorted(self.repo.scan(filter_cond=Attr("day").eq(day)), key=lambda r: r.created_at)

    def export_day(self, day: str) -> str | None:
        """Write the day's turns to `s3://<learning>/conversations/dt=<day>/conversations.jsonl`."""
        writer = JsonlWriter(BlobStore(self.settings.learning_data_bucket, self.settings), LEARNING_PREFIX)
        records = [{**r.model_dump(mode="json"), "type": "conversation"} for r in self.on_day(day)]
        return writer.write(records, date.fromisoformat(day), name="conversations")

    def reconcile(self, spool: Spool) -> list[str]:
        """Store every spooled turn (a plain put: replays are idempotent); returns their days."""
        with spool.draining("conversations") as entries:
            days = []
            for entry in entries:
                record = ConversationRecord.model_validate(entry.record)
                self.put(record)
                days.append(record.day)
        return days


class ConversationSpooled(RuntimeError):
    """The table did not take the write in time; the turn is safe in the spool."""


class DurableConversationLog:
    """The conversation log of the request path: table first (within the budget), spool on outage.

    The chat pipeline calls :meth:`put` (a :class:`ConversationSpooled` tells it the write
    was spooled), the feedback service calls :meth:`get`.
    """

    def __init__(self, store: ConversationStore, spool: Spool, dynamodb: Dependency) -> None:
        self.store = store
        self.spool = spool
        self.dynamodb = dynamodb

    def put(self, record: ConversationRecord) -> None:
        try:
            self.dynamodb.call(self.store.put, record)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.spool.append("conversations", record.conversation_id, record.model_dump(mode="json"))
            raise ConversationSpooled(f"conversation {record.conversation_id} spooled: {exc}") from exc

    def get(self, conversation_id: str) -> ConversationRecord | None:
        """The turn from the table, else from the spool; raises the outage if neither has it."""
        try:
            found = self.dynamodb.call(self.store.get, conversation_id)
        except Exception as exc:
            if not is_outage(exc):
                raise
            spooled = self.spool.find("conversations", conversation_id)
            if spooled is None:
                raise
            return ConversationRecord.model_validate(spooled)
        if found is None:
            spooled = self.spool.find("conversations", conversation_id)
            return ConversationRecord.model_validate(spooled) if spooled is not None else None
        return found
