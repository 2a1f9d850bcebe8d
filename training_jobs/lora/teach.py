"""Teacher → student: the LoRA teacher labels the day's low-confidence logged utterances for
the small ONNX NLU, behind two filters and a gate.

1. **Read** the day's conversation turns from the learning-data lake
   (``s3://<learning>/lake/conversations/dt=YYYY-MM-DD/part-*.jsonl.gz``, rows of
   :class:`~nabiyam.lake.ConversationRow` = ConversationRecord + schema version) and keep the utterances the
   deployed NLU was unsure of (answered by the rules fallback, or confidence below a bound).
2. **Label** them with a :class:`Labeller` (the LoRA teacher, or any other labeller).
3. **Vet** each label: it must be schema-valid (spans point at their words) and consistent
   with the deterministic normalizers (money, foods, places, …; see `schema.inconsistencies`).
4. **Gate**: the teacher must first be right at least as often as the student on the world's
   labelled utterances (held-out requests whose truth the world knows; `audit`). Then the
   student is trained twice, without and with the vetted labels (same seed, same generated
   data), and both are scored on those utterances. The labels are accepted only if the student with them is
   not worse than without beyond noise (a paired test on the same requests, see
   `paired_worse`), both as a model alone and as the deployed model-or-rules pipeline. A teacher none of whose labels survive the checks is rejected.
5. **Write** accepted labels where the next pipeline run reads them
   (``s3://<learning>/nlu-teacher-labels/dt=D/labels.jsonl`` and a local copy; the NLU job
   takes them with ``--extra-data``) and a report of every decision.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from nabiyam.storage.conversations import ConversationRecord
from training_jobs.lora.schema import as_training_row, inconsistencies, parse_answer, target_json

TEACHER_LABELS_PREFIX = "nlu-teacher-labels"
DEFAULT_MAX_CONFIDENCE = 0.7


class Labeller(Protocol):
    """Anything that writes the NLU JSON (the teacher's answer format) for utterances."""

    name: str

    def label(self, texts: Sequence[str]) -> list[str]: ...


# ------------------------------------------------------------------ 1. read the lake
@dataclass
class LoggedDay:
    day: date
    records: list[ConversationRecord]
    unreadable: list[str] = field(default_factory=list)


def read_logged(day: date, settings: Any = None, source: Any = None) -> LoggedDay:
    """The day's logged turns from the lake (`nabiyam.lake`: ``lake/conversations/dt=D/`` parts
    of :class:`~nabiyam.lake.ConversationRow`, a ConversationRecord plus its schema version),
    read part by part: a part that does not decode is reported (where and why) and skipped,
    never fatal for the other parts. `source`: None = the learning bucket, or a local copy."""
    from nabiyam.lake import LakeSchemaError, open_store
    from nabiyam.lake.reader import decode_part
    from nabiyam.lake.writer import PART_SUFFIX, partition_prefix

    store = open_store(source, settings)
    out = LoggedDay(day, [])
    for key in store.list(partition_prefix("conversations", day)):
        if not (key.endswith(PART_SUFFIX) or key.endswith(".jsonl")):
            continue
        try:
            out.records.extend(decode_part("conversations", store.get(key), store.describe(key)))
        except LakeSchemaError as exc:
            out.unreadable.append(str(exc).splitlines()[0])
    return out


def low_confidence(records: Sequence[ConversationRecord], max_confidence: float = DEFAULT_MAX_CONFIDENCE) -> list[str]:
    """Distinct utterances the deployed NLU was unsure of: answered by the rules fallback, or
    below `max_confidence`. First occurrence order."""
    seen: dict[str, None] = {}
    for r in records:
        text = r.message.strip()
        if text and (r.nlu.get("source") == "rules" or r.nlu_confidence < max_confidence):
            seen.setdefault(text, None)
    return list(seen)


# ------------------------------------------------------------------ 2-3. label and vet
@dataclass
class Vetted:
    kept: list[dict[str, Any]]
    rejected: list[dict[str, Any]]  # {"text", "answer", "why"}


def vet(texts: Sequence[str], answers: Sequence[str]) -> Vetted:
    """Keep the labels that are schema-valid and consistent with the normalizers."""
    kept, rejected = [], []
    for text, answer in zip(texts, answers, strict=True):
        parsed = parse_answer(answer, text)
        if parsed.answer is None:
            rejected.append({"text": text, "answer": answer, "why": parsed.problems[:3]})
            continue
        problems = inconsistencies(text, parsed.answer)
        if problems:
            rejected.append({"text": text, "answer": answer, "why": problems[:3]})
        else:
            kept.append(as_training_row(text, parsed.answer))
    return Vetted(kept, rejected)


class TruthLabeller:
    """Labels from known truth (e.g. the world's requests): the best a teacher could do."""

    name = "truth"

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        self.by_text = {r["text"]: r for r in rows}

    def label(self, texts: Sequence[str]) -> list[str]:
        return [target_json(self.by_text[t]) if t in self.by_text else "" for t in texts]


class LoraTeacher:
    """The trained LoRA artifact (`nabiyam train lora`) as a labeller: base + adapter, merged."""

    def __init__(self, artifact: Path, device: str = "auto", max_new_tokens: int = 160, batch_size: int = 16) -> None:
        from training_jobs.lora import lm
        from training_jobs.lora.trainer import ADAPTER_DIR, MANIFEST_FILE

        manifest_path = Path(artifact) / MANIFEST_FILE
        if not manifest_path.exists():
            raise lm.LoraJobError(f"{artifact} is not a LoRA artifact (no {MANIFEST_FILE}); run `nabiyam train lora`")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if "nlu" not in manifest.get("tasks", []):
            raise lm.LoraJobError(f"{artifact} was not trained on the nlu task (tasks: {manifest.get('tasks')})")
        base = Path(artifact) / manifest["base"] if manifest.get("base_preset") else manifest["base"]
        self.name = f"lora:{manifest['version']}"
        self.device = lm.pick_device(device)
        bf16 = manifest.get("dtype") == "bfloat16" and self.device.type == "cuda"
        self.tok = lm.load_tokenizer(Path(artifact) / ADAPTER_DIR)
        self.model = lm.merge(lm.reload_adapter(base, Path(artifact) / ADAPTER_DIR, self.device, bf16))
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size

    def label(self, texts: Sequence[str]) -> list[str]:
        from training_jobs.lora import lm

        return lm.generate(self.model, self.tok, "nlu", list(texts), self.device, self.max_new_tokens,
                           self.batch_size)


# ------------------------------------------------------------------ 4. the gate
# The quick student's item-level results move a little whenever its training data changes at
# all: on the tiny world's ~160 held-out requests another seed moves its score by about one
# point, and even labels copied from the world's truth flip a few requests each way (measured:
# 4 lost, 1 gained). So "not worse" is a paired comparison on the same requests: the labels
# fail when the student with them gets more requests wrong that it got right without them
# (lost) than the reverse (gained), by more than DEFAULT_NOISE_Z standard deviations of that
# paired difference (McNemar: sd = sqrt(lost + gained)), one-sided 99 %. Lenient on noise on
# purpose: wrongly dropping a good day of labels costs little, and a student trained on
# accepted labels still has to beat production in the pipeline's champion/challenger
# evaluation before it serves anyone. A harmful teacher loses far more (tens of requests).
DEFAULT_NOISE_Z = 2.326
# The student's settings inside the gate: the NLU job's `--quick` sizes (seconds on a CPU). The
# pipeline's full-size student is trained later, by the pipeline, on the accepted labels.
QUICK_STUDENT: tuple[str, ...] = ("--train-size", "3000", "--eval-size", "600", "--epochs", "2", "--threads", "1")


def _correct(rows: Sequence[dict[str, Any]], parse: Callable[[str], Any]) -> list[bool]:
    """Per request: intent right and every filter right (the NLU's exact-match criterion)."""
    from training_jobs.nlu.evaluate import canonical_filters

    out = []
    for row in rows:
        res = parse(row["text"])
        out.append(res.intent == row["intent"] and canonical_filters(res.filters) == canonical_filters(row.get("filters", {})))
    return out


class NluStudent:
    """Trains the real NLU student (training_jobs.nlu, quick settings) with optional extra rows
    and scores it on labelled rows, as a model alone and as the model-or-rules pipeline."""

    def __init__(self, workdir: Path, eval_rows: Sequence[dict[str, Any]], nlu_args: Sequence[str] = QUICK_STUDENT,
                 seed: int = 13) -> None:
        self.workdir, self.eval_rows, self.seed = Path(workdir), list(eval_rows), seed
        self.nlu_args = [*nlu_args, "--no-progress", "--seed", str(seed)]
        self._baseline: dict[str, Any] | None = None

    def __call__(self, extra: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
        """{"model": {...}, "pipeline": {...}}: each with accuracy (intent and filters exact),
        intent_accuracy, filter_exact_match and the per-request `correct` list."""
        from nabiyam.nlu.onnx_model import OnnxNlu
        from nabiyam.nlu.service import NluService
        from training_jobs.nlu.evaluate import evaluate
        from training_jobs.nlu.job import add_arguments
        from training_jobs.nlu.trainer import train_and_export

        if extra is None and self._baseline is not None:
            return self._baseline
        name = "with-teacher" if extra else "without-teacher"
        argv = list(self.nlu_args)
        if extra:
            path = self.workdir / "teacher_labels.jsonl"
            self.workdir.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in extra), encoding="utf-8")
            argv += ["--extra-data", str(path)]
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args(argv)
        args.handwritten = None
        out = self.workdir / name
        metrics = train_and_export(args, out)
        model = OnnxNlu(out)
        result: dict[str, Any] = {"extra_rows": len(extra or [])}
        for view, threshold in (("model", 0.0), ("pipeline", metrics["threshold"])):
            parse = NluService(model, threshold=threshold).parse
            rep = evaluate(self.eval_rows, parse)
            correct = _correct(self.eval_rows, parse)
            result[view] = {"n": rep["n"], "accuracy": sum(correct) / max(len(correct), 1),
                            "intent_accuracy": rep["intent_accuracy"], "filter_exact_match": rep["filter_exact_match"],
                            "correct": correct}
        if extra is None:
            self._baseline = result
        return result


