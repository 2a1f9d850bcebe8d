"""A Llama-style causal LM the project builds itself (weights cannot be downloaded here):
a byte-level BPE tokenizer trained with `tokenizers` on the project's Korean text, and a
randomly initialised `LlamaForCausalLM` from a config. Saved as an ordinary Hugging Face
model directory, so the job loads it exactly as it loads `skt/A.X-3.1-Light`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Chat format of the locally built tokenizer (a production model brings its own template).
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]


@dataclass(frozen=True)
class Preset:
    """Sizes of a randomly initialised model (`--base tiny`, `--base random-1b`)."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    warmup_steps: int = 0  # next-token training of the whole base on the project's text before LoRA


PRESETS: dict[str, Preset] = {
    # CPU tests: trains and generates in seconds.
    # A random model cannot be adapted by a low-rank update in a few steps, so the tiny base is
    # first warmed up like a (very) small pretrained model: plain next-token prediction on the
    # project's Korean text, no instructions, no chat format, none of the LoRA training pairs.
    "tiny": Preset(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=176, vocab=3000, warmup_steps=150),
    # GPU throughput runs (about 0.4 B parameters): big enough for bf16 / checkpointing to matter.
    "random-400m": Preset(hidden=1024, layers=24, heads=16, kv_heads=8, intermediate=2816, vocab=8000),
    # About 1.3 B parameters: a stand-in of the production model's depth for memory figures.
    "random-1b": Preset(hidden=2048, layers=24, heads=16, kv_heads=8, intermediate=5632, vocab=8000),
}


def train_tokenizer(corpus: Iterable[str], vocab_size: int, out_dir: Path):  # noqa: ANN201 - PreTrainedTokenizerFast
    """Byte-level BPE (no unknown characters, any Korean text round-trips) with the chat
    template and special tokens; saved to `out_dir` and returned."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|pad|>")
    fast.chat_template = CHAT_TEMPLATE
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(out_dir)
    return fast


def build_random_model(preset: Preset, corpus: Iterable[str], out_dir: Path, seed: int,
                       warmup_texts: Sequence[str] = ()) -> tuple[Path, dict[str, float | int]]:
    """Tokenizer + Llama model from a config (random init, then `preset.warmup_steps` of
    next-token training on `warmup_texts`), saved in `out_dir` as a base-model directory.
    Returns the directory and the warm-up figures."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = train_tokenizer(corpus, preset.vocab, out_dir)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=preset.hidden, intermediate_size=preset.intermediate,
                         num_hidden_layers=preset.layers, num_attention_heads=preset.heads,
                         num_key_value_heads=preset.kv_heads, max_position_embeddings=1024, rms_norm_eps=1e-6,
                         tie_word_embeddings=True, bos_token_id=None, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    warmup = _warm_up(model, tok, warmup_texts, preset.warmup_steps, seed) if preset.warmup_steps else {}
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(out_dir)
    return out_dir, warmup


def _warm_up(model, tok, texts: Sequence[str], steps: int, seed: int, lr: float = 3e-3,  # noqa: ANN001
             batch_size: int = 16) -> dict[str, float | int]:
    import random

    import torch

    from training_jobs.lora.lm import Example, _batches

    if not texts:
        raise ValueError("the tiny base needs warm-up text")
    examples = [Example("text", [], tok(t, add_special_tokens=False)["input_ids"][:254] + [tok.eos_token_id])
                for t in texts]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    model.train()
    done, first, last = 0, float("nan"), float("nan")
    while done < steps:
        for ids, mask, labels in _batches(examples, batch_size, tok.pad_token_id, rng, torch.device("cpu")):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            done += 1
            last = float(loss.detach())
            first = last if done == 1 else first
            if done >= steps:
                break
    model.eval()
    return {"steps": done, "first_loss": round(first, 4), "final_loss": round(last, 4), "texts": len(texts)}
