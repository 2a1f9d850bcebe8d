"""The conversation log: one item per chat turn in the Conversations table.

Written with exactly one `PutItem` on the /chat hot path (no read-modify-write); the
S3 learning-data copy is produced later by a job from the `by_user`/table scan. Keys:
PK `conversation_id`; GSI `by_user` = `user_id` + `created_at`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel, Field

from nabiyam import aws
from nabiyam.settings import Settings, get_settings


def to_item(model: BaseModel) -> dict[str, Any]:
    """A JSON-mode dump with floats as Decimal (what boto3's serializer accepts)."""
    return json.loads(model.model_dump_json(), parse_float=Decimal)


def from_item(value: Any) -> Any:
    """Decimals back to int/float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_item(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_item(v) for v in value]
    return value


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
    """Put/get/query conversation turns (thin: the table is the source of truth)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()

    @property
    def table(self) -> Any:
        return aws.resource("dynamodb", self.settings).Table(self.settings.conversations_table)

    def put(self, record: ConversationRecord) -> None:
        self.table.put_item(Item=to_item(record))

    def get(self, conversation_id: str) -> ConversationRecord | None:
        item = self.table.get_item(Key={"conversation_id": conversation_id}, ConsistentRead=True).get("Item")
        return ConversationRecord.model_validate(from_item(item)) if item else None

    def by_user(self, user_id: str, limit: int = 50) -> list[ConversationRecord]:
        """Newest first, following pagination until `limit` items."""
        out: list[ConversationRecord] = []
        kwargs: dict[str, Any] = {"IndexName": "by_user", "KeyConditionExpression": Key("user_id").eq(user_id),
                                  "ScanIndexForward": False}
        while len(out) < limit:
            page = self.table.query(**kwargs)
            out.extend(ConversationRecord.model_validate(from_item(i)) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return out[:limit]