@dataclass
class GateResult:
    accepted: bool
    reason: str
    without: dict[str, Any] | None = None
    with_teacher: dict[str, Any] | None = None
    noise_z: float = DEFAULT_NOISE_Z
    paired: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def strip(r: dict[str, Any] | None) -> dict[str, Any] | None:
            return None if r is None else {k: ({kk: vv for kk, vv in v.items() if kk != "correct"}
                                               if isinstance(v, dict) else v) for k, v in r.items()}

        return {"accepted": self.accepted, "reason": self.reason, "noise_z": self.noise_z, "paired": self.paired,
                "without_teacher": strip(self.without), "with_teacher": strip(self.with_teacher)}


def paired_worse(without: Sequence[bool], with_teacher: Sequence[bool], z: float) -> dict[str, Any]:
    """b = right without, wrong with; c = the reverse; worse when b - c > z * sqrt(b + c).

    >>> paired_worse([True] * 10, [True] * 5 + [False] * 5, 1.645)["worse"]
    True
    >>> paired_worse([True, False, True], [False, True, True], 1.645)["worse"]
    False
    """
    if len(without) != len(with_teacher):
        raise ValueError("the two students were scored on different requests")
    b = sum(w and not t for w, t in zip(without, with_teacher))
    c = sum(t and not w for w, t in zip(without, with_teacher))
    bound = z * (b + c) ** 0.5
    return {"lost": b, "gained": c, "bound": round(bound, 3), "worse": b - c > bound}


