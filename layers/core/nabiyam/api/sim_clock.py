"""Dev/test-only: the traffic simulator's clock over HTTP.

``create_app`` installs :class:`SimulatedClockMiddleware` only when ``Settings.stage`` is not
``prod``; in prod the header :data:`nabiyam.clock.SIM_TIME_HEADER` is never read, so a client
cannot move the service's clock. If the middleware were installed in prod anyway, it refuses
the request (403) instead of honouring the header (``nabiyam.clock.simulated`` raises).

Example (dev)::

    curl -X POST localhost:8000/chat -H 'x-nabiyam-sim-time: 2026-11-02T12:30:00+09:00' -d '...'
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from nabiyam.clock import SIM_TIME_HEADER, SimulatedClockRefused, simulated

_HEADER = SIM_TIME_HEADER.encode()


class SimulatedClockMiddleware:
    def __init__(self, app: Any, stage: str) -> None:
        self.app = app
        self.stage = stage

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        value = None
        if scope["type"] == "http":
            value = next((v for k, v in scope.get("headers", []) if k == _HEADER), None)
        if value is None:
            await self.app(scope, receive, send)
            return
        try:
            at = datetime.fromisoformat(value.decode("latin-1"))
            if at.tzinfo is None:
                raise ValueError("no UTC offset")
        except ValueError as exc:
            await _error(send, 400, f"{SIM_TIME_HEADER} must be an ISO-8601 time with offset: {exc}")
            return
        try:
            with simulated(at, stage=self.stage):
                await self.app(scope, receive, send)
        except SimulatedClockRefused as exc:
            await _error(send, 403, str(exc))


async def _error(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": {"code": "bad_request" if status == 400 else "forbidden", "message": message,
                                 "fields": [{"field": SIM_TIME_HEADER, "problem": message}]}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
