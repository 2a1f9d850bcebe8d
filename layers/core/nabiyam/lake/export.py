"""DynamoDB → lake: one Korean day of conversations and feedback, each table's partition
replaced as a whole (see :mod:`nabiyam.lake.writer`).

Sources: the conversation log (``ConversationStore.on_day``: a filtered scan, jobs only) and
the feedback table (``FeedbackStore.by_day``: the ``by_day`` index). DynamoDB is the source
of truth: a feedback event retried by the client is one item there, so it is one row here.

Example::

    from nabiyam.lake.export import export_day
    export_day("2026-11-02")      # {'day': '2026-11-02', 'conversations': {...}, 'feedback': {...}}
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nabiyam.lake.schema import ConversationRow, FeedbackRow
from nabiyam.lake.store import LakeStore, open_store
from nabiyam.lake.writer import write_partition
from nabiyam.settings import Settings, get_settings


def export_day(day: date | str, settings: Settings | None = None, *, store: LakeStore | None = None
               ) -> dict[str, Any]:
    """Write ``day``'s conversations and feedback to the lake; returns what was written."""
    from nabiyam.storage.conversations import ConversationStore
    from nabiyam.storage.feedback import FeedbackStore

    settings = settings or get_settings()
    d = day if isinstance(day, date) else date.fromisoformat(day)
    target = store or open_store(None, settings)
    conversations = [ConversationRow.from_record(r) for r in ConversationStore(settings).on_day(d.isoformat())]
    feedback = [FeedbackRow.from_record(r) for r in FeedbackStore(settings).by_day(d.isoformat())]
    out: dict[str, Any] = {"day": d.isoformat()}
    for kind, rows in (("conversations", conversations), ("feedback", feedback)):
        written = write_partition(kind, d, rows, target)
        out[kind] = {**written.summary(), "location": target.describe(f"lake/{kind}/dt={d.isoformat()}/")}
    return out
