"""Loss-free, idempotent feedback capture.

Order of work for one event: check the conversation exists and belongs to the user
(and, for interactions, that the shop was shown in it; conversations are cached, they
never change) → conditional put on the event id → S3 learning-data copy. A retry with the same `event_id` and the same content is
answered exactly like the first call; the same id with different content is a 409.
If the S3 copy fails after the item is stored, the event is still accepted (DynamoDB is
the source of truth) and is re-exported on the next retry or by `export_pending(day)`.
Hot path for a new event: two writes (PutItem, PutObject) plus one cached read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from nabiyam import clock as nabiyam_clock
from nabiyam.chat.errors import Conflict, Forbidden, NotFound, Unavailable, Unprocessable
from nabiyam.domain.hours import KST
from nabiyam.observability import get_logger
from nabiyam.storage.conversations import ConversationRecord, ConversationStore
from nabiyam.storage.feedback import FeedbackRecord, FeedbackStore

logger = get_logger("feedback")
AWS_ERRORS = (ClientError, BotoCoreError)


def payload_hash(payload: dict) -> str:
    """Stable hash of what the client sent (minus identity, which may come from the JWT)."""
    clean = {k: v for k, v in payload.items() if k != "user_id" and v is not None}
    return hashlib.sha256(json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class FeedbackService:
    def __init__(self, feedback: FeedbackStore, conversations: ConversationStore, cache_size: int = 4096):
        self.feedback = feedback
        self.conversations = conversations
        # Conversation turns never change once written, so who owns one and what it showed
        # can be cached per container: a burst of feedback on one answer reads it once.
        self._cache: OrderedDict[str, ConversationRecord] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _conversation(self, conversation_id: str, user_id: str) -> ConversationRecord:
        with self._lock:
            conv = self._cache.get(conversation_id)
        if conv is None:
            try:
                conv = self.conversations.get(conversation_id)
            except AWS_ERRORS as exc:
                raise Unavailable(f"conversation log unavailable: {type(exc).__name__}") from exc
            if conv is None:
                raise NotFound(f"unknown conversation_id {conversation_id!r}", field="conversation_id")
            with self._lock:
                self._cache[conversation_id] = conv
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if conv.user_id != user_id:
            raise Forbidden("this conversation belongs to another user", field="conversation_id")
        return conv

    def submit(self, payload: dict, user_id: str, now: datetime | None = None) -> tuple[FeedbackRecord, bool]:
        """Store one event; returns (the stored record, True if this call stored it)."""
        kind = "interaction" if payload.get("feedback_type") else "response"
        digest = payload_hash(payload)
        conv = self._conversation(payload["conversation_id"], user_id)
        if kind == "interaction" and payload["shop_id"] not in conv.shown_shop_ids:
            raise Unprocessable(f"shop_id {payload['shop_id']!r} was not shown in conversation "
                                f"{conv.conversation_id!r}", field="shop_id")
        now = (now or nabiyam_clock.now()).astimezone(KST)
        client_ts = payload.get("client_ts")
        record = FeedbackRecord(
            event_id=payload["event_id"], kind=kind, conversation_id=conv.conversation_id, user_id=user_id,
            created_at=now.isoformat(timespec="milliseconds"), day=now.date().isoformat(),
            feedback=payload.get("feedback"), reason=payload.get("reason"), reason_text=payload.get("reason_text"),
            satisfaction=payload.get("satisfaction"), shop_id=payload.get("shop_id"),
            feedback_type=payload.get("feedback_type"),
            client_ts=client_ts.isoformat() if isinstance(client_ts, datetime) else client_ts,
            variant=conv.variant, model_versions=conv.model_versions, payload_hash=digest,
        )
        try:
            stored = self.feedback.put_if_absent(record)
        except AWS_ERRORS as exc:
            raise Unavailable(f"feedback table unavailable: {type(exc).__name__}") from exc
        if stored:
            self._export(record)
            return record, True
        # The id exists: a retry (answer as before) or a reuse with other content (409).
        try:
            existing = self.feedback.get(record.event_id)
        except AWS_ERRORS as exc:
            raise Unavailable(f"feedback table unavailable: {type(exc).__name__}") from exc
        if existing is None:
            raise Unavailable("feedback table answered inconsistently; retry the same event_id")
        return self._replay(existing, digest, user_id), False

    def _replay(self, existing: FeedbackRecord, digest: str, user_id: str) -> FeedbackRecord:
        if existing.user_id != user_id:
            raise Forbidden("this event_id belongs to another user", field="event_id")
        if existing.payload_hash != digest:
            raise Conflict("event_id was already used for a different event; use a new event_id", field="event_id")
        try:
            exported = self.feedback.is_exported(existing)
        except AWS_ERRORS:
            exported = False
        if not exported:
            self._export(existing)
        return existing

    def _export(self, record: FeedbackRecord) -> bool:
        try:
            self.feedback.export(record)
        except AWS_ERRORS as exc:
            # Accepted and stored in DynamoDB; the S3 copy is redone on retry or by
            # `export_pending`. Loud, not fatal: the event itself is safe.
            logger.error("learning-data export failed; will retry", extra={"event_id": record.event_id,
                                                                           "error": type(exc).__name__})
            return False
        return True

    def export_pending(self, day: str) -> int:
        """Re-export every stored event of `day` whose S3 copy is missing; returns how many."""
        return sum(self._export(r) for r in self.feedback.pending_exports(day))
