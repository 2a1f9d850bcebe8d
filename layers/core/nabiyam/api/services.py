"""The objects routes need, built once per app from the loaded runtime."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from nabiyam import aws
from nabiyam.chat.pipeline import ChatPipeline
from nabiyam.feedback.service import FeedbackService
from nabiyam.resilience import Dependency, DependencyUnavailable, dependency, request_budget
from nabiyam.runtime import Runtime
from nabiyam.settings import Settings
from nabiyam.storage.conversations import ConversationStore, DurableConversationLog
from nabiyam.storage.feedback import FeedbackStore
from nabiyam.storage.spool import Spool

#: /health is polled; a probe result is reused this long (so "degraded" shows within ~1 s).
STACK_CHECK_TTL_S = 0.5
_PROBES = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health-probe")


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    pipeline: ChatPipeline
    feedback: FeedbackService
    conversation_log: DurableConversationLog | None = None
    spool: Spool | None = None
    _stack: tuple[float, dict[str, str]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, settings: Settings, runtime: Runtime) -> Services:
        spool = Spool(settings.spool_path)
        dynamodb, s3 = dependency("dynamodb", settings), dependency("s3", settings)
        with request_budget(settings.request_budget_s):  # the request-profile clients, now, not in a first call
            for service in ("dynamodb", "s3"):
                aws.client(service, settings)
            aws.resource("dynamodb", settings)
        log = DurableConversationLog(ConversationStore(settings), spool, dynamodb)
        pipeline = ChatPipeline(runtime, log, experiment=settings.experiment_name,
                                treatment_share=settings.treatment_share)
        feedback = FeedbackService(FeedbackStore(settings), log, spool=spool, dynamodb=dynamodb, s3=s3)
        return cls(settings, runtime, pipeline, feedback, log, spool)

    def stack_status(self, check: Callable[[Settings], dict[str, str]] | None = None) -> dict[str, str]:
        """Reachability of the tables/bucket the API writes to, cached briefly (health is polled) —
        but never while a dependency has just failed a call: then it is probed again at once."""
        quiet = all(dependency(name, self.settings).status().consecutive_failures == 0 for name in ("dynamodb", "s3"))
        with self._lock:
            if quiet and self._stack and time.monotonic() - self._stack[0] < STACK_CHECK_TTL_S:
                return self._stack[1]
        status = (check or probe_stack)(self.settings)
        with self._lock:
            self._stack = (time.monotonic(), status)
        return status


def _probe(dep: Dependency, fn: Callable[[], Any], timeout: float) -> str:
    state = dep.status()
    if state.state == "open":
        return f"unavailable: circuit open after {state.consecutive_failures} failures ({state.last_error})"
    try:
        dep.call(fn, timeout=timeout)
    except DependencyUnavailable as exc:
        return f"unavailable: {exc.reason}"
    except Exception as exc:  # noqa: BLE001 - report, don't raise: this is the health check
        return f"unavailable: {type(exc).__name__}"
    return "ok"


def probe_stack(settings: Settings) -> dict[str, str]:
    """Each resource probed at once, each with `health_probe_timeout_s` (so /health answers in ~1 s)."""
    timeout = settings.health_probe_timeout_s
    dynamodb, s3 = dependency("dynamodb", settings), dependency("s3", settings)
    probes: dict[str, tuple[Dependency, Callable[[], Any]]] = {
        f"dynamodb:{name}": (dynamodb, lambda name=name: aws.client("dynamodb", settings).describe_table(TableName=name))
        for name in (settings.conversations_table, settings.feedback_table)}
    probes[f"s3:{settings.learning_data_bucket}"] = (
        s3, lambda: aws.client("s3", settings).head_bucket(Bucket=settings.learning_data_bucket))
    import contextvars

    futures = {name: _PROBES.submit(contextvars.copy_context().run, _probe, dep, fn, timeout)
               for name, (dep, fn) in probes.items()}
    return {name: future.result() for name, future in futures.items()}
