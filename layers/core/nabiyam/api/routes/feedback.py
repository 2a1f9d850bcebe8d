"""POST /feedback: like/dislike of an answer, or a click/order/favorite of a shown shop."""

# No `from __future__ import annotations`: the body type is chosen at build time.

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from nabiyam.api.errors import ERROR_RESPONSES
from nabiyam.api.identity import resolve_user
from nabiyam.api.schemas import ErrorResponse, FeedbackAccepted, feedback_union
from nabiyam.api.services import Services

RESPONSES = {**ERROR_RESPONSES,
             202: {"model": FeedbackAccepted,
                   "description": "queued: the table did not answer in time; the event is in the durable spool and "
                                  "is stored by the reconcile job (retrying the same event_id is safe)"},
             404: {"model": ErrorResponse, "description": "unknown conversation_id"},
             409: {"model": ErrorResponse, "description": "event_id reused for a different event, or shop_id was "
                                                          "not shown in that conversation"}}


def build_router(auth_mode: str) -> APIRouter:
    body_type = feedback_union(auth_mode)
    router = APIRouter()

    @router.post("/feedback", response_model=FeedbackAccepted, responses=RESPONSES, tags=["feedback"],
                 summary="Record feedback once per event_id (retries are answered the same way)")
    def feedback(body: Annotated[body_type, Body()], request: Request,  # type: ignore[valid-type]
                 response: Response) -> FeedbackAccepted:
        services: Services = request.app.state.services()
        user_id = resolve_user(request, body.user_id, services.settings.auth_mode)
        record, outcome = services.feedback.submit(body.model_dump(mode="json"), user_id)
        response.headers["Idempotent-Replay"] = "true" if outcome == "replayed" else "false"
        if outcome == "queued":
            response.status_code = 202
        if request.app.state.emit_metrics:
            from nabiyam.observability import metrics

            name = {"stored": "FeedbackStored", "replayed": "FeedbackReplayed", "queued": "FeedbackQueued"}[outcome]
            metrics.add_metric(name=name, unit="Count", value=1)
        return FeedbackAccepted(event_id=record.event_id, status="queued" if outcome == "queued" else "stored",
                                kind=record.kind, conversation_id=record.conversation_id,
                                stored_at=record.created_at)

    return router
