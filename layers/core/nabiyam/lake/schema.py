"""The rows of the learning-data lake: one versioned, typed schema per table.

Two tables, one per kind, each a Hive-style date partition per Korean (Asia/Seoul) day::

    s3://<learning-data bucket>/lake/conversations/dt=YYYY-MM-DD/part-00000.jsonl.gz
    s3://<learning-data bucket>/lake/feedback/dt=YYYY-MM-DD/part-00000.jsonl.gz

A conversation row is a :class:`~nabiyam.storage.conversations.ConversationRecord` (every
field of the DynamoDB item) plus ``type`` and ``schema_version``; a feedback row is a
:class:`~nabiyam.storage.feedback.FeedbackRecord` plus the same two. The rows subclass the
records, so a field the service adds to its log reaches the lake without a second edit.

Versioning: ``SCHEMA_VERSION`` is stamped on every row. Additive changes (a new optional
field) bump it and old rows still validate (the new field takes its default); a reader
refuses rows newer than itself with :class:`LakeSchemaError` instead of guessing.
docs/lake.md is the human-readable copy of this module (and the Glue tables in
template.yaml the Athena copy; tests/lake checks that the three agree).

Example::

    >>> from nabiyam.lake.schema import row_model
    >>> row_model("feedback").__name__
    'FeedbackRow'
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from nabiyam.storage.conversations import ConversationRecord
from nabiyam.storage.feedback import FeedbackRecord

#: Version of the row layout written by this code (every row carries it).
SCHEMA_VERSION = 1

#: Root of the lake in the learning-data bucket; table ``<kind>`` lives under ``<LAKE_PREFIX>/<kind>/``.
LAKE_PREFIX = "lake"

Kind = Literal["conversations", "feedback"]
KINDS: tuple[Kind, ...] = ("conversations", "feedback")


class LakeSchemaError(ValueError):
    """A lake row or partition this code cannot read (newer schema, wrong type, bad JSON)."""


class ConversationRow(ConversationRecord):
    """One chat turn, exactly as logged, in table ``conversations``."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["conversation"] = "conversation"
    schema_version: int = Field(SCHEMA_VERSION, ge=1, description="row layout version (see SCHEMA_VERSION)")

    @classmethod
    def from_record(cls, record: ConversationRecord) -> ConversationRow:
        return cls.model_validate({**record.model_dump(mode="json"), "schema_version": SCHEMA_VERSION})

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.created_at, self.conversation_id)


class FeedbackRow(FeedbackRecord):
    """One accepted feedback event (a retried event is one row), in table ``feedback``."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["feedback"] = "feedback"
    schema_version: int = Field(SCHEMA_VERSION, ge=1, description="row layout version (see SCHEMA_VERSION)")

    @classmethod
    def from_record(cls, record: FeedbackRecord) -> FeedbackRow:
        return cls.model_validate({**record.model_dump(mode="json"), "schema_version": SCHEMA_VERSION})

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.created_at, self.event_id)


Row = ConversationRow | FeedbackRow

_MODELS: dict[str, type[ConversationRow] | type[FeedbackRow]] = {
    "conversations": ConversationRow, "feedback": FeedbackRow}


def row_model(kind: str) -> type[ConversationRow] | type[FeedbackRow]:
    """The row class of table ``kind`` (``conversations`` | ``feedback``)."""
    try:
        return _MODELS[kind]
    except KeyError:
        raise LakeSchemaError(f"unknown lake table {kind!r}; expected one of {', '.join(KINDS)}") from None


def table_prefix(kind: str) -> str:
    """``lake/<kind>`` (the Glue table's location below the bucket)."""
    row_model(kind)
    return f"{LAKE_PREFIX}/{kind}"
