"""How simulated requests reach the real service.

* :class:`LambdaService` (default): the API Lambda's own module ``functions/api/app.py`` is
  imported afresh (a cold start, with the runtime the scenario chose), and every request is an
  API Gateway HTTP API (payload v2) event passed to its ``handler`` — Mangum, Powertools,
  FastAPI, the pipeline, DynamoDB (the local moto stack) — in this process. The simulated
  time is set with :func:`nabiyam.clock.simulated` around each call.
* :class:`HttpService` (``--url``): plain HTTP against ``nabiyam serve``; the simulated time
  travels in the dev-only header :data:`nabiyam.clock.SIM_TIME_HEADER`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from nabiyam.clock import SIM_TIME_HEADER, simulated

REPO = Path(__file__).resolve().parents[4]
API_HANDLER = REPO / "functions" / "api" / "app.py"


class Service(Protocol):
    calls: int

    def post(self, path: str, body: dict[str, Any], at: datetime) -> tuple[int, dict[str, Any]]:
        """POST ``body`` (JSON) to ``path`` at simulated time ``at``; → (status, JSON body)."""


@dataclass
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "nabiyam-sim-api"
    memory_limit_in_mb: int = 1769
    invoked_function_arn: str = "arn:aws:lambda:ap-northeast-2:123456789012:function:nabiyam-sim-api"
    aws_request_id: str = "sim"


def api_gateway_event(path: str, body: dict[str, Any], at: datetime, request_id: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as API Gateway sends it."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return {
        "version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "content-length": str(len(raw)),
                    "user-agent": "nabiyam-simulator/1.0", "host": "sim.execute-api.ap-northeast-2.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "sim", "domainName": "sim.execute-api.ap-northeast-2.amazonaws.com",
            "domainPrefix": "sim", "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                                            "sourceIp": "127.0.0.1", "userAgent": "nabiyam-simulator/1.0"},
            "requestId": request_id, "routeKey": f"POST {path}", "stage": "$default",
            "time": at.strftime("%d/%b/%Y:%H:%M:%S %z"), "timeEpoch": int(at.timestamp() * 1000)},
        "body": base64.b64encode(raw).decode(), "isBase64Encoded": True,
    }


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_api_handler(runtime: Any, env: dict[str, str] | None = None) -> ModuleType:
    """Import ``functions/api/app.py`` afresh (a cold start) serving ``runtime``; ``env`` is the
    function's environment for the import (e.g. ``NABIYAM_TREATMENT_SHARE``)."""
    from nabiyam import runtime as runtime_mod
    from nabiyam.settings import get_settings

    if not API_HANDLER.exists():
        raise FileNotFoundError(f"{API_HANDLER} not found: the in-process simulator needs the repository checkout "
                                f"(or use --url against `nabiyam serve`)")
    with _env({"POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"), **(env or {})}):
        get_settings.cache_clear()
        runtime_mod.set_runtime(runtime)
        try:
            spec = importlib.util.spec_from_file_location(f"nabiyam_sim_api_{uuid.uuid4().hex[:8]}", API_HANDLER)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            runtime_mod.set_runtime(None)
            get_settings.cache_clear()
    return module


class LambdaService:
    """Requests through the API Lambda's ``handler`` in this process."""

    def __init__(self, module: ModuleType, quiet: bool = True) -> None:
        self.module = module
        self.quiet = quiet
        self.calls = 0
        self._devnull = open(os.devnull, "w")  # noqa: SIM115 - the EMF metrics line per call goes nowhere

    def post(self, path: str, body: dict[str, Any], at: datetime) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        rid = "sim-" + hashlib.sha1(f"{self.calls}:{path}:{at.isoformat()}".encode()).hexdigest()[:16]
        event = api_gateway_event(path, body, at, rid)
        with simulated(at), (contextlib.redirect_stdout(self._devnull) if self.quiet else contextlib.nullcontext()):
            out = self.module.handler(event, LambdaContext(aws_request_id=rid))
        text = out.get("body") or ""
        if out.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        return int(out["statusCode"]), (json.loads(text) if text else {})

    def close(self) -> None:
        self._devnull.close()


class HttpService:
    """Requests over HTTP (``nabiyam serve``), simulated time in the dev-only header."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        import httpx

        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        self.calls = 0

    def post(self, path: str, body: dict[str, Any], at: datetime) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        resp = self.client.post(path, json=body, headers={SIM_TIME_HEADER: at.isoformat()})
        try:
            data = resp.json()
        except ValueError:
            data = {"error": {"message": resp.text[:200]}}
        return resp.status_code, data

    def close(self) -> None:
        self.client.close()

