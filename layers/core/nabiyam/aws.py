"""The one place boto3 clients and resources are built.

Endpoint resolution, in order: ``AWS_ENDPOINT_URL`` (boto3 honours it natively, and the
local stack sets it for child processes), then the local-stack state file written by
``nabiyam local up``, then real AWS. Clients are cached per (service, endpoint) because
building one costs milliseconds on a Lambda cold start.

Two profiles of boto settings: inside an API request (``nabiyam.resilience.in_request()``)
clients use :func:`nabiyam.resilience.boto_request_config` — bounded attempts and timeouts
derived from the function's Timeout, so one call fits the request budget; elsewhere
(jobs, CLI) the patient batch settings below.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from nabiyam.settings import Settings, get_settings

_LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_lock = threading.Lock()


def local_endpoint(settings: Settings | None = None) -> str | None:
    """Endpoint of the running local stack, if any (env first, then the state file)."""
    env = os.environ.get("AWS_ENDPOINT_URL")
    if env:
        return env
    settings = settings or get_settings()
    try:
        state = json.loads(settings.state_file.read_text())
    except (OSError, ValueError):
        return None
    return state.get("endpoint")


@lru_cache(maxsize=64)
def _session_kwargs(endpoint: str | None, region: str) -> tuple[tuple[str, Any], ...]:
    kwargs: dict[str, Any] = {"region_name": region}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
        # moto accepts any credentials; never let a developer's real keys leak into it.
        if endpoint.startswith(("http://127.0.0.1", "http://localhost")):
            kwargs.update(_LOCAL_CREDENTIALS)
    return tuple(sorted(kwargs.items()))


#: jobs and the CLI: patient (a job has minutes).
BATCH_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3, read_timeout=10,
                      max_pool_connections=32)


def _config(profile: str, budget_key: tuple[float, float, int]) -> Config:
    if profile == "batch":
        return BATCH_CONFIG
    from nabiyam.resilience import boto_request_config

    timeout, reserve, concurrency = budget_key
    return boto_request_config(Settings(api_timeout_s=timeout, answer_reserve_s=reserve,
                                        dependency_concurrency=concurrency))


@lru_cache(maxsize=64)
def _client(service: str, endpoint: str | None, region: str, profile: str = "batch",
            budget_key: tuple[float, float, int] = (0, 0, 0)) -> Any:
    with _lock:  # boto3's default session is not thread-safe while creating clients
        return boto3.session.Session().client(service, config=_config(profile, budget_key),
                                              **dict(_session_kwargs(endpoint, region)))


@lru_cache(maxsize=64)
def _resource(service: str, endpoint: str | None, region: str, profile: str = "batch",
              budget_key: tuple[float, float, int] = (0, 0, 0)) -> Any:
    with _lock:
        return boto3.session.Session().resource(service, config=_config(profile, budget_key),
                                                **dict(_session_kwargs(endpoint, region)))


def _profile(settings: Settings) -> tuple[str, tuple[float, float, int]]:
    from nabiyam.resilience import in_request

    if in_request():
        return "request", (settings.api_timeout_s, settings.answer_reserve_s, settings.dependency_concurrency)
    return "batch", (0, 0, 0)


def client(service: str, settings: Settings | None = None) -> Any:
    settings = settings or get_settings()
    return _client(service, local_endpoint(settings), settings.region, *_profile(settings))


def resource(service: str, settings: Settings | None = None) -> Any:
    settings = settings or get_settings()
    return _resource(service, local_endpoint(settings), settings.region, *_profile(settings))


def reset_clients() -> None:
    """Forget cached clients and dependency guards (tests that start a new local stack call this)."""
    from nabiyam.resilience import reset_dependencies

    _client.cache_clear()
    _resource.cache_clear()
    _session_kwargs.cache_clear()
    reset_dependencies()
