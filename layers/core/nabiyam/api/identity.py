"""Who is asking. In AWS (`auth_mode=jwt`) the user is the JWT authorizer's `sub` claim,
taken from the API Gateway v2 event Mangum puts in the ASGI scope; a body `user_id`
may only repeat it (the body cannot act for someone else). In dev (`auth_mode=body`)
the body's `user_id` is trusted.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from nabiyam.chat.errors import Forbidden, Unauthorized, Unprocessable

AUTH_MODES = ("jwt", "body")


def jwt_claims(request: Request) -> dict[str, Any] | None:
    event = request.scope.get("aws.event") or {}
    try:
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    except (KeyError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def resolve_user(request: Request, body_user_id: str | None, auth_mode: str) -> str:
    if auth_mode == "jwt":
        claims = jwt_claims(request)
        subject = str(claims.get("sub") or "") if claims else ""
        if not subject:
            raise Unauthorized("no signed-in user: the request carries no JWT claims with a 'sub'")
        if body_user_id is not None and body_user_id != subject:
            raise Forbidden("user_id in the body does not match the signed-in user", field="user_id")
        return subject
    if auth_mode != "body":
        raise ValueError(f"auth_mode must be one of {AUTH_MODES}, got {auth_mode!r}")
    if not body_user_id:
        raise Unprocessable("user_id is required (in dev the user comes from the body)", field="user_id")
    return body_user_id
