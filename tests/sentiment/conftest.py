"""The small sentiment model the tests share: trained once per process on a subsample of NSMC
(3,000 reviews, 300 generated neutral requests, 2^16 hash slots, 2 epochs; ~20 s CPU). The ≥ 0.85 NSMC
figure comes from the full run (`nabiyam train sentiment`, recorded in its metrics.json)."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

SMALL_ARGS = ("--train-limit", "3000", "--test-limit", "300", "--neutral", "300", "--buckets", "65536",
              "--epochs", "2")


@lru_cache(maxsize=1)
def small_model_dir() -> Path:
    from nabiyam.cli.main import main

    out = Path(tempfile.mkdtemp(prefix="nabiyam-sentiment-")) / "model"
    assert main(["train", "sentiment", "--out", str(out), *SMALL_ARGS]) == 0
    return out


@pytest.fixture(scope="session")
def sentiment_dir() -> Path:
    return small_model_dir()
