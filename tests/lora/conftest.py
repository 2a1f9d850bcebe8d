"""Session fixtures for the LoRA tests: one tiny world and one tiny LoRA artifact per worker,
both built here (nothing downloaded), shared read-only by the tests of the "lora" group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

WORLD_SEED = 11


@pytest.fixture(scope="session")
def lora_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nabiyam.world import generate

    out = tmp_path_factory.mktemp("lora-world")
    generate("tiny", WORLD_SEED, out)
    return out


@pytest.fixture(scope="session")
def tiny_lora(tmp_path_factory: pytest.TempPathFactory, lora_world: Path) -> tuple[Path, dict[str, Any]]:
    """`nabiyam train lora --base tiny --task both` with CPU-test sizes, through the real CLI:
    tokenizer + Llama from a config → LoRA training → save → reload → merge → generate → metrics.
    Gradient checkpointing is switched on so its code path runs on CPU too."""
    from nabiyam.cli.main import main

    out = tmp_path_factory.mktemp("lora-artifact") / "lora"
    rc = main(["train", "lora", "--base", "tiny", "--task", "both", "--world", str(lora_world), "--out", str(out),
               "--nlu-train", "160", "--rewrite-train", "96", "--eval-size", "12", "--epochs", "2",
               "--batch-size", "16", "--grad-accum", "1", "--lr", "5e-3", "--r", "8", "--alpha", "16",
               "--max-len", "256", "--max-new-tokens", "96", "--gradient-checkpointing", "on", "--threads", "1",
               "--no-progress"])
    assert rc == 0
    return out, json.loads((out / "metrics.json").read_text(encoding="utf-8"))
