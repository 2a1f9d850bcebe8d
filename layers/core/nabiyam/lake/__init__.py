"""The learning-data lake: each Korean day's conversations and feedback as date-partitioned,
gzipped JSON Lines in the learning-data bucket, with a versioned schema (docs/lake.md).

    from nabiyam.lake import read_day, read_range, export_day
    export_day("2026-11-02")                          # what `nabiyam jobs export-logs --date` does
    rows = read_day("conversations", "2026-11-02")    # list[ConversationRow]
    rows = read_range("feedback", "2026-11-01", "2026-11-07", source="var/lake")   # a local copy
"""

from __future__ import annotations

from nabiyam.lake.export import export_day
from nabiyam.lake.reader import iter_day, iter_range, partitions, read_day, read_range
from nabiyam.lake.schema import (KINDS, LAKE_PREFIX, SCHEMA_VERSION, ConversationRow, FeedbackRow, LakeSchemaError,
                                 Row, row_model, table_prefix)
from nabiyam.lake.store import LakeStore, LocalLakeStore, S3LakeStore, open_store
from nabiyam.lake.writer import PartitionWrite, write_partition

__all__ = ["export_day", "iter_day", "iter_range", "partitions", "read_day", "read_range", "KINDS", "LAKE_PREFIX",
           "SCHEMA_VERSION", "ConversationRow", "FeedbackRow", "LakeSchemaError", "Row", "row_model", "table_prefix",
           "LakeStore", "LocalLakeStore", "S3LakeStore", "open_store", "PartitionWrite", "write_partition"]
