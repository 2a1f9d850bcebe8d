"""The conversation log: one item per chat turn in the Conversations table.

Written with exactly one `PutItem` on the /chat hot path (no read-modify-write); the
S3 learning-data copy is produced later by a job from the `by_user`/table scan. Keys:
PK `conversation_id`; GSI `by_user` = `user_id` + `created_at`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from nabiyam.settings import Settings, get_settings
from nabiyam.storage.dynamo import TableRepository


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
