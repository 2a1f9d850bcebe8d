"""Loss-free, idempotent feedback capture.

Order of work for one event: check the conversation exists and belongs to the user
(and, for interactions, that the shop was shown in it; conversations are cached, they
never change) → conditional put on the event id → S3 learning-data copy. A retry with the same `event_id` and the same content is
answered exactly like the first call; the same id with different content is a 409.
If the S3 copy fails after the item is stored, the event is still accepted (DynamoDB is
the source of truth) and is re-exported on the next retry or by `export_pending(day)`
(the scheduled reconcile job runs it).

Under a time budget (inside an API request) the answer is never a lie:

- the conversation cannot be read, or the put was never sent (breaker open, bulkhead full,
  budget spent, connection refused) → 503 with ``Retry-After``: nothing was stored;
- the put was sent but no answer came in time (it may still land) → the event goes to the
  durable spool and the answer is ``202 queued``; the reconcile job stores it (an
  idempotent put on the event id: if the first write landed, nothing changes).
Hot path for a new event: two writes (PutItem, PutObject) plus one cached read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from nabiyam import clock as nabiyam_clock
from nabiyam.chat.errors import Conflict, Forbidden, NotFound, Unavailable
from nabiyam.domain.hours import KST
from nabiyam.observability import get_logger
from nabiyam.resilience import Dependency, DependencyUnavailable, dependency, is_outage, was_sent
from nabiyam.storage.conversations import ConversationRecord, ConversationStore, DurableConversationLog
from nabiyam.storage.feedback import FeedbackRecord, FeedbackStore
from nabiyam.storage.spool import Spool

logger = get_logger("feedback")
AWS_ERRORS = (ClientError, BotoCoreError, DependencyUnavailable)
Outcome = Literal["stored", "replayed", "queued"]


def payload_hash(payload: dict) -> str:
    """Stable hash of what the client sent (minus identity, which may come from the JWT)."""
    clean = {k: v for k, v in payload.items() if k != "user_id" and v is not None}
    return hashlib.sha256(json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class FeedbackService:
    def __init__(self, feedback: FeedbackStore, conversations: ConversationStore | DurableConversationLog,
                 cache_size: int = 4096, *, spool: Spool | None = None, dynamodb: Dependency | None = None,
                 s3: Dependency | None = None):
        self.feedback = feedback
        self.conversations = conversations
        self.spool = spool
        self.dynamodb = dynamodb or dependency("dynamodb", feedback.settings)
        self.s3 = s3 or dependency("s3", feedback.settings)
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
                if isinstance(self.conversations, DurableConversationLog):
                    conv = self.conversations.get(conversation_id)  # guards its own calls
                else:
                    conv = self.dynamodb.call(self.conversations.get, conversation_id)
            except AWS_ERRORS as exc:
                raise Unavailable(f"conversation log unavailable ({_why(exc)}); nothing was stored, "
                                  f"retry the same event_id") from exc
            if conv is None:
                raise NotFound(f"unknown conversation_id {conversation_id!r}", field="conversation_id")
            with self._lock:
                self._cache[conversation_id] = conv
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if conv.user_id != user_id:
            raise Forbidden("this conversation belongs to another user", field="conversation_id")
        return conv

    def submit(self, payload: dict, user_id: str, now: datetime | None = None) -> tuple[FeedbackRecord, Outcome]:
        """Store one event; returns (the record, "stored" | "replayed" | "queued")."""
        kind = "interaction" if payload.get("feedback_type") else "response"
        digest = payload_hash(payload)
        conv = self._conversation(payload["conversation_id"], user_id)
        if kind == "interaction" and payload["shop_id"] not in conv.shown_shop_ids:
            # Well-formed, but at odds with what the conversation showed: a conflict, not a schema error.
            raise Conflict(f"shop_id {payload['shop_id']!r} was not shown in conversation "
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
            stored = self.dynamodb.call(self.feedback.put_if_absent, record)
        except AWS_ERRORS as exc:
            if self.spool is not None and is_outage(exc) and was_sent(exc):
                # The put may still land: never answer "not stored". Keep it durably, say so.
                self.spool.append("feedback", record.event_id, record.model_dump(mode="json"))
                return record, "queued"
            raise Unavailable(f"feedback table unavailable ({_why(exc)}); nothing was stored, "
                              f"retry the same event_id") from exc
        if stored:
            self._export(record)
            return record, "stored"
        # The id exists: a retry (answer as before) or a reuse with other content (409).
        try:
            existing = self.dynamodb.call(self.feedback.get, record.event_id)
        except AWS_ERRORS as exc:
            raise Unavailable(f"feedback table unavailable ({_why(exc)}); retry the same event_id") from exc
        if existing is None:
            raise Unavailable("feedback table answered inconsistently; retry the same event_id")
        return self._replay(existing, digest, user_id), "replayed"

    def _replay(self, existing: FeedbackRecord, digest: str, user_id: str) -> FeedbackRecord:
        if existing.user_id != user_id:
            raise Forbidden("this event_id belongs to another user", field="event_id")
        if existing.payload_hash != digest:
            raise Conflict("event_id was already used for a different event; use a new event_id", field="event_id")
        try:
            exported = self.s3.call(self.feedback.is_exported, existing)
        except AWS_ERRORS:
            exported = False
        if not exported:
            self._export(existing)
        return existing

    def _export(self, record: FeedbackRecord) -> bool:
        try:
            self.s3.call(self.feedback.export, record)
        except AWS_ERRORS as exc:
            # Accepted and stored in DynamoDB; the S3 copy is redone on retry or by
            # `export_pending` (scheduled). Loud, not fatal: the event itself is safe.
            logger.error("learning-data export failed; will retry", extra={"event_id": record.event_id,
                                                                           "error": _why(exc)})
            return False
        return True

    def export_pending(self, day: str) -> int:
        """Re-export every stored event of `day` whose S3 copy is missing; returns how many."""
        return sum(self._export(r) for r in self.feedback.pending_exports(day))

    def reconcile(self, spool: Spool) -> dict[str, int]:
        """Store every spooled event (idempotent on the event id) and export it; returns counts."""
        counts = {"stored": 0, "already_stored": 0, "conflicts": 0}
        with spool.draining("feedback") as entries:
            for entry in entries:
                record = FeedbackRecord.model_validate(entry.record)
                if self.feedback.put_if_absent(record):
                    counts["stored"] += 1
                    self._export(record)
                    continue
                existing = self.feedback.get(record.event_id)
                if existing is not None and existing.payload_hash != record.payload_hash:
                    # The client reused the id for other content meanwhile: the first stored wins, loudly.
                    logger.error("spooled feedback conflicts with a stored event; kept the stored one",
                                 extra={"event_id": record.event_id})
                    counts["conflicts"] += 1
                    continue
                counts["already_stored"] += 1
                if existing is not None and not self.feedback.is_exported(existing):
                    self._export(existing)
        return counts


def _why(exc: BaseException) -> str:
    if isinstance(exc, DependencyUnavailable):
        return str(exc)
    return type(exc).__name__
