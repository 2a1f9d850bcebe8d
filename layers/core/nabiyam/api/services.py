"""The objects routes need, built once per app from the loaded runtime."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nabiyam.chat.pipeline import ChatPipeline
from nabiyam.feedback.service import FeedbackService
from nabiyam.runtime import Runtime
from nabiyam.settings import Settings
from nabiyam.storage.conversations import ConversationStore
from nabiyam.storage.feedback import FeedbackStore

STACK_CHECK_TTL_S = 15.0


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    pipeline: ChatPipeline
    feedback: FeedbackService
    _stack: tuple[float, dict[str, str]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, settings: Settings, runtime: Runtime) -> Services:
        conversations = ConversationStore(settings)
        pipeline = ChatPipeline(runtime, conversations, experiment=settings.experiment_name,
                                treatment_share=settings.treatment_share)
        return cls(settings, runtime, pipeline, FeedbackService(FeedbackStore(settings), conversations))

    def stack_status(self, check: Callable[[Settings], dict[str, str]] | None = None) -> dict[str, str]:
        """Reachability of the tables/bucket the API writes to, cached briefly (health is polled)."""
        with self._lock:
            if self._stack and time.monotonic() - self._stack[0] < STACK_CHECK_TTL_S:
                return self._stack[1]
        status = (check or probe_stack)(self.settings)
        with self._lock:
            self._stack = (time.monotonic(), status)
        return status


def probe_stack(settings: Settings) -> dict[str, str]:
    from nabiyam import aws

    out: dict[str, str] = {}
    for name in (settings.conversations_table, settings.feedback_table):
        try:
            aws.client("dynamodb", settings).describe_table(TableName=name)
            out[f"dynamodb:{name}"] = "ok"
        except Exception as exc:  # noqa: BLE001 - report, don't raise: this is the health check
            out[f"dynamodb:{name}"] = f"unavailable: {type(exc).__name__}"
    try:
        aws.client("s3", settings).head_bucket(Bucket=settings.learning_data_bucket)
        out[f"s3:{settings.learning_data_bucket}"] = "ok"
    except Exception as exc:  # noqa: BLE001
        out[f"s3:{settings.learning_data_bucket}"] = f"unavailable: {type(exc).__name__}"
    return out


