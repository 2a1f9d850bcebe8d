"""Every error leaves as `ErrorResponse` JSON: a code, a message naming the field at fault,
and the correlation id. Never a stack trace (those go to the log, with the same id)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from nabiyam.api.schemas import ErrorBody, ErrorResponse, FieldProblem
from nabiyam.chat.errors import ServiceError
from nabiyam.domain.hours import TimeOutOfRange
from nabiyam.observability import get_logger

logger = get_logger("api")
_TAGS = {"like", "dislike", "interaction"}  # discriminator tags of the feedback union, not fields

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "malformed request (e.g. invalid JSON)"),
        (401, "no signed-in user (JWT mode)"),
        (403, "acting for another user"),
        (413, "request body too large"),
        (415, "the body is not JSON"),
        (422, "a field is missing or invalid; `fields` names it"),
        (503, "a dependency is down; `message` says which"),
    )
}


def correlation_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("correlation_id")


def error_response(request: Request | None, status: int, code: str, message: str,
                   fields: list[FieldProblem] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, fields=fields or []),
                         correlation_id=correlation_id(request) if request is not None else None)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _TAGS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "invalid JSON")
            return error_response(request, 400, "malformed_json", f"request body is not valid JSON: {detail}",
                                  [FieldProblem(field="body", problem=str(detail))])
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH") and content_type and "json" not in content_type.lower() and any(
            tuple(err.get("loc", ()))[:1] == ("body",) and len(err.get("loc", ())) == 1 for err in errors):
        return error_response(request, 415, "unsupported_media_type",
                              f"send the body as JSON with Content-Type: application/json (got {content_type!r})",
                              [FieldProblem(field="body", problem="Content-Type must be application/json")])
    problems: list[FieldProblem] = []
    for err in errors[:50]:
        name = field_name(tuple(err.get("loc", ())))
        msg = str(err.get("msg", "invalid"))
        if name == "body" and err.get("type") == "missing":
            msg = "a JSON request body is required"
        elif name == "body" and err.get("type") in ("model_attributes_type", "dict_type", "model_type"):
            msg = "the request body must be a JSON object" + (
                "" if content_type else " (send it with Content-Type: application/json)")
        problems.append(FieldProblem(field=name, problem=msg))
    message = "; ".join(f"{p.field}: {p.problem}" for p in problems[:5])
    return error_response(request, 422, "validation_error", message, problems)


def _service(request: Request, exc: ServiceError) -> JSONResponse:
    if exc.status >= 500:
        logger.error("dependency unavailable", extra={"reason": exc.message})
    fields = [FieldProblem(field=exc.field, problem=exc.message)] if exc.field else []
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return error_response(request, exc.status, exc.code, exc.message, fields, headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (a path may have one route per method)."""
    methods: set[str] = set()
    pending = list(request.app.router.routes)
    while pending:
        route = pending.pop()
        inner = getattr(route, "original_router", None)  # FastAPI wraps included routers
        if inner is not None:
            pending.extend(inner.routes)
            continue
        if not getattr(route, "methods", None):
            continue
        match, _ = route.matches(request.scope)
        if match in (Match.FULL, Match.PARTIAL):
            methods |= set(route.methods)
    return sorted(methods)


def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}
    headers = dict(getattr(exc, "headers", None) or {})
    message = str(exc.detail)
    if exc.status_code == 405:
        allow = allowed_methods(request)
        headers["Allow"] = ", ".join(allow)
        message = f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allow)}"
    return error_response(request, exc.status_code, codes.get(exc.status_code, "http_error"), message,
                          headers=headers or None)


def _time_range(request: Request, exc: TimeOutOfRange) -> JSONResponse:
    return error_response(request, 422, "validation_error", f"context.at: {exc}",
                          [FieldProblem(field="context.at", problem=str(exc))])


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(ServiceError, _service)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(TimeOutOfRange, _time_range)  # type: ignore[arg-type]
