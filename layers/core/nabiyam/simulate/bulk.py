"""The bulk path: the service's own core in this process, records collected, the lake written directly.

For one large day (≥ 100,000 conversations) the handler path spends almost all its time in
round trips to the moto server (one PutItem per turn, a conditional put, a read-back and an S3
object per feedback event). :class:`BulkService` answers the same requests with the same code
the API routes run, minus the transport and the tables:

* ``POST /chat``: the body is validated with the route's own request model
  (:class:`~nabiyam.api.schemas.DevChatRequest`), then :meth:`ChatPipeline.handle` — the same
  NLU, recommender, NLG and safety check, and the same :class:`ConversationRecord` built by
  the pipeline's own ``_log`` — answers; the response is the route's own
  :class:`~nabiyam.api.schemas.ChatResponse`.
* ``POST /feedback``: validated with the route's own body union, then
  :meth:`FeedbackService.submit` builds the :class:`FeedbackRecord` (same ownership check,
  same "was it shown" check, same idempotency on the event id: a retry is stored once).

The stores are in memory (:class:`MemoryConversationLog`, :class:`MemoryFeedbackStore`: the
service's store classes with the table calls replaced by a dict), and :meth:`BulkService.flush`
writes each Korean day's records to the lake with :func:`nabiyam.lake.write_partition`, the
writer ``export-logs`` uses. What the bulk path does not do: the per-event S3 learning-data
copy (``feedback/dt=…/<event_id>.jsonl``) and the DynamoDB items; the lake partitions are what
every downstream job reads. tests/simulate/test_bulk.py proves on a sample that the bulk path
writes the same lake rows as the handler path.

Example::

    service = BulkService(runtime, settings)            # a loaded nabiyam.runtime.Runtime
    status, body = service.post("/chat", {...}, at)     # as LambdaService.post
    service.flush(open_store("var/lake"), through="2026-11-02")
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from nabiyam.api.routes.chat import _out
from nabiyam.api.schemas import ChatResponse, DevChatRequest, FeedbackAccepted, NluOut, feedback_union
from nabiyam.chat.errors import Conflict, Forbidden, NotFound, Unavailable
from nabiyam.chat.pipeline import ChatPipeline
from nabiyam.clock import simulated
from nabiyam.feedback.service import FeedbackService
from nabiyam.lake.schema import ConversationRow, FeedbackRow
from nabiyam.lake.store import LakeStore
from nabiyam.lake.writer import write_partition
from nabiyam.runtime import Runtime
from nabiyam.settings import Settings
from nabiyam.storage.conversations import ConversationRecord, ConversationStore
from nabiyam.storage.feedback import FeedbackRecord, FeedbackStore

_STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Unavailable: 503}


class MemoryConversationLog(ConversationStore):
    """The conversation log with its table replaced by a dict (put/get are all the pipeline and
    the feedback service use). Records are kept by day for :meth:`BulkService.flush`."""

    def __init__(self, settings: Settings) -> None:  # no table: nothing of the parent's state is needed
        self.settings = settings
        self.records: dict[str, ConversationRecord] = {}

    def put(self, record: ConversationRecord) -> None:
        self.records[record.conversation_id] = record

    def get(self, conversation_id: str) -> ConversationRecord | None:
        return self.records.get(conversation_id)


class MemoryFeedbackStore(FeedbackStore):
    """The feedback table as a dict: ``put_if_absent`` on the event id, as the conditional put."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.records: dict[str, FeedbackRecord] = {}

    def put_if_absent(self, record: FeedbackRecord) -> bool:
        if record.event_id in self.records:
            return False
        self.records[record.event_id] = record
        return True

    def get(self, event_id: str) -> FeedbackRecord | None:
        return self.records.get(event_id)

    def export(self, record: FeedbackRecord) -> str:
        return record.learning_key   # no per-event S3 copy in bulk: the lake partition is written by flush

    def is_exported(self, record: FeedbackRecord) -> bool:
        return True


