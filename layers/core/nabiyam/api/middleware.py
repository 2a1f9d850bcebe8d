"""Pure ASGI middleware (works the same under uvicorn and Mangum):

- a correlation id per request (client `X-Correlation-Id`, else the API Gateway request
  id, else a new one), set on the logger and returned in the `X-Correlation-Id` header;
- a body-size cap (413 before any JSON parsing);
- a last-resort catch: an unexpected exception becomes a JSON 500 with the correlation id,
  the stack trace goes to the log only.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from nabiyam.observability import get_logger

logger = get_logger("api")
MAX_BODY_BYTES = 64 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:=-]{1,128}$")

Scope = dict[str, Any]


def _json(status: int, code: str, message: str, cid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"error": {"code": code, "message": message, "fields": []}, "correlation_id": cid},
                      ensure_ascii=False).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"x-correlation-id", cid.encode())]}
    return start, {"type": "http.response.body", "body": body}


class ApiMiddleware:
    def __init__(self, app: Any, max_body_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_body_bytes = max_body_bytes

    @staticmethod
    def _correlation_id(scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"x-correlation-id":
                text = value.decode("latin-1")
                if _SAFE_ID.match(text):
                    return text
        event = scope.get("aws.event") or {}
        request_id = (event.get("requestContext") or {}).get("requestId") if isinstance(event, dict) else None
        if isinstance(request_id, str) and _SAFE_ID.match(request_id):
            return request_id
        return str(uuid.uuid4())

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = self._correlation_id(scope)
        scope.setdefault("state", {})["correlation_id"] = cid
        logger.set_correlation_id(cid)

        # Body cap: read the (small) body up front, answer 413 past the limit.
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._send_error(send, 413, "payload_too_large",
                                   f"request body exceeds {self.max_body_bytes} bytes", cid)
            return
        chunks: list[bytes] = []
        size = 0
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    await self._send_error(send, 413, "payload_too_large",
                                           f"request body exceeds {self.max_body_bytes} bytes", cid)
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            downstream_receive: Any = replay
        else:
            downstream_receive = receive

        started = False

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-correlation-id", cid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, downstream_receive, send_with_id)
        except Exception:  # noqa: BLE001 - last resort: log the trace, tell the client nothing internal
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not started:
                await self._send_error(send, 500, "internal_error",
                                       "unexpected server error; quote the correlation id when reporting it", cid)

    @staticmethod
    async def _send_error(send: Any, status: int, code: str, message: str, cid: str) -> None:
        start, body = _json(status, code, message, cid)
        await send(start)
        await send(body)
