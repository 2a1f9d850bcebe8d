"""LoRA fine-tuning of a causal LM with transformers + peft (torch lives here).

One code path for the tiny CPU model and the production base (`skt/A.X-3.1-Light`):
chat-template prompts, loss on the completion tokens only, LoRA adapters on the attention
and MLP projections, bf16 autocast and gradient checkpointing on GPU, a progress bar, then
save the adapter → reload it onto a fresh base → check it reproduces the trained logits →
`merge_and_unload` → check the merged model reproduces them too → greedy generation.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

# Instructions (Korean, the user turn's first paragraph). One per task; changing a word
# changes what the adapter learnt, so they are part of the manifest.
INSTRUCTIONS: dict[str, str] = {
    "nlu": "아이의 음식 요청을 분석해서 JSON으로만 답하세요. 키: intent, entities(type, text, value, start, end), "
           "filters, semantic_query.",
    "rewrite": "다음 문장을 아이에게 말하듯 짧고 다정한 해요체로 바꾸세요. 숫자, 가격, 가게 이름, 거리는 그대로 두세요.",
}
IGNORE = -100


class LoraJobError(ValueError):
    """A setting the job cannot run with (unknown target module, nothing to train on …)."""


@dataclass
class Example:
    task: str
    prompt_ids: list[int]
    completion_ids: list[int]

    @property
    def length(self) -> int:
        return len(self.prompt_ids) + len(self.completion_ids)


@dataclass
class TrainSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    lr: float = 2e-4
    epochs: float = 3.0
    batch_size: int = 4
    grad_accum: int = 4
    warmup_ratio: float = 0.05
    max_len: int = 512
    bf16: bool = False
    gradient_checkpointing: bool = False
    seed: int = 13
    progress: bool = True


@dataclass
class TrainReport:
    steps: int = 0
    optimizer_steps: int = 0
    tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    first_loss: float = math.nan
    final_loss: float = math.nan
    loss_history: list[float] = field(default_factory=list)
    trainable_params: int = 0
    total_params: int = 0
    peak_gpu_bytes: int | None = None
    dropped_too_long: int = 0

    def as_dict(self) -> dict[str, Any]:
        s = max(self.seconds, 1e-9)
        return {"steps": self.steps, "optimizer_steps": self.optimizer_steps, "tokens": self.tokens,
                "completion_tokens": self.completion_tokens, "seconds": round(self.seconds, 2),
                "steps_per_s": round(self.steps / s, 3), "tokens_per_s": round(self.tokens / s, 1),
                "first_loss": self.first_loss, "final_loss": self.final_loss, "loss_history": self.loss_history,
                "trainable_params": self.trainable_params, "total_params": self.total_params,
                "peak_gpu_bytes": self.peak_gpu_bytes, "dropped_too_long": self.dropped_too_long}


# ------------------------------------------------------------------ tokenizer and prompts
def load_tokenizer(ref: str | Path):  # noqa: ANN201 - a transformers tokenizer
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(ref))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    if not tok.chat_template:
        raise LoraJobError(f"{ref}: the tokenizer has no chat template; use an instruction-tuned base model")
    return tok


def prompt_text(tok: Any, task: str, user_input: str) -> str:
    """The chat-formatted prompt, ending where the assistant's answer starts."""
    messages = [{"role": "user", "content": f"{INSTRUCTIONS[task]}\n\n{user_input}"}]
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def encode(tok: Any, task: str, user_input: str, answer: str | None) -> Example:
    prompt = tok(prompt_text(tok, task, user_input), add_special_tokens=False)["input_ids"]
    completion = [] if answer is None else tok(answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    return Example(task, list(prompt), list(completion))


# ------------------------------------------------------------------ model
def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LoraJobError("--device cuda but no GPU is visible")
    return torch.device(name)


def load_base(ref: str | Path, device: torch.device, bf16: bool):  # noqa: ANN201 - a transformers model
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(str(ref), dtype=dtype)
    return model.to(device)


def linear_names(model: nn.Module) -> set[str]:
    return {name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, nn.Linear)}


