"""POST /feedback: like/dislike of an answer, or a click/order/favorite of a shown shop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from nabiyam.api.errors import ERROR_RESPONSES
from nabiyam.api.identity import resolve_user
from nabiyam.api.schemas import ErrorResponse, FeedbackAccepted, FeedbackRequest
from nabiyam.api.services import Services

router = APIRouter()
RESPONSES = {**ERROR_RESPONSES,
             404: {"model": ErrorResponse, "description": "unknown conversation_id"},
             409: {"model": ErrorResponse, "description": "event_id reused for a different event"}}


@router.post("/feedback", response_model=FeedbackAccepted, responses=RESPONSES, tags=["feedback"],
             summary="Record feedback once per event_id (retries are answered the same way)")
def feedback(body: Annotated[FeedbackRequest, Body()], request: Request, response: Response) -> FeedbackAccepted:
    services: Services = request.app.state.services()
    user_id = resolve_user(request, body.user_id, services.settings.auth_mode)
    record, new = services.feedback.submit(body.model_dump(mode="json"), user_id)
    response.headers["Idempotent-Replay"] = "false" if new else "true"
    if request.app.state.emit_metrics:
        from nabiyam.observability import metrics

        metrics.add_metric(name="FeedbackStored" if new else "FeedbackReplayed", unit="Count", value=1)
    return FeedbackAccepted(event_id=record.event_id, kind=record.kind, conversation_id=record.conversation_id,
                            stored_at=record.created_at)
