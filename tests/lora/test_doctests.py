"""The examples in the LoRA modules' docstrings are true (they document the checks)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["training_jobs.lora.schema", "training_jobs.lora.rewrite_pairs",
                                  "training_jobs.lora.metrics", "training_jobs.lora.teach"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0, result
