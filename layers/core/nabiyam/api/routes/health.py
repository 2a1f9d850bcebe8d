"""GET /health: loaded model versions, where they came from, and the stack's reachability."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from nabiyam.api.schemas import HealthResponse
from nabiyam.api.services import Services

router = APIRouter()
CRITICAL = ("nlu", "catalogue", "recommender")


@router.get("/health", response_model=HealthResponse, tags=["ops"],
            responses={503: {"model": HealthResponse, "description": "a critical part is down"}})
def health(request: Request) -> JSONResponse:
    services: Services = request.app.state.services()
    rt = services.runtime
    stack = services.stack_status()
    problems = [f"{k}: {v}" for k, v in sorted(rt.problems.items())]
    problems += [f"{k}: {v}" for k, v in stack.items() if v != "ok"]
    down = any(part in rt.problems for part in CRITICAL if part != "nlu" or rt.nlu is None) or any(
        v != "ok" for v in stack.values())
    status = "down" if down else ("degraded" if problems else "ok")
    cat = rt.catalogue
    body = HealthResponse(
        status=status, stage=services.settings.stage, models=dict(rt.versions), sources=dict(rt.sources),
        catalogue={"shops": len(cat) if cat is not None else 0, "loaded": cat is not None},
        stack=stack, problems=problems,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if down else 200)
