"""Retrain the NLU with logged utterances that went well, without teaching it its own mistakes.

Self-confirmation guard: a logged utterance is added only when (1) the person acted on the
answer (ordered from it or liked it, and did not dislike it), (2) the deterministic rules
parser — a labeller independent of the model — gives the same intent as the one logged, and
(3) that intent is a food request (the turns whose outcome says anything about the parse).
The label written is the rules' intent and the gazetteer's spans (``load_extra`` labels slots
by the lexicon), never the model's own slot output; utterances the model was unsure about
(answered by the rules) are not added here — those are for the LoRA teacher to label, and its
accepted labels of the window (``collect_labels``) come first in the extra data. The
extra rows (teacher + logged) are capped at ``MAX_SHARE`` of the generated training set, so the generator's
coverage of rare phrasings is not drowned by today's traffic.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nabiyam.evaluation.logged import FOOD_INTENTS, LoggedTurn
from nabiyam.evaluation.report import Gate, Interval

MAX_SHARE = 0.2


def select_utterances(turns: Sequence[LoggedTurn], limit: int) -> list[dict[str, str]]:
    from nabiyam.nlu.rules import parse_rules

    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for t in turns:
        if not t.went_well or t.intent not in FOOD_INTENTS or t.nlu_source != "model" or t.message in seen:
            continue
        rules = parse_rules(t.message, None)
        if str(rules.intent) != t.intent:
            continue
        seen.add(t.message)
        out.append({"text": t.message, "intent": t.intent})
        if len(out) >= limit:
            break
    return out


def count_rows(path: Path | None) -> int:
    """Non-empty JSON Lines rows of ``path`` (0 for None)."""
    if path is None:
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def extra_data(turns: Sequence[LoggedTurn], teacher_labels: Path | None, limit: int, work_dir: Path
               ) -> tuple[list[Path], dict[str, int]]:
    """The ``--extra-data`` files of one NLU retraining: the LoRA teacher's accepted labels of the
    window (issue 14, :func:`training_jobs.lora.teach.collect_labels`; already gated by the
    teacher's own acceptance check, full labels with slots) first, then logged utterances that
    went well (:func:`select_utterances`) up to ``limit`` rows in all — the ``MAX_SHARE`` cap
    covers both, so the generator's coverage is never drowned.

    >>> import tempfile
    >>> files, counts = extra_data([], None, 10, Path(tempfile.mkdtemp()))
    >>> files, counts
    ([], {'teacher_labels': 0, 'logged_utterances': 0})
    """
    teacher = count_rows(teacher_labels)
    if teacher > limit:
        raise ValueError(f"{teacher_labels} holds {teacher} teacher labels, more than the {limit} extra rows "
                         f"allowed ({MAX_SHARE:.0%} of the generated set): collect a shorter window")
    files = [teacher_labels] if teacher_labels is not None and teacher else []
    rows = select_utterances(turns, limit - teacher)
    if rows:
        work_dir.mkdir(parents=True, exist_ok=True)
        logged = work_dir / "nlu_logged_utterances.jsonl"
        logged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        files.append(logged)
    return files, {"teacher_labels": teacher, "logged_utterances": len(rows)}


def train_nlu(turns: Sequence[LoggedTurn], out_dir: Path, *, quick: bool = True, seed: int = 13,
              teacher_labels: Path | None = None) -> dict:
    """Train the NLU job with :func:`extra_data` (teacher labels + logged utterances)."""
    from training_jobs.nlu import job

    parser = argparse.ArgumentParser()
    job.add_arguments(parser)
    args = parser.parse_args(["--out", str(out_dir), "--seed", str(seed), "--no-progress"] + (["--quick"] if quick else []))
    limit = int((3000 if quick else args.train_size) * MAX_SHARE)
    out_dir.mkdir(parents=True, exist_ok=True)
    files, counts = extra_data(turns, teacher_labels, limit, out_dir.parent)
    args.extra_data = files
    code = job.main(args)
    if code != 0:
        raise RuntimeError(f"NLU training failed (exit {code})")
    return {**counts, "out_dir": out_dir}


def nlu_gate(production_dir: Path | None, candidate_dir: Path, rows: list[dict], *, resamples: int = 300,
             seed: int = 0) -> Gate:
    """Intent accuracy on the hand-written set: the candidate may not be worse beyond the noise
    (paired bootstrap over utterances)."""
    from nabiyam.nlu import NluService

    prod, cand = NluService.load(production_dir) if production_dir else NluService(None), NluService.load(candidate_dir)
    if cand.model_version is None:
        return Gate(name="nlu", passed=False, detail=f"candidate NLU in {candidate_dir} does not load")
    a = np.array([float(str(prod.parse(r["text"]).intent) == r["intent"]) for r in rows])
    b = np.array([float(str(cand.parse(r["text"]).intent) == r["intent"]) for r in rows])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(rows), size=(resamples, len(rows)))
    d = (b[idx] - a[idx]).mean(1)
    diff = Interval(estimate=round(float(b.mean() - a.mean()), 5), low=round(float(np.quantile(d, 0.025)), 5),
                    high=round(float(np.quantile(d, 0.975)), 5))
    return Gate(name="nlu", passed=diff.high >= 0,
                detail=f"intent accuracy on {len(rows)} hand-written utterances: production {a.mean():.3f}, "
                       f"candidate {b.mean():.3f}, difference {diff.estimate:+.3f} [{diff.low:+.3f}, {diff.high:+.3f}]")
