"""The LoRA job on CPU with a tiny Llama built here: the same code path as production
(train → save → reload → merge → generate → metrics), checked end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.xdist_group("lora")

NLU_METRICS = ("valid_json_rate", "schema_valid_rate", "intent_accuracy", "filters_exact_match")
REWRITE_CHECKS = ("style_pass_rate", "meaning_pass_rate", "both_pass_rate")


def test_tiny_job_writes_adapter_metrics_and_a_merge_that_reproduces_training(tiny_lora) -> None:  # noqa: ANN001
    out, metrics = tiny_lora
    from nabiyam.domain.nlu import Filters
    from training_jobs.lora.trainer import MERGE_TOL, RELOAD_TOL

    # the four NLU-task metrics and the two rewrite checks, as rates over the held-out sets
    assert metrics["nlu"]["n"] == 12 and metrics["rewrite"]["n"] == 12
    for key in NLU_METRICS:
        assert 0.0 <= metrics["nlu"][key] <= 1.0, key
    assert set(metrics["nlu"]["filter_field_exact_match"]) == set(Filters.model_fields)
    for key in REWRITE_CHECKS:
        assert 0.0 <= metrics["rewrite"][key] <= 1.0, key
    # a rate can only shrink as a requirement is added
    assert metrics["nlu"]["schema_valid_rate"] <= metrics["nlu"]["valid_json_rate"]
    assert metrics["nlu"]["intent_accuracy"] <= metrics["nlu"]["schema_valid_rate"]
    assert metrics["rewrite"]["both_pass_rate"] <= min(metrics["rewrite"]["style_pass_rate"],
                                                        metrics["rewrite"]["meaning_pass_rate"])
    # the tiny base was warmed up on plain project text (from ln |vocab| ≈ 8), then LoRA lowered
    # the completion loss further; the merged model writes JSON (a broken chat template, label
    # mask or decode would not)
    warm, train = metrics["base_warmup"], metrics["training"]
    assert warm["steps"] == 150 and warm["final_loss"] < warm["first_loss"] - 3.0, warm
    assert train["final_loss"] < train["first_loss"], train["loss_history"]
    assert metrics["nlu"]["valid_json_rate"] >= 0.5, metrics["nlu"]["examples"]
    assert 0 < train["trainable_params"] < train["total_params"] / 4  # only the adapter trains
    assert train["completion_tokens"] < train["tokens"]  # prompt tokens carry no loss
    # the saved adapter, reloaded on a fresh base and merged, computes what the trained model did
    assert metrics["merge"]["reload_max_abs_logit_diff"] <= RELOAD_TOL["float32"]
    assert metrics["merge"]["merged_max_abs_logit_diff"] <= MERGE_TOL["float32"]
    assert metrics["dtype"] == "float32" and metrics["gradient_checkpointing"] is True
    for name in ("adapter/adapter_config.json", "adapter/adapter_model.safetensors", "adapter/tokenizer.json",
                 "base/config.json", "base/model.safetensors", "manifest.json", "rewrite_review.md"):
        assert (out / name).is_file(), name
    adapter = json.loads((out / "adapter/adapter_config.json").read_text())
    assert adapter["r"] == 8 and adapter["lora_alpha"] == 16
    assert set(adapter["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["name"] == "lora" and manifest["version"] == metrics["version"]
    assert manifest["base"] == "base" and manifest["tasks"] == ["nlu", "rewrite"]


def test_only_rewrites_passing_both_checks_become_phrasing_candidates(tiny_lora) -> None:  # noqa: ANN001
    out, metrics = tiny_lora
    from training_jobs.lora.rewrite_pairs import check_rewrite

    review = (out / "rewrite_review.md").read_text(encoding="utf-8")
    assert review.count("- input: ") == metrics["rewrite"]["n"]
    lines = [json.loads(x) for x in (out / "rewrite_phrasings.jsonl").read_text(encoding="utf-8").splitlines() if x]
    assert len(lines) == round(metrics["rewrite"]["both_pass_rate"] * metrics["rewrite"]["n"])
    for row in lines:
        c = check_rewrite(row["source"], row["rewrite"])
        assert c["style_ok"] and c["meaning_ok"], c


def test_generation_from_the_merged_model_is_what_the_metrics_scored(tiny_lora) -> None:  # noqa: ANN001
    """Reload the artifact as the teacher does and regenerate: greedy decoding of the merged
    model gives the answers the metrics file recorded (nothing is scored from another model)."""
    out, metrics = tiny_lora
    from training_jobs.lora.teach import LoraTeacher

    teacher = LoraTeacher(out, device="cpu", max_new_tokens=96)
    examples = metrics["nlu"]["examples"][:4]
    assert teacher.label([e["text"] for e in examples]) == [e["generated"] for e in examples]


def test_lora_rejects_target_modules_the_model_does_not_have() -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from training_jobs.lora.lm import LoraJobError, TrainSettings, add_lora

    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1))
    with pytest.raises(LoraJobError, match=r"\['query_key_value'\].*q_proj"):
        add_lora(model, TrainSettings(target_modules=("q_proj", "query_key_value")))
    assert torch.is_tensor(next(model.parameters()))


def test_cli_bad_settings_are_readable_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from nabiyam.cli.main import main

    assert main(["train", "lora", "--r", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--r must be ≥ 1" in capsys.readouterr().err
    assert main(["train", "lora", "--world", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "is not a generated world" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_presets_are_valid_llama_configs_without_building_them() -> None:
    """The GPU presets (random-400m, random-1b) are checked for shape without allocating them."""
    from training_jobs.lora.tiny import PRESETS

    for name, p in PRESETS.items():
        assert p.hidden % p.heads == 0 and p.heads % p.kv_heads == 0, name
        params = p.layers * (4 * p.hidden * p.hidden * (1 + p.kv_heads / p.heads) / 2 + 3 * p.hidden * p.intermediate)
        assert params > 0
    assert PRESETS["random-1b"].layers * 3 * PRESETS["random-1b"].hidden * PRESETS["random-1b"].intermediate > 8e8


def test_artifact_is_published_to_and_fetched_from_the_registry(tiny_lora, clean_stack: Any, tmp_path: Path) -> None:  # noqa: ANN001
    """The adapter artifact registered as model 'lora' comes back byte-identical and loads as a teacher."""
    out, metrics = tiny_lora
    from nabiyam.registry import fetch, list_versions, promote, publish
    from training_jobs.lora.teach import LoraTeacher
    from training_jobs.lora.trainer import MODEL_NAME, summary

    version = publish(MODEL_NAME, out, summary(metrics))
    assert [v.version for v in list_versions(MODEL_NAME)] == [version]
    promote(MODEL_NAME, version)
    local = fetch(MODEL_NAME, tmp_path / "cache")
    for rel in ("adapter/adapter_model.safetensors", "base/model.safetensors", "manifest.json"):
        assert (local / rel).read_bytes() == (out / rel).read_bytes(), rel
    assert LoraTeacher(local, device="cpu").name == f"lora:{metrics['version']}"
