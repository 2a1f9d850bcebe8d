"""Feedback capture: idempotent, validated against the conversation log, copied to S3 as learning data."""

from nabiyam.feedback.service import FeedbackService

__all__ = ["FeedbackService"]
