"""Pure ASGI middleware (works the same under uvicorn and Mangum):

- a correlation id per request (client `X-Correlation-Id`, else the API Gateway request
  id, else a new one), set on the logger and returned in the `X-Correlation-Id` header;
- the request's time budget (`nabiyam.resilience.request_budget`): the API function's
  Timeout less the answer reserve, or less when Lambda says fewer milliseconds remain;
- one body gate for every route, before any route sees the body: a size cap (413), a JSON
  content type (415), and a JSON parse with limits — valid UTF-8, nesting at most
  :data:`MAX_JSON_DEPTH`, integers of at most :data:`MAX_INT_DIGITS` digits, no
  ``NaN``/``Infinity``/overflowing floats — anything else is 400 ``malformed_json``;
- outside prod only, the simulated clock (`nabiyam.clock`): a request carrying
  ``X-Nabiyam-Sim-Time`` (ISO 8601 with an offset) runs with ``clock.now()`` at that time —
  the traffic simulator's days of traffic in minutes; in prod the header is ignored;
- a last-resort catch: an unexpected exception becomes a JSON 500 with the correlation id,
  the stack trace goes to the log only.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import uuid
from datetime import datetime
from typing import Any

from nabiyam import clock
from nabiyam.observability import get_logger
from nabiyam.resilience import request_budget
from nabiyam.settings import Settings, get_settings

logger = get_logger("api")
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
MAX_INT_DIGITS = 64
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:=-]{1,128}$")
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;.*)?$", re.IGNORECASE)

Scope = dict[str, Any]


class MalformedJson(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise MalformedJson(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > 2 * MAX_INT_DIGITS:
        raise MalformedJson(f"a number is longer than {2 * MAX_INT_DIGITS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise MalformedJson(f"the number {text[:20]} is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not valid JSON")


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def check_json(body: bytes) -> str | None:
    """None when `body` is JSON within the limits, else what is wrong with it.

    >>> check_json(b'{"a": [1, 2.5, "x"]}') is None
    True
    >>> check_json(b'{"a": 1' )
    "invalid JSON: Expecting ',' delimiter at line 1 column 8"
    >>> check_json(b'[' * 100 + b']' * 100)
    'JSON nested more than 32 levels deep'
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not valid UTF-8 (byte {exc.start})"
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except MalformedJson as exc:
        return str(exc)
    except RecursionError:
        return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError as exc:  # e.g. int() digit limits
        return f"invalid JSON: {exc}"
    if not _depth_ok(value):
        return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    return None


def _json(status: int, code: str, message: str, cid: str, fields: list[dict[str, str]] | None = None,
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    body = json.dumps({"error": {"code": code, "message": message, "fields": fields or []}, "correlation_id": cid},
                      ensure_ascii=False).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"x-correlation-id", cid.encode())]}
    return start, {"type": "http.response.body", "body": body}


class ApiMiddleware:
    def __init__(self, app: Any, max_body_bytes: int = MAX_BODY_BYTES, settings: Settings | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.settings = settings or get_settings()

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

    def _budget(self, scope: Scope) -> float:
        """The settings' budget, or less when the Lambda context says less time remains."""
        budget = self.settings.request_budget_s
        context = scope.get("aws.context")
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining_ms):
            try:
                budget = min(budget, remaining_ms() / 1000.0 - self.settings.answer_reserve_s)
            except (TypeError, ValueError):
                pass
        return max(0.1, budget)

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
            if body and not await self._body_ok(scope, body, send, cid):
                return
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

        sim_header = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                           if k == clock.SIM_TIME_HEADER.encode()), None)
        simulated: Any = contextlib.nullcontext()
        if sim_header is not None and clock.allowed(self.settings.stage):
            try:
                at = datetime.fromisoformat(sim_header.strip())
                if at.tzinfo is None:
                    raise ValueError("no UTC offset")
            except ValueError:
                await self._send_error(send, 400, "bad_header", f"{clock.SIM_TIME_HEADER} must be an ISO 8601 "
                                       f"date-time with an offset, e.g. 2026-11-02T12:30:00+09:00", cid,
                                       [{"field": f"header.{clock.SIM_TIME_HEADER}", "problem": "not a date-time"}])
                return
            simulated = clock.simulated(at, stage=self.settings.stage)
        try:
            with request_budget(self._budget(scope)), simulated:
                await self.app(scope, downstream_receive, send_with_id)
        except Exception:  # noqa: BLE001 - last resort: log the trace, tell the client nothing internal
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not started:
                await self._send_error(send, 500, "internal_error",
                                       "unexpected server error; quote the correlation id when reporting it", cid)

    async def _body_ok(self, scope: Scope, body: bytes, send: Any, cid: str) -> bool:
        content_type = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"content-type"), "")
        if not _JSON_TYPE.match(content_type.strip()):
            got = f"got {content_type!r}" if content_type else "no Content-Type was sent"
            await self._send_error(send, 415, "unsupported_media_type",
                                   f"send the body as JSON with Content-Type: application/json ({got})", cid,
                                   [{"field": "body", "problem": "Content-Type must be application/json"}])
            return False
        problem = check_json(body)
        if problem is not None:
            await self._send_error(send, 400, "malformed_json", f"request body is not valid JSON: {problem}", cid,
                                   [{"field": "body", "problem": problem}])
            return False
        return True

    @staticmethod
    async def _send_error(send: Any, status: int, code: str, message: str, cid: str,
                          fields: list[dict[str, str]] | None = None) -> None:
        start, body = _json(status, code, message, cid, fields)
        await send(start)
        await send(body)
