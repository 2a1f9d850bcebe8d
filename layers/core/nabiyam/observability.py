"""Powertools Logger and Metrics shared by every function and job.

One logger per process (JSON lines with a correlation id), metrics as CloudWatch EMF.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "nabiyam")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Nabiyam")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def get_logger(child: str | None = None) -> Logger:
    """A child logger shares handlers and the correlation id with the process logger."""
    if child is None:
        return logger
    return Logger(service=SERVICE, child=True)
