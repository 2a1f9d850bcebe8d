"""Feedback events in DynamoDB (source of truth) and their learning-data copy in S3.

Idempotency is a conditional put on the event id (PK `event_id`): a retried event never
creates a second item. The S3 copy is one JSON Lines object per event under
`feedback/dt=YYYY-MM-DD/<event_id>.jsonl`; the key is derived from the event id, so a
retry overwrites the same object instead of adding a duplicate line, and an item whose
copy failed (`exported` false) is re-exported on retry or by `pending_exports(day)`.
GSIs: `by_conversation` (`conversation_id` + `created_at`), `by_day` (`day` + `created_at`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from nabiyam import aws
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.conversations import from_item, to_item

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
    exported: bool = False

    @property
    def learning_key(self) -> str:
        return f"{LEARNING_PREFIX}/dt={self.day}/{self.event_id}.jsonl"

    def learning_line(self) -> str:
        data = self.model_dump(mode="json", exclude={"exported", "payload_hash"})
        data["type"] = "feedback"
        return json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n"


class FeedbackStore:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()

    @property
    def table(self) -> Any:
        return aws.resource("dynamodb", self.settings).Table(self.settings.feedback_table)

    def put_if_absent(self, record: FeedbackRecord) -> bool:
        """Store the event unless its id exists; True when this call stored it."""
        try:
            self.table.put_item(Item=to_item(record), ConditionExpression=Attr("event_id").not_exists())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, event_id: str) -> FeedbackRecord | None:
        item = self.table.get_item(Key={"event_id": event_id}, ConsistentRead=True).get("Item")
        return FeedbackRecord.model_validate(from_item(item)) if item else None

    def export(self, record: FeedbackRecord) -> str:
        """Write the S3 learning-data line (idempotent key), then mark the item exported."""
        aws.client("s3", self.settings).put_object(
            Bucket=self.settings.learning_data_bucket, Key=record.learning_key,
            Body=record.learning_line().encode("utf-8"), ContentType="application/x-ndjson")
        self.table.update_item(Key={"event_id": record.event_id}, UpdateExpression="SET exported = :t",
                               ExpressionAttributeValues={":t": True})
        return record.learning_key

    def _query(self, index: str, key: str, value: str) -> list[FeedbackRecord]:
        out: list[FeedbackRecord] = []
        kwargs: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": Key(key).eq(value)}
        for _ in range(100_000):  # bounded: at most 100k pages
            page = self.table.query(**kwargs)
            out.extend(FeedbackRecord.model_validate(from_item(i)) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return out

    def by_conversation(self, conversation_id: str) -> list[FeedbackRecord]:
        return self._query("by_conversation", "conversation_id", conversation_id)

    def by_day(self, day: str) -> list[FeedbackRecord]:
        return self._query("by_day", "day", day)

    def pending_exports(self, day: str) -> list[FeedbackRecord]:
        """Events of `day` whose S3 copy is missing (a job re-exports them: nothing is lost)."""
        return [r for r in self.by_day(day) if not r.exported]
