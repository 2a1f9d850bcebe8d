"""The FastAPI application factory (the same app under uvicorn locally and Mangum in Lambda)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from nabiyam.api import errors
from nabiyam.api.identity import AUTH_MODES
from nabiyam.api.middleware import ApiMiddleware
from nabiyam.api.routes import chat, feedback, health
from nabiyam.api.schemas import at_window
from nabiyam.api.services import Services
from nabiyam.runtime import Runtime, get_runtime
from nabiyam.settings import Settings, get_settings

DESCRIPTION = """나비얌 API — 아동급식카드로 갈 수 있는 가까운 가게를 찾아 주는 챗봇.

* `POST /chat`: 아이가 쓴 문장 → 추천 가게 3~5곳과 다정한 답변
* `GET|POST /recommendations`: NLU 결과 + 위치/시간 → 순위가 매겨진 가게 목록
* `POST /feedback`: 좋아요/싫어요, 클릭/주문/즐겨찾기 (event_id로 한 번만 저장)
* `GET /health`: 모델 버전과 스택 상태

Errors are `ErrorResponse` JSON naming every field at fault (415 for a body that is not JSON,
400 `malformed_json` for one that does not parse, 422 for invalid fields); every response carries
`X-Correlation-Id`. Each request has a time budget below the function's timeout: when a table does
not answer in time, `/chat` still answers (marked in `degraded`) and `/feedback` answers 503
(nothing stored) or 202 (queued durably) — never a 503 for an event that is then stored.
"""


def _location_parameter(spec: dict[str, Any]) -> None:
    """GET /recommendations: `lat` and `lon` as one exploded object parameter, so the schema can
    say they come together (OpenAPI cannot relate two separate parameters)."""
    operation = spec.get("paths", {}).get("/recommendations", {}).get("get")
    if not operation:
        return
    params = operation.get("parameters", [])
    pair = {p["name"]: p for p in params if p.get("in") == "query" and p["name"] in ("lat", "lon")}
    if set(pair) != {"lat", "lon"}:
        return
    properties = {}
    for name, param in pair.items():
        schema = dict(param["schema"])
        options = schema.pop("anyOf", None)
        if options:  # number | null → number: absent, not null
            schema.update(next(o for o in options if o.get("type") != "null"))
        schema.pop("default", None)
        properties[name] = schema
    operation["parameters"] = [p for p in params if p.get("name") not in pair] + [{
        "name": "location", "in": "query", "required": False, "style": "form", "explode": True,
        "description": "where the child is: `lat` and `lon` together (e.g. ?lat=37.4842&lon=126.9297) or neither",
        "schema": {"type": "object", "properties": properties, "required": ["lat", "lon"],
                   "additionalProperties": False},
    }]


def create_app(runtime: Runtime | Callable[[], Runtime] | None = None, settings: Settings | None = None,
               *, emit_metrics: bool = False) -> FastAPI:
    """`runtime`: a loaded Runtime, or a callable returning one (loaded on first request)."""
    settings = settings or get_settings()
    if settings.auth_mode not in AUTH_MODES:
        raise ValueError(f"NABIYAM_AUTH_MODE must be one of {AUTH_MODES}, got {settings.auth_mode!r}")
    provider: Callable[[], Runtime] = (runtime if callable(runtime) else
                                       (lambda: runtime) if runtime is not None else get_runtime)  # type: ignore[assignment]
    app = FastAPI(title="Nabiyam API", version="1.1.0", description=DESCRIPTION)
    lock = threading.Lock()
    built: list[Services] = []

    def services() -> Services:
        if not built:
            with lock:
                if not built:
                    built.append(Services.build(settings, provider()))
        return built[0]

    app.state.services = services
    app.state.emit_metrics = emit_metrics
    app.include_router(chat.build_router(settings.auth_mode))
    app.include_router(feedback.build_router(settings.auth_mode))
    app.include_router(health.router)
    errors.install(app)
    app.add_middleware(ApiMiddleware, settings=settings)

    generate = app.openapi
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        # The `at` pattern names the years around the clock: regenerate when they move.
        window = at_window()
        if cached.get("window") != window:
            app.openapi_schema = None
            spec = generate()
            _location_parameter(spec)
            cached.update(window=window, spec=spec)
        return cached["spec"]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
