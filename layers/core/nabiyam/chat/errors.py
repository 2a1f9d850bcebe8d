"""Errors the services raise and the API turns into 4xx/503 responses (never a stack trace)."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class Unprocessable(ServiceError):
    status, code = 422, "validation_error"


class Unavailable(ServiceError):
    """A dependency (table, bucket, catalogue) is down: 503 with the reason."""

    status, code = 503, "dependency_unavailable"
