"""Daily quality metrics: the typed contract (:mod:`nabiyam.metrics.model`), the pure
computations over lake rows, week-over-week alerts and experiment analysis.

Pure functions over :class:`~nabiyam.lake.schema.ConversationRow` /
:class:`~nabiyam.lake.schema.FeedbackRow` (or the storage records they extend); the job
:mod:`nabiyam.jobs.daily_metrics` does the I/O. See docs/metrics.md.
"""
