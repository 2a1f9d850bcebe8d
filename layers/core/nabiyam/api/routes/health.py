"""GET /health: loaded model versions, where they came from, and the stack's reachability.

Status and HTTP code follow the common health-check convention (pass / warn / fail):

- ``ok`` → 200: every part loaded, every dependency answered its probe;
- ``degraded`` → 200 with the reasons in ``problems``: a table or bucket is slow or down
  (each probed with ``health_probe_timeout_s``; an open circuit breaker is reported without
  probing) or a model fell back — answers still flow, writes go to the durable spool;
- ``down`` → 503: a critical part (NLU, catalogue, recommender) is missing; take the
  instance out of rotation.
"""

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
    down = any(part in rt.problems for part in CRITICAL if part != "nlu" or rt.nlu is None)
    status = "down" if down else ("degraded" if problems else "ok")
    cat = rt.catalogue
    body = HealthResponse(
        status=status, stage=services.settings.stage, models=dict(rt.versions), sources=dict(rt.sources),
        catalogue={"shops": len(cat) if cat is not None else 0, "loaded": cat is not None},
        stack=stack, problems=problems,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if down else 200,
                        headers={"Cache-Control": "no-store"})
