"""POST /chat and GET/POST /recommendations.

Built per auth mode (:func:`build_router`): in dev (``auth_mode=body``) the request models
require ``user_id``, so the schema says what is enforced and ``{}`` names every missing field.
"""

# No `from __future__ import annotations`: the route signatures use the models chosen at build time.

from typing import Annotated

from fastapi import APIRouter, Query, Request

from nabiyam.api import schemas
from nabiyam.api.errors import ERROR_RESPONSES
from nabiyam.api.identity import resolve_user
from nabiyam.api.schemas import (ChatResponse, Degradation, NluOut, RecommendationOut, RecommendationsResponse)
from nabiyam.api.services import Services
from nabiyam.chat.errors import Unavailable
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import Recommendation, RequestContext
from nabiyam.observability import metrics


def _services(request: Request) -> Services:
    return request.app.state.services()


def _out(rec: Recommendation) -> RecommendationOut:
    return RecommendationOut.model_validate(rec.model_dump(exclude={"funnels"}))


def build_router(auth_mode: str) -> APIRouter:
    dev = auth_mode == "body"
    chat_model = schemas.DevChatRequest if dev else schemas.ChatRequest
    rec_model = schemas.DevRecommendationsRequest if dev else schemas.RecommendationsRequest
    query_model = schemas.DevRecommendationsQuery if dev else schemas.RecommendationsQuery
    router = APIRouter()

    @router.post("/chat", response_model=ChatResponse, responses=ERROR_RESPONSES, tags=["chat"],
                 summary="Ask for food: NLU → recommender → child-friendly answer")
    def chat(body: chat_model, request: Request) -> ChatResponse:  # type: ignore[valid-type]
        services = _services(request)
        user_id = resolve_user(request, body.user_id, services.settings.auth_mode)
        turn = services.pipeline.handle(user_id, body.message, body.context.to_context(), body.session_id)
        degraded: list[Degradation] = []
        if not turn.logged:
            spooled = services.spool is not None and services.spool.find(
                "conversations", turn.conversation_id) is not None
            degraded.append(Degradation.CONVERSATION_LOG_SPOOLED if spooled else Degradation.CONVERSATION_LOG_FAILED)
        if request.app.state.emit_metrics:
            for stage, ms in turn.latency_ms.items():
                metrics.add_metric(name=f"Latency_{stage}", unit="Milliseconds", value=ms)
            metrics.add_metric(name="NluConfidence", unit="None", value=turn.nlu.confidence)
            metrics.add_metric(name="ResultCount", unit="Count", value=len(turn.items))
            metrics.add_metric(name="ConversationLogFailures", unit="Count", value=0 if turn.logged else 1)
        return ChatResponse(
            conversation_id=turn.conversation_id, session_id=turn.session_id, response=turn.answer.text,
            recommendations=[_out(r) for r in turn.items], nlu=NluOut.model_validate(turn.nlu.model_dump()),
            model_versions=turn.model_versions, variant=turn.variant, fallback=turn.fallback,
            latency_ms={k: round(v, 3) for k, v in turn.latency_ms.items()}, degraded=degraded,
        )

    @router.post("/recommendations", response_model=RecommendationsResponse, responses=ERROR_RESPONSES,
                 tags=["chat"], summary="Ranked shops for an NLU result and a context (no NLG, no log)")
    def recommendations(body: rec_model, request: Request) -> RecommendationsResponse:  # type: ignore[valid-type]
        return _recommend(request, body.user_id, body.nlu.filters.to_filters(), body.context.to_context(),
                          body.nlu.semantic_query, body.k)

    @router.get("/recommendations", response_model=RecommendationsResponse, responses=ERROR_RESPONSES,
                tags=["chat"], summary="Ranked shops from query parameters (same as the POST form)")
    def recommendations_get(params: Annotated[query_model, Query()],  # type: ignore[valid-type]
                            request: Request) -> RecommendationsResponse:
        filters, context = params.to_request()
        return _recommend(request, params.user_id, filters, context, params.query, params.k)

    return router


def _recommend(request: Request, body_user: str | None, filters: Filters, context: RequestContext, query: str,
               k: int) -> RecommendationsResponse:
    services = _services(request)
    user_id = resolve_user(request, body_user, services.settings.auth_mode)
    if services.runtime.recommender is None:
        raise Unavailable(f"recommender not available: {services.runtime.reason('recommender')}")
    outcome = services.pipeline.recommend(user_id, filters, context, query, k)
    return RecommendationsResponse(user_id=user_id, recommendations=[_out(r) for r in outcome.items],
                                   model_version=outcome.model_version, fallback=outcome.fallback,
                                   nothing_fits=not outcome.items, suggestions=outcome.suggestions)