def audit(labeller: Labeller, eval_rows: Sequence[dict[str, Any]], student_correct: Sequence[bool],
          noise_z: float = DEFAULT_NOISE_Z) -> dict[str, Any]:
    """The teacher graded on the yardstick itself: it labels the world's held-out requests, its
    labels are vetted as usual, and on the requests whose label survived the teacher must be
    right (intent and every filter) at least as often as the student already is, beyond noise
    (`paired_worse`). A teacher that cannot beat its own pupil has nothing to teach it, however
    few labels it would add."""
    from training_jobs.nlu.evaluate import canonical_filters

    texts = [r["text"] for r in eval_rows]
    answers = labeller.label(texts)
    teacher_right, student_right = [], []
    for row, answer, student_ok in zip(eval_rows, answers, student_correct, strict=True):
        parsed = parse_answer(answer, row["text"])
        if parsed.answer is None or inconsistencies(row["text"], parsed.answer):
            continue
        teacher_right.append(str(parsed.answer.intent) == row["intent"] and canonical_filters(parsed.answer.filters)
                             == canonical_filters(row.get("filters", {})))
        student_right.append(student_ok)
    kept = len(teacher_right)
    out: dict[str, Any] = {"n": len(texts), "kept": kept,
                           "teacher_accuracy": sum(teacher_right) / kept if kept else None,
                           "student_accuracy": sum(student_right) / kept if kept else None}
    out["paired"] = paired_worse(student_right, teacher_right, noise_z) if kept else None
    return out


