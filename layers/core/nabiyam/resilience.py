"""Time budgets and isolation for the request path.

One request, one budget: the API function's Timeout (``Settings.api_timeout_s``, from
template.yaml) less a reserve for answering (``answer_reserve_s``). The middleware opens
a :func:`request_budget`; every AWS call made inside it goes through a
:class:`Dependency` (one per AWS service), which

- never waits past the budget (the call runs on the dependency's own small thread pool and
  the caller stops waiting at the deadline),
- is a bulkhead: at most ``dependency_concurrency`` calls in flight per dependency; more
  fail fast instead of queueing, so a stalled table cannot take every worker thread and
  requests that do not need it (``/recommendations``, ``/health``) stay fast,
- is a circuit breaker: ``breaker_failures`` consecutive outages open it for
  ``breaker_cooldown_s``; then one trial call is let through.

Failures say whether the call could have had an effect: :class:`NotAttempted` (nothing
was sent — safe to answer "nothing stored") versus :class:`OutcomeUnknown` (sent, no
answer in time — the write may still land). Outside a request (jobs, CLI) calls run
directly with boto's batch settings.

boto itself is configured from the same budget (:func:`boto_request_config`) so that a
call abandoned at the deadline also ends soon after in the background.

>>> from nabiyam.settings import Settings
>>> s = Settings(api_timeout_s=10, answer_reserve_s=1)
>>> worst_case_call_s(boto_request_config(s)) <= s.request_budget_s
True
>>> boto_request_config(s).retries, boto_request_config(s).read_timeout
({'total_max_attempts': 2, 'mode': 'standard'}, 3.1)
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectionClosedError, ConnectTimeoutError,
                                 EndpointConnectionError, ReadTimeoutError)

from nabiyam.settings import Settings, get_settings

T = TypeVar("T")
_DEADLINE: ContextVar[float | None] = ContextVar("nabiyam_request_deadline", default=None)

#: standard-mode retries: total attempts per call on the request path.
REQUEST_ATTEMPTS = 2
#: botocore standard mode: the first retry waits at most base (1 s) × random.
FIRST_BACKOFF_MAX_S = 1.0
_OUTAGE_CODES = {"InternalServerError", "ServiceUnavailable", "ThrottlingException", "RequestLimitExceeded",
                 "ProvisionedThroughputExceededException", "SlowDown", "InternalError", "RequestTimeout"}


class DependencyUnavailable(Exception):
    """An AWS dependency did not serve the call."""

    def __init__(self, dependency: str, reason: str) -> None:
        super().__init__(f"{dependency}: {reason}")
        self.dependency = dependency
        self.reason = reason


class NotAttempted(DependencyUnavailable):
    """Nothing was sent (breaker open, bulkhead full, budget spent): the call had no effect."""


class OutcomeUnknown(DependencyUnavailable):
    """The request was sent but no answer came in time: a write may still land."""


# --------------------------------------------------------------------------- budget

@contextmanager
def request_budget(seconds: float) -> Iterator[float]:
    """Run the block with a deadline `seconds` from now (nested budgets only shrink it)."""
    deadline = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(min(deadline, outer) if outer is not None else deadline)
    try:
        yield seconds
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left in this request's budget; None outside a request."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


def in_request() -> bool:
    return _DEADLINE.get() is not None


def boto_request_config(settings: Settings | None = None) -> Config:
    """boto3 settings for calls made inside a request: bounded attempts and timeouts whose
    worst case (:func:`worst_case_call_s`) fits the request budget."""
    settings = settings or get_settings()
    budget = settings.request_budget_s
    # A retry only when the budget leaves each attempt a useful read timeout (≥ 1 s).
    attempts = REQUEST_ATTEMPTS if budget >= 5.0 else 1
    connect = round(min(1.0, budget * 0.1), 3)
    backoff = FIRST_BACKOFF_MAX_S * (attempts - 1)
    read = round(max(0.2, (budget - backoff - attempts * connect) / attempts), 3)
    return Config(retries={"total_max_attempts": attempts, "mode": "standard"}, connect_timeout=connect,
                  read_timeout=read, max_pool_connections=max(10, 2 * settings.dependency_concurrency))


def worst_case_call_s(config: Config) -> float:
    """The longest one AWS call can take under `config` (every attempt times out, plus backoff)."""
    attempts = int((config.retries or {}).get("total_max_attempts", REQUEST_ATTEMPTS))
    return attempts * (float(config.connect_timeout) + float(config.read_timeout)) + (
        FIRST_BACKOFF_MAX_S * (attempts - 1))


def is_outage(exc: BaseException) -> bool:
    """An error that says the dependency is down or slow (not that the request was wrong)."""
    if isinstance(exc, DependencyUnavailable):
        return True
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return err.get("Code") in _OUTAGE_CODES or int(status) >= 500
    return isinstance(exc, BotoCoreError)


def was_sent(exc: BaseException) -> bool:
    """Whether a failed call may have reached the service (its write may have happened)."""
    if isinstance(exc, NotAttempted):
        return False
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)) and not isinstance(exc, ReadTimeoutError):
        return False
    if isinstance(exc, ClientError):
        return is_outage(exc)  # a 5xx may have written; a 4xx refused
    return isinstance(exc, (OutcomeUnknown, ReadTimeoutError, ConnectionClosedError, BotoCoreError))


# --------------------------------------------------------------------------- dependencies

@dataclass
class DependencyState:
    name: str
    state: Literal["closed", "open", "half_open"]
    in_flight: int
    consecutive_failures: int
    last_error: str | None


class Dependency:
    """Bulkhead + circuit breaker + deadline for one AWS service."""

    def __init__(self, name: str, *, concurrency: int = 8, failures_to_open: int = 2, cooldown_s: float = 3.0) -> None:
        self.name = name
        self.concurrency = concurrency
        self.failures_to_open = failures_to_open
        self.cooldown_s = cooldown_s
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"dep-{name}")
        self._lock = threading.Lock()
        self._in_flight = 0
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._last_error: str | None = None

    # ---- breaker bookkeeping
    def _record(self, ok: bool, error: str | None = None) -> None:
        with self._lock:
            if ok:
                self._failures, self._opened_at, self._last_error = 0, None, None
            else:
                self._failures += 1
                self._last_error = error
                if self._failures >= self.failures_to_open or self._opened_at is not None:
                    self._opened_at = time.monotonic()

    def _admit(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                if time.monotonic() - self._opened_at < self.cooldown_s or self._trial:
                    raise NotAttempted(self.name, f"circuit open after {self._failures} failures "
                                                  f"({self._last_error})")
                self._trial = True  # half-open: this call is the trial
            if self._in_flight >= self.concurrency:
                if self._trial:
                    self._trial = False
                raise NotAttempted(self.name, f"saturated: {self._in_flight} calls in flight")
            self._in_flight += 1

    def status(self) -> DependencyState:
        with self._lock:
            state: Literal["closed", "open", "half_open"] = "closed"
            if self._opened_at is not None:
                state = "half_open" if time.monotonic() - self._opened_at >= self.cooldown_s else "open"
            return DependencyState(self.name, state, self._in_flight, self._failures, self._last_error)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` within the request budget (directly outside a request)."""
        left = remaining()
        if left is None and timeout is None:
            return fn(*args, **kwargs)
        wait = min(x for x in (left, timeout) if x is not None)
        if wait <= 0.05:
            raise NotAttempted(self.name, "no time left in the request budget")
        self._admit()
        context = contextvars.copy_context()

        def run() -> T:
            try:
                result = context.run(fn, *args, **kwargs)
            except BaseException as exc:
                self._record(not is_outage(exc), f"{type(exc).__name__}")
                raise
            else:
                self._record(True)
                return result
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._trial = False

        future = self._pool.submit(run)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            self._record(False, f"no answer within {wait:.1f} s")
            raise OutcomeUnknown(self.name, f"no answer within {wait:.1f} s") from None


_REGISTRY: dict[str, Dependency] = {}
_REGISTRY_LOCK = threading.Lock()


def dependency(name: str, settings: Settings | None = None) -> Dependency:
    """The process-wide guard of one AWS service (``dynamodb``, ``s3``)."""
    with _REGISTRY_LOCK:
        dep = _REGISTRY.get(name)
        if dep is None:
            settings = settings or get_settings()
            dep = _REGISTRY[name] = Dependency(name, concurrency=settings.dependency_concurrency,
                                               failures_to_open=settings.breaker_failures,
                                               cooldown_s=settings.breaker_cooldown_s)
        return dep


def reset_dependencies() -> None:
    """Forget the registry (tests that start a new stack call this); guards already handed out
    (an app built earlier holds its own) keep working."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
