"""BIO decoding that never returns an invalid sequence (an I- without its B- is impossible)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def allowed_transitions(tags: tuple[str, ...] | list[str]) -> np.ndarray:
    """allowed[i, j]: tag j may follow tag i. I-X may only follow B-X or I-X."""
    k = len(tags)
    allowed = np.ones((k, k), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            kind = tag[2:]
            for i, prev in enumerate(tags):
                allowed[i, j] = prev in (f"B-{kind}", f"I-{kind}")
    return allowed


@lru_cache(maxsize=8)
def _transition_scores(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(transition, start) log-scores of a tag set: computed once per tag set, not per message."""
    trans = np.where(allowed_transitions(tags), 0.0, -1e9)
    start = np.array([0.0 if not t.startswith("I-") else -1e9 for t in tags])
    trans.flags.writeable = False
    start.flags.writeable = False
    return trans, start


def viterbi(log_probs: np.ndarray, tags: tuple[str, ...] | list[str]) -> list[int]:
    """Best valid tag path for per-position log-probabilities (T, K)."""
    t_len, k = log_probs.shape
    trans, start = _transition_scores(tuple(tags))
    score = start + log_probs[0]
    back = np.zeros((t_len, k), dtype=np.int64)
    for t in range(1, t_len):
        cand = score[:, None] + trans  # (prev, next)
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for t in range(t_len - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def spans(path: list[int], tags: tuple[str, ...] | list[str]) -> list[tuple[str, int, int]]:
    """(kind, start, end) for each B-… I-… run of a valid path."""
    out: list[tuple[str, int, int]] = []
    cur: list = []
    for i, idx in enumerate(path):
        tag = tags[idx]
        if tag.startswith("B-"):
            if cur:
                out.append(tuple(cur))
            cur = [tag[2:], i, i + 1]
        elif tag.startswith("I-") and cur and cur[0] == tag[2:]:
            cur[2] = i + 1
        else:
            if cur:
                out.append(tuple(cur))
            cur = []
    if cur:
        out.append(tuple(cur))
    return out
