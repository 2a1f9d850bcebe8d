"""Experiment variant assignment: a stable hash of (experiment, user), no state to store.

The same user always lands in the same arm of an experiment, so a ranker A/B test
compares people, not requests; a new experiment name reshuffles everyone.
"""

from __future__ import annotations

import hashlib

CONTROL, TREATMENT = "control", "treatment"


def bucket(user_id: str, experiment: str) -> float:
    """A number in [0, 1) fixed for (experiment, user)."""
    digest = hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_variant(user_id: str, experiment: str, treatment_share: float) -> str:
    if not 0.0 <= treatment_share <= 1.0:
        raise ValueError(f"treatment_share must be in [0, 1], got {treatment_share}")
    return TREATMENT if bucket(user_id, experiment) < treatment_share else CONTROL
