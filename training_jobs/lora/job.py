"""LoRA teacher / child-friendly rewriter on a causal LM (transformers + peft).

`nabiyam train lora [--base tiny|PATH|HUB_ID] [--task nlu|rewrite|both]`. Production
(GPU, see docs/lora.md)::

    nabiyam train lora --base skt/A.X-3.1-Light --task both --world var/world-small \\
        --epochs 3 --batch-size 4 --grad-accum 4 --lr 1e-4 --r 16 --alpha 32 --publish

Torch, transformers and peft are imported only when the job runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", default="tiny",
                        help="base model: tiny | random-400m | random-1b (built here from a config and a locally "
                             "trained tokenizer), a local model directory, or a hub id such as skt/A.X-3.1-Light")
    parser.add_argument("--task", choices=("nlu", "rewrite", "both"), default="both")
    parser.add_argument("--out", type=Path, default=None, help="artifact dir (default: Settings.artifacts_dir/lora)")
    parser.add_argument("--world", type=Path, default=None, help="a generated world: its requests become NLU pairs")
    parser.add_argument("--nlu-train", type=int, default=4000, help="NLU training pairs (generated utterances)")
    parser.add_argument("--rewrite-train", type=int, default=600, help="child-friendly rewrite training pairs")
    parser.add_argument("--eval-size", type=int, default=100, help="held-out examples per task")
    parser.add_argument("--r", type=int, default=16, help="LoRA rank")
    parser.add_argument("--alpha", type=int, default=32, help="LoRA alpha (scale = alpha / r)")
    parser.add_argument("--dropout", type=float, default=0.05, help="LoRA dropout")
    parser.add_argument("--target-modules", default=DEFAULT_TARGETS, help="comma-separated linear layer names")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--grad-accum", type=int, default=4, help="gradient accumulation steps")
    parser.add_argument("--max-len", type=int, default=512, help="longest prompt + answer in tokens (longer: dropped)")
    parser.add_argument("--max-new-tokens", type=int, default=160, help="generation limit for the NLU answers")
    parser.add_argument("--bf16", choices=("auto", "on", "off"), default="auto", help="auto: on a bf16-capable GPU")
    parser.add_argument("--gradient-checkpointing", choices=("auto", "on", "off"), default="auto",
                        help="auto: on a GPU")
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--save-merged", action="store_true", help="also save the merged model (large for 7B)")
    parser.add_argument("--publish", action="store_true", help="publish the artifact to the model registry as 'lora'")
    parser.add_argument("--quick", action="store_true", help="tiny CPU smoke run (small data, 2 epochs)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _fail(msg: str) -> int:
    print(f"nabiyam train lora: error: {msg}", file=sys.stderr)
    return 2


def options_from_args(args: argparse.Namespace):  # noqa: ANN201 - trainer.JobOptions
    """Validated job options (raises LoraJobError with a readable message)."""
    from training_jobs.lora.lm import LoraJobError, TrainSettings
    from training_jobs.lora.trainer import JobOptions

    if args.quick:
        args.nlu_train, args.rewrite_train = min(args.nlu_train, 200), min(args.rewrite_train, 120)
        args.eval_size, args.epochs, args.batch_size, args.grad_accum = min(args.eval_size, 16), 2.0, 16, 1
        args.max_new_tokens, args.lr, args.max_len = min(args.max_new_tokens, 120), 5e-3, min(args.max_len, 256)
    checks = [(args.r >= 1, "--r must be ≥ 1"), (args.alpha >= 1, "--alpha must be ≥ 1"),
              (0.0 <= args.dropout < 1.0, "--dropout must be in [0, 1)"), (args.lr > 0, "--lr must be > 0"),
              (args.epochs > 0, "--epochs must be > 0"), (args.batch_size >= 1, "--batch-size must be ≥ 1"),
              (args.grad_accum >= 1, "--grad-accum must be ≥ 1"), (args.max_len >= 32, "--max-len must be ≥ 32"),
              (args.eval_size >= 1, "--eval-size must be ≥ 1"),
              (args.nlu_train >= 1 or args.task == "rewrite", "--nlu-train must be ≥ 1"),
              (args.rewrite_train >= 3 or args.task == "nlu", "--rewrite-train must be ≥ 3"),
              (args.world is None or (args.world / "world.json").exists(),
               f"--world {args.world} is not a generated world (no world.json)")]
    for ok, msg in checks:
        if not ok:
            raise LoraJobError(msg)
    targets = tuple(t.strip() for t in args.target_modules.split(",") if t.strip())
    if not targets:
        raise LoraJobError("--target-modules is empty")
    train = TrainSettings(r=args.r, alpha=args.alpha, dropout=args.dropout, target_modules=targets, lr=args.lr,
                          epochs=args.epochs, batch_size=args.batch_size, grad_accum=args.grad_accum,
                          max_len=args.max_len, seed=args.seed, progress=not args.no_progress)
    return JobOptions(base=args.base, task=args.task, world=args.world, nlu_train=args.nlu_train,
                      rewrite_train=args.rewrite_train, eval_size=args.eval_size,
                      max_new_tokens_nlu=args.max_new_tokens, device=args.device, bf16=args.bf16,
                      gradient_checkpointing=args.gradient_checkpointing, save_merged=args.save_merged,
                      threads=args.threads, train=train)


def main(args: argparse.Namespace) -> int:
    from training_jobs.lora.lm import LoraJobError
    from training_jobs.lora.trainer import MODEL_NAME, run_job, summary

    try:
        opts = options_from_args(args)
    except LoraJobError as exc:
        return _fail(str(exc))
    out: Path = args.out
    if out is None:
        from nabiyam.settings import get_settings

        out = get_settings().artifacts_dir / MODEL_NAME
    try:
        metrics = run_job(opts, out)
    except LoraJobError as exc:
        return _fail(str(exc))
    line = {"out": str(out), **summary(metrics)}
    if args.publish:
        from nabiyam.registry import RegistryError, publish

        try:
            line["registry_version"] = publish(MODEL_NAME, out, summary(metrics))
        except RegistryError as exc:
            return _fail(f"trained, but publishing failed: {exc}")
    print(json.dumps(line, ensure_ascii=False))
    return 0
