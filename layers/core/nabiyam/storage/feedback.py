"""Feedback events in DynamoDB (source of truth) and their learning-data copy in S3.

Idempotency is a conditional put on the event id (PK `event_id`): a retried event never
creates a second item. The S3 copy is one JSON Lines object per event under
`feedback/dt=YYYY-MM-DD/<event_id>.jsonl`; the key is derived from the event id, so a
retry overwrites the same object instead of adding a duplicate line. An item whose copy
failed is found by comparing the day's items with the day's partition (`pending_exports`)
and re-exported on the client's retry or by a job: two writes on the hot path, nothing lost.
GSIs: `by_conversation` (`conversation_id` + `created_at`), `by_day` (`day` + `created_at`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from nabiyam.settings import Settings, get_settings
from nabiyam.storage.blobs import BlobStore
from nabiyam.storage.dynamo import TableRepository
from nabiyam.storage.jsonl import JsonlWriter, partition_key

LEARNING_PREFIX = "feedback"


class FeedbackRecord(BaseModel):
    event_id: str
    kind: Literal["response", "interaction"]
    conversation_id: str
    user_id: str
    created_at: str = Field(description="server time, ISO-8601 with +09:00")
    day: str = Field(description="YYYY-MM-DD, Asia/Seoul (the S3 partition)")
    feedback: Literal["like", "dislike"] | None = None
    reason: str | None = None
    reason_text: str | None = None
    satisfaction: int | None = None
    shop_id: str | None = None
    feedback_type: Literal["clicked", "ordered", "favorited"] | None = None
    client_ts: str | None = None
    variant: str | None = None
    model_versions: dict[str, str | None] = Field(default_factory=dict)
    payload_hash: str = Field(description="hash of the client payload: a reused event id with other content is a conflict")

    @property
    def learning_key(self) -> str:
        return partition_key(LEARNING_PREFIX, date.fromisoformat(self.day), self.event_id)

    def learning_record(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"payload_hash"})
        data["type"] = "feedback"
        return data


class FeedbackStore:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.repo: TableRepository[FeedbackRecord] = TableRepository(
            self.settings.feedback_table, FeedbackRecord, hash_key="event_id",
            indexes={"by_conversation": ("conversation_id", "created_at"), "by_day": ("day", "created_at")},
            settings=self.settings)
        self.learning = JsonlWriter(BlobStore(self.settings.learning_data_bucket, self.settings), LEARNING_PREFIX)

    def put_if_absent(self, record: FeedbackRecord) -> bool:
        """Store the event unless its id exists; True when this call stored it."""
        return self.repo.put_if_absent(record)

    def get(self, event_id: str) -> FeedbackRecord | None:
        return self.repo.get(event_id)

    def export(self, record: FeedbackRecord) -> str:
        """Write the S3 learning-data line; the key is named by the event id (idempotent)."""
        key = self.learning.write([record.learning_record()], date.fromisoformat(record.day), name=record.event_id)
        return key or record.learning_key

    def is_exported(self, record: FeedbackRecord) -> bool:
        return self.learning.store.exists(record.learning_key)

    def by_conversation(self, conversation_id: str) -> list[FeedbackRecord]:
        return list(self.repo.query(conversation_id, index="by_conversation"))

    def by_day(self, day: str) -> list[FeedbackRecord]:
        return list(self.repo.query(day, index="by_day"))

    def pending_exports(self, day: str) -> list[FeedbackRecord]:
        """Events of `day` whose S3 copy is missing (a job re-exports them: nothing is lost)."""
        prefix = partition_key(LEARNING_PREFIX, date.fromisoformat(day), "x").rsplit("/", 1)[0] + "/"
        present = {info.key for info in self.learning.store.list(prefix)}
        return [r for r in self.by_day(day) if r.learning_key not in present]
