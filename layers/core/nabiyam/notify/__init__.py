"""Slack notifications: the weekly report's Block Kit message, its limits, and an idempotent poster.

``blockkit`` builds and validates the message; ``ledger`` remembers posted messages per
(report, period, channel); ``slack`` posts or updates with slack-sdk (429-aware).
"""