def gate(kept: Sequence[dict[str, Any]], student: Callable[[Sequence[dict[str, Any]] | None], dict[str, Any]],
         noise_z: float = DEFAULT_NOISE_Z, min_labels: int = 1, labeller: Labeller | None = None,
         eval_rows: Sequence[dict[str, Any]] = ()) -> GateResult:
    """Accept the teacher's vetted labels only if (1) some survived vetting, (2) with a
    `labeller` and `eval_rows`: the teacher is not worse than the student on the yardstick
    (`audit`), and (3) the student trained with them is not worse (beyond noise) than without
    them, as a model alone and as the model-or-rules pipeline."""
    if len(kept) < min_labels:
        return GateResult(False, f"only {len(kept)} label(s) passed the schema and normalizer checks "
                                 f"(need {min_labels}): the teacher is not good enough to learn from", noise_z=noise_z)
    without = student(None)
    paired: dict[str, dict[str, Any]] = {}
    if labeller is not None and eval_rows:
        graded = audit(labeller, eval_rows, without["model"]["correct"], noise_z)
        paired["teacher_audit"] = graded
        if not graded["kept"]:
            return GateResult(False, f"none of the teacher's labels of the {graded['n']} yardstick requests passed "
                                     "the schema and normalizer checks", without, None, noise_z, paired)
        if graded["paired"]["worse"]:
            return GateResult(False, f"the teacher is worse than the student on the yardstick: right on "
                                     f"{graded['teacher_accuracy']:.3f} of the {graded['kept']} requests it labelled, "
                                     f"the student on {graded['student_accuracy']:.3f}", without, None, noise_z, paired)
    with_teacher = student(list(kept))
    for view in ("model", "pipeline"):
        paired[view] = paired_worse(without[view]["correct"], with_teacher[view]["correct"], noise_z)
    worse = [f"{view}: {paired[view]['lost']} requests lost, {paired[view]['gained']} gained (noise bound "
             f"{paired[view]['bound']}); accuracy {without[view]['accuracy']:.4f} → {with_teacher[view]['accuracy']:.4f}"
             for view in ("model", "pipeline") if paired[view]["worse"]]
    if worse:
        return GateResult(False, "the student is worse with the teacher's labels (" + "; ".join(worse) + ")",
                          without, with_teacher, noise_z, paired)
    return GateResult(True, f"the student is not worse with {len(kept)} teacher label(s)", without, with_teacher,
                      noise_z, paired)


# ------------------------------------------------------------------ 5. the whole command
@dataclass
class TeachReport:
    day: str
    logged: int
    unreadable: list[str]
    low_confidence: int
    teacher: str | None
    kept: int = 0
    rejected: int = 0
    rejected_examples: list[dict[str, Any]] = field(default_factory=list)
    gate: dict[str, Any] | None = None
    labels_key: str | None = None
    labels_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def teach(day: date, labeller: Labeller | None, eval_rows: Sequence[dict[str, Any]], out: Path, *,
          max_confidence: float = DEFAULT_MAX_CONFIDENCE, noise_z: float = DEFAULT_NOISE_Z,
          student: Callable[[Sequence[dict[str, Any]] | None], dict[str, Any]] | None = None,
          settings: Any = None, limit: int | None = None) -> TeachReport:
    """Read → select → label → vet → gate → write; returns (and writes) the report."""
    from nabiyam.settings import get_settings
    from nabiyam.storage.blobs import BlobStore
    from nabiyam.storage.jsonl import JsonlWriter

    settings = settings or get_settings()
    logged = read_logged(day, settings)
    eval_texts = {r["text"] for r in eval_rows}
    texts = [t for t in low_confidence(logged.records, max_confidence) if t not in eval_texts][:limit]
    report = TeachReport(day.isoformat(), len(logged.records), logged.unreadable, len(texts),
                         labeller.name if labeller else None)
    out.mkdir(parents=True, exist_ok=True)
    if labeller is not None and texts:
        vetted = vet(texts, labeller.label(texts))
        report.kept, report.rejected, report.rejected_examples = len(vetted.kept), len(vetted.rejected), vetted.rejected[:20]
        student = student or NluStudent(out / "students", eval_rows)
        result = gate(vetted.kept, student, noise_z, labeller=labeller, eval_rows=eval_rows)
        report.gate = result.as_dict()
        if result.accepted:
            path = out / "teacher_labels.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in vetted.kept), encoding="utf-8")
            report.labels_file = str(path)
            writer = JsonlWriter(BlobStore(settings.learning_data_bucket, settings), TEACHER_LABELS_PREFIX)
            report.labels_key = writer.write(vetted.kept, day, name="labels")
    (out / "teach_report.json").write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def collect_labels(start: date, end: date, dest: Path, settings: Any = None) -> Path | None:
    """The accepted teacher labels of every day from `start` to `end` (both included) as one
    JSON Lines file in the NLU job's `--extra-data` format, for the next pipeline run:
    ``nabiyam train nlu --extra-data <dest>``. None when no day in the window has any."""
    from datetime import timedelta

    from nabiyam.settings import get_settings
    from nabiyam.storage.blobs import BlobStore
    from nabiyam.storage.jsonl import JsonlWriter

    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    settings = settings or get_settings()
    reader = JsonlWriter(BlobStore(settings.learning_data_bucket, settings), TEACHER_LABELS_PREFIX)
    rows, day = [], start
    while day <= end:
        rows.extend(reader.read(day))
        day += timedelta(days=1)
    if not rows:
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return dest
