"""The FastAPI application factory (the same app under uvicorn locally and Mangum in Lambda)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import FastAPI

from nabiyam.api import errors
from nabiyam.api.identity import AUTH_MODES
from nabiyam.api.middleware import ApiMiddleware
from nabiyam.api.routes import chat, feedback, health
from nabiyam.api.sim_clock import SimulatedClockMiddleware
from nabiyam.api.services import Services
from nabiyam.runtime import Runtime, get_runtime
from nabiyam.settings import Settings, get_settings

DESCRIPTION = """나비얌 API — 아동급식카드로 갈 수 있는 가까운 가게를 찾아 주는 챗봇.

* `POST /chat`: 아이가 쓴 문장 → 추천 가게 3~5곳과 다정한 답변
* `POST /recommendations`: NLU 결과 + 위치/시간 → 순위가 매겨진 가게 목록
* `POST /feedback`: 좋아요/싫어요, 클릭/주문/즐겨찾기 (event_id로 한 번만 저장)
* `GET /health`: 모델 버전과 스택 상태

Errors are `ErrorResponse` JSON naming the field at fault; every response carries `X-Correlation-Id`.
"""


def create_app(runtime: Runtime | Callable[[], Runtime] | None = None, settings: Settings | None = None,
               *, emit_metrics: bool = False) -> FastAPI:
    """`runtime`: a loaded Runtime, or a callable returning one (loaded on first request)."""
    settings = settings or get_settings()
    if settings.auth_mode not in AUTH_MODES:
        raise ValueError(f"NABIYAM_AUTH_MODE must be one of {AUTH_MODES}, got {settings.auth_mode!r}")
    provider: Callable[[], Runtime] = (runtime if callable(runtime) else
                                       (lambda: runtime) if runtime is not None else get_runtime)  # type: ignore[assignment]
    app = FastAPI(title="Nabiyam API", version="1.0.0", description=DESCRIPTION)
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
    app.include_router(chat.router)
    app.include_router(feedback.router)
    app.include_router(health.router)
    errors.install(app)
    app.add_middleware(ApiMiddleware)
    if settings.stage != "prod":  # dev/test only: the traffic simulator's clock header; prod never reads it
        app.add_middleware(SimulatedClockMiddleware, stage=settings.stage)
    return app