def add_lora(model: nn.Module, s: TrainSettings):  # noqa: ANN201 - a peft.PeftModel
    from peft import LoraConfig, get_peft_model

    available = linear_names(model)
    missing = [t for t in s.target_modules if t not in available]
    if missing:
        raise LoraJobError(f"target modules {missing} are not in this model; its linear layers are "
                           f"{sorted(available)} (set --target-modules)")
    if s.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.config.use_cache = False
    config = LoraConfig(r=s.r, lora_alpha=s.alpha, lora_dropout=s.dropout, target_modules=list(s.target_modules),
                        bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def _batches(examples: Sequence[Example], batch_size: int, pad_id: int, rng: random.Random | None,
             device: torch.device):
    order = list(range(len(examples)))
    if rng is not None:
        rng.shuffle(order)
        chunk = batch_size * 32  # bucket by length inside shuffled chunks: less padding
        order = [i for c in range(0, len(order), chunk)
                 for i in sorted(order[c:c + chunk], key=lambda j: examples[j].length)]
    groups = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(groups)
    for idx in groups:
        width = max(examples[i].length for i in idx)
        ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
        labels = torch.full((len(idx), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for b, i in enumerate(idx):
            ex = examples[i]
            seq = ex.prompt_ids + ex.completion_ids
            ids[b, :len(seq)] = torch.tensor(seq)
            mask[b, :len(seq)] = 1
            # loss on the answer only: the prompt (instruction + request) is context, not a target
            labels[b, len(ex.prompt_ids):len(seq)] = torch.tensor(ex.completion_ids)
        yield ids.to(device), mask.to(device), labels.to(device)


def train(model: nn.Module, tok: Any, examples: list[Example], s: TrainSettings, device: torch.device) -> TrainReport:
    """Fine-tune the (peft-wrapped) model in place; returns throughput and loss figures."""
    report = TrainReport()
    keep = [e for e in examples if e.length <= s.max_len]
    report.dropped_too_long = len(examples) - len(keep)
    if not keep:
        raise LoraJobError(f"no training example fits --max-len {s.max_len}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    report.trainable_params = sum(p.numel() for p in trainable)
    report.total_params = sum(p.numel() for p in model.parameters())
    per_epoch = math.ceil(len(keep) / s.batch_size)
    total_steps = max(1, math.ceil(per_epoch * s.epochs))
    total_updates = max(1, math.ceil(total_steps / s.grad_accum))
    warmup = int(total_updates * s.warmup_ratio)
    opt = torch.optim.AdamW(trainable, lr=s.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda u: (u + 1) / (warmup + 1) if u < warmup else max(0.0, (total_updates - u) / max(1, total_updates - warmup)))
    rng = random.Random(s.seed)
    torch.manual_seed(s.seed)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=s.bf16)
    model.train()
    started = time.perf_counter()
    bar = tqdm(total=total_steps, desc="lora", unit="step", disable=not s.progress, leave=False)
    window: list[float] = []
    step = 0
    while step < total_steps:
        for ids, mask, labels in _batches(keep, s.batch_size, tok.pad_token_id, rng, device):
            with autocast:
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            (loss / s.grad_accum).backward()
            step += 1
            value = float(loss.detach())
            if step == 1:
                report.first_loss = value
            window.append(value)
            report.tokens += int(mask.sum())
            report.completion_tokens += int((labels != IGNORE).sum())
            if step % s.grad_accum == 0 or step == total_steps:
                nn.utils.clip_grad_norm_(trainable, 1.0)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                report.optimizer_steps += 1
            if step % 10 == 0 or step == total_steps:
                report.loss_history.append(round(sum(window) / len(window), 4))
                window = []
            bar.update(1)
            bar.set_postfix(loss=f"{value:.3f}")
            if step >= total_steps:
                break
    bar.close()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        report.peak_gpu_bytes = int(torch.cuda.max_memory_allocated(device))
    report.seconds = time.perf_counter() - started
    report.steps = step
    report.final_loss = report.loss_history[-1] if report.loss_history else math.nan
    model.eval()
    return report


@torch.no_grad()
def logits_of(model: nn.Module, tok: Any, examples: Sequence[Example], device: torch.device) -> torch.Tensor:
    """Logits of a padded probe batch (masked positions zeroed), float32 on CPU."""
    ids, mask, _ = next(_batches(list(examples), len(examples), tok.pad_token_id, None, device))
    out = model(input_ids=ids, attention_mask=mask).logits.float()
    return (out * mask.unsqueeze(-1)).cpu()


@torch.no_grad()
def generate(model: nn.Module, tok: Any, task: str, inputs: Sequence[str], device: torch.device,
             max_new_tokens: int, batch_size: int = 16, progress: bool = False) -> list[str]:
    """Greedy answers for `inputs` (left-padded batches; decoding stops at end-of-turn)."""
    model.eval()
    encoded = [encode(tok, task, x, None).prompt_ids for x in inputs]
    out: list[str] = [""] * len(inputs)
    order = sorted(range(len(inputs)), key=lambda i: len(encoded[i]))
    for start in tqdm(range(0, len(order), batch_size), desc=f"generate {task}", disable=not progress, leave=False):
        idx = order[start:start + batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for b, i in enumerate(idx):
            seq = encoded[i]
            ids[b, width - len(seq):] = torch.tensor(seq)
            mask[b, width - len(seq):] = 1
        gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
                             do_sample=False, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        for b, i in enumerate(idx):
            out[i] = tok.decode(gen[b, width:], skip_special_tokens=True).strip()
    return out


def reload_adapter(base_ref: str | Path, adapter_dir: Path, device: torch.device, bf16: bool):  # noqa: ANN201
    """The saved adapter on a freshly loaded base (a peft model, eval mode)."""
    from peft import PeftModel

    base = load_base(base_ref, device, bf16)
    adapted = PeftModel.from_pretrained(base, str(adapter_dir))
    adapted.eval()
    return adapted


def merge(adapted: Any) -> nn.Module:
    """The adapter merged into the base weights (`merge_and_unload`: a plain transformers model)."""
    merged = adapted.merge_and_unload()
    merged.eval()
    merged.config.use_cache = True
    return merged