class BulkService:
    """A :class:`~nabiyam.simulate.service.Service` that runs the API's core in process."""

    def __init__(self, runtime: Runtime, settings: Settings, treatment_share: float = 0.0, *,
                 log: MemoryConversationLog | None = None, store: MemoryFeedbackStore | None = None) -> None:
        if settings.auth_mode != "body":
            raise ValueError(f"the bulk path sends user_id in the body (auth_mode 'body'); "
                             f"this stack has auth_mode {settings.auth_mode!r}")
        self.settings = settings
        # Passed in when the scenario reloads the service mid-run (incident): the records stay.
        self.log = log if log is not None else MemoryConversationLog(settings)
        self.store = store if store is not None else MemoryFeedbackStore(settings)
        # As Services.build wires them for the routes, with the stores in memory.
        self.pipeline = ChatPipeline(runtime, self.log, experiment=settings.experiment_name,
                                     treatment_share=treatment_share)
        self.feedback = FeedbackService(self.store, self.log)
        self._feedback_body: TypeAdapter[Any] = TypeAdapter(feedback_union(settings.auth_mode))
        self.calls = 0
        self.written: dict[str, dict[str, int]] = {}

    def post(self, path: str, body: dict[str, Any], at: datetime) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        with simulated(at):
            try:
                if path == "/chat":
                    return 200, self._chat(body)
                if path == "/feedback":
                    return 200, self._feedback(body)
            except ValidationError as exc:
                return 422, {"error": {"message": str(exc)}}
            except (NotFound, Forbidden, Conflict, Unavailable) as exc:
                return _STATUS[type(exc)], {"error": {"message": str(exc)}}
        return 404, {"error": {"message": f"no route {path}"}}

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        req = DevChatRequest.model_validate(body)
        turn = self.pipeline.handle(req.user_id, req.message, req.context.to_context(), req.session_id)
        return ChatResponse(
            conversation_id=turn.conversation_id, session_id=turn.session_id, response=turn.answer.text,
            recommendations=[_out(r) for r in turn.items], nlu=NluOut.model_validate(turn.nlu.model_dump()),
            model_versions=turn.model_versions, variant=turn.variant, fallback=turn.fallback,
            latency_ms={k: round(v, 3) for k, v in turn.latency_ms.items()}, degraded=[],
        ).model_dump(mode="json")

    def _feedback(self, body: dict[str, Any]) -> dict[str, Any]:
        req = self._feedback_body.validate_python(body)
        record, outcome = self.feedback.submit(req.model_dump(mode="json"), req.user_id)
        return FeedbackAccepted(event_id=record.event_id, status="stored", kind=record.kind,
                                conversation_id=record.conversation_id, stored_at=record.created_at
                                ).model_dump(mode="json")

    def flush(self, store: LakeStore, through: date | str | None = None) -> dict[str, dict[str, int]]:
        """Write every collected day up to ``through`` (all when None) to the lake, replacing its
        partitions, and drop those records from memory; returns rows written per day and table.

        Call it only for days no later request can add to: a session's greeting may fall just
        before midnight of the day before, so after simulating day D, flush through D − 1."""
        limit = (through.isoformat() if isinstance(through, date) else through) or "9999-12-31"
        days = sorted({r.day for r in self.log.records.values()} | {r.day for r in self.store.records.values()})
        out: dict[str, dict[str, int]] = {}
        for day in (d for d in days if d <= limit):
            convs = [ConversationRow.from_record(r) for r in self.log.records.values() if r.day == day]
            fbs = [FeedbackRow.from_record(r) for r in self.store.records.values() if r.day == day]
            out[day] = {"conversations": write_partition("conversations", day, convs, store).rows,
                        "feedback": write_partition("feedback", day, fbs, store).rows}
            for cid in [c for c, r in self.log.records.items() if r.day == day]:
                del self.log.records[cid]
            for eid in [e for e, r in self.store.records.items() if r.day == day]:
                del self.store.records[eid]
        self.written.update(out)
        return out

    def close(self) -> None:
        pass
