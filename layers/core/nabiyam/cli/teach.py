"""`nabiyam teach --date D`: the LoRA teacher labels the day's low-confidence utterances for
the NLU student, behind schema / normalizer checks and a gate (training_jobs/lora/teach.py).

Example::

    nabiyam teach --date 2026-03-02 --teacher artifacts/lora --world var/world-small
    nabiyam teach --date 2026-03-02 --teacher-from-registry --world var/world-small

Without a teacher it only reports how many utterances would be labelled. Torch loads only
when a teacher runs.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("teach", help="LoRA teacher labels low-confidence logged utterances for the NLU (gated)")
    p.add_argument("--date", required=True, help="the KST day of the logs, YYYY-MM-DD")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--teacher", type=Path, default=None, help="a LoRA artifact directory (nabiyam train lora)")
    who.add_argument("--teacher-from-registry", action="store_true",
                     help="the production version of model 'lora' in the model registry")
    p.add_argument("--world", type=Path, default=None,
                   help="a generated world: its held-out labelled requests are the gate's yardstick (required "
                        "with a teacher)")
    p.add_argument("--out", type=Path, default=None, help="work/report dir (default: Settings.artifacts_dir/teach/D)")
    p.add_argument("--max-confidence", type=float, default=None,
                   help="utterances below this NLU confidence (or answered by the rules) are labelled (default 0.7)")
    p.add_argument("--noise-z", type=float, default=None,
                   help="the gate rejects a student worse by more than this many standard deviations of the paired "
                        "difference (default 2.326, one-sided 99 %%)")
    p.add_argument("--limit", type=int, default=None, help="label at most this many utterances")
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    p.set_defaults(func=_teach)


def _teach(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.settings import get_settings

    try:
        day = date.fromisoformat(args.date)
    except ValueError as exc:
        raise CliError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from exc
    if args.max_confidence is not None and not 0.0 < args.max_confidence <= 1.0:
        raise CliError("--max-confidence must be in (0, 1]")
    if args.noise_z is not None and not 0.0 <= args.noise_z <= 5.0:
        raise CliError("--noise-z must be in [0, 5]")
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be ≥ 1")
    has_teacher = args.teacher is not None or args.teacher_from_registry
    if has_teacher and (args.world is None or not (args.world / "world.json").exists()):
        raise CliError("--world DIR (a generated world) is required to gate a teacher's labels")
    if args.teacher is not None and not args.teacher.is_dir():
        raise CliError(f"--teacher {args.teacher} is not a directory")

    settings = get_settings()
    out = args.out or settings.artifacts_dir / "teach" / day.isoformat()
    from training_jobs.lora.teach import DEFAULT_MAX_CONFIDENCE, DEFAULT_NOISE_Z, LoraTeacher, teach

    labeller = None
    eval_rows: list[dict] = []
    if has_teacher:
        from training_jobs.lora.lm import LoraJobError
        from training_jobs.lora.nlu_pairs import world_rows

        teacher_dir = args.teacher
        if args.teacher_from_registry:
            from nabiyam.registry import RegistryError, fetch

            try:
                teacher_dir = fetch("lora", out / "teacher", settings)
            except RegistryError as exc:
                raise CliError(f"no usable 'lora' model in the registry: {exc}") from exc
        try:
            labeller = LoraTeacher(teacher_dir, device=args.device)
        except LoraJobError as exc:
            raise CliError(str(exc)) from exc
        eval_rows = world_rows(args.world)[1]
    report = teach(day, labeller, eval_rows, out,
                   max_confidence=args.max_confidence if args.max_confidence is not None else DEFAULT_MAX_CONFIDENCE,
                   noise_z=args.noise_z if args.noise_z is not None else DEFAULT_NOISE_Z,
                   settings=settings, limit=args.limit)
    line = {k: v for k, v in report.as_dict().items() if k not in ("rejected_examples", "unreadable")}
    line["unreadable_lines"] = len(report.unreadable)
    if labeller is None:
        line["note"] = "no teacher configured (--teacher DIR or --teacher-from-registry): nothing labelled"
    print(json.dumps(line, ensure_ascii=False))
    return 0
