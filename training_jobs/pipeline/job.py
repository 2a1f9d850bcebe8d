"""The training pipeline: lake window → candidate ranker (+ NLU) → registry `candidate` →
champion/challenger evaluation on the held-out end of the window (+ oracle replay when the
world's truth is at hand) → promote or reject, with the report stored and the reason audited.

Split by time: the last ``holdout_days`` days of the window are never trained on; both the
candidate and production are judged on exactly those logged turns.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from nabiyam.evaluation.compare import BootstrapSpec, Evidence, ModelUnderTest, compare, oracle_replay
from nabiyam.evaluation.logged import LoggedTurn, read_logged_turns
from nabiyam.evaluation.record import record_decision
from nabiyam.evaluation.report import ComparisonReport, Gate
from nabiyam.observability import get_logger
from nabiyam.registry import DataWindow, Registry
from nabiyam.settings import Settings, get_settings

logger = get_logger("pipeline")
MODELS = ("ranker", "nlu")


@dataclass
class PipelineConfig:
    window: DataWindow
    sheets: Path = Path("var/world-small")
    out: Path = Path("var/pipeline")
    holdout_days: int = 3
    models: tuple[str, ...] = ("ranker",)
    epochs: int = 4
    seed: int = 0
    shuffle_labels: bool = False
    oracle_world: Path | None = None
    oracle_requests: int = 300
    bootstrap_resamples: int = 300
    decide: bool = True
    actor: str = "pipeline"
    reason: str = "retrain"
    lake_source: Any = None
    experiment_gate: Gate | None = None
    extra_gates: list[Gate] = field(default_factory=list)

    def validate(self) -> None:
        if not (1 <= self.holdout_days < self.window.days):
            raise ValueError(f"--holdout-days must be at least 1 and shorter than the {self.window.days}-day window, "
                             f"got {self.holdout_days}")
        unknown = set(self.models) - set(MODELS)
        if unknown or "ranker" not in self.models:
            raise ValueError(f"--models must include ranker and may add nlu; got {', '.join(self.models)}")
        if self.epochs < 1:
            raise ValueError(f"--epochs must be at least 1, got {self.epochs}")
        if not (Path(self.sheets) / "world.json").is_file() and not (Path(self.sheets) / "shops.csv").is_file():
            raise ValueError(f"{self.sheets} holds no operator sheets (a world or imported directory)")


def _split(cfg: PipelineConfig, turns: list[LoggedTurn]) -> tuple[DataWindow, DataWindow, list, list]:
    holdout_start = cfg.window.end - timedelta(days=cfg.holdout_days - 1)
    train_w = DataWindow(start=cfg.window.start, end=holdout_start - timedelta(days=1))
    held_w = DataWindow(start=holdout_start, end=cfg.window.end)
    return train_w, held_w, [t for t in turns if t.day < holdout_start], [t for t in turns if t.day >= holdout_start]


def run_pipeline(cfg: PipelineConfig, settings: Settings | None = None, *, log: Any = print) -> dict[str, Any]:
    """Train, register, evaluate and (with ``decide``) promote or reject. Returns a summary."""
    from nabiyam.recsys import Recommender
    from nabiyam.recsys.ranker import ArtifactError, RankerArtifacts
    from training_jobs.pipeline.data import Sheets
    from training_jobs.pipeline.ranker import train_ranker
    from training_jobs.ranker.export import PARITY_ATOL

    cfg.validate()
    settings = settings or get_settings()
    started = time.perf_counter()
    turns = read_logged_turns(cfg.window.start, cfg.window.end, settings, source=cfg.lake_source)
    train_w, held_w, train_t, held_t = _split(cfg, turns)
    log(f"lake {cfg.window}: {len(turns)} recommendation turns; train {train_w} ({len(train_t)}), "
        f"held out {held_w} ({len(held_t)})")
    if not held_t:
        raise ValueError(f"no logged recommendation turns in the held-out days {held_w}")
    sheets = Sheets.load(cfg.sheets)
    out = Path(cfg.out)
    if out.exists():
        shutil.rmtree(out)
    ranker_dir = out / "ranker"
    trained = train_ranker(sheets, train_t, ranker_dir, window=str(train_w), epochs=cfg.epochs, seed=cfg.seed,
                           shuffle_labels=cfg.shuffle_labels)
    log(f"ranker trained on {trained['metrics']['train_turns']} turns: validation AUC (shown sets) "
        f"{trained['metrics']['validation_auc_shown_sets']:.4f}")
    gates: list[Gate] = []
    reg = Registry(settings)
    if "nlu" in cfg.models:
        from training_jobs.lora.teach import collect_labels
        from training_jobs.nlu.evaluate import load_jsonl
        from training_jobs.nlu.job import DEFAULT_HANDWRITTEN
        from training_jobs.pipeline.nlu import nlu_gate, train_nlu

        # the LoRA teacher's accepted labels of the training days (issue 14), then logged utterances
        teacher = collect_labels(train_w.start, train_w.end, out / "nlu_teacher_labels.jsonl", settings)
        nlu_info = train_nlu(train_t, out / "nlu", seed=cfg.seed + 13, teacher_labels=teacher)
        prod_nlu = reg.production("nlu")
        prod_dir = reg.fetch_version("nlu", prod_nlu.version, settings.model_cache_dir) if prod_nlu else None
        gate = nlu_gate(prod_dir, out / "nlu", load_jsonl(DEFAULT_HANDWRITTEN))
        gates.append(gate)
        log(f"NLU retrained with {nlu_info['teacher_labels']} teacher labels and {nlu_info['logged_utterances']} "
            f"logged utterances; {gate.detail}")
    else:
        gates.append(Gate(name="nlu", passed=True, detail="NLU not retrained in this run; production NLU unchanged"))
    version = reg.publish("ranker", ranker_dir, trained["metrics"], data_window=train_w, actor=cfg.actor,
                          reason=cfg.reason)
    log(f"registered ranker {version} as candidate")

    cat = sheets.catalogue()
    try:
        RankerArtifacts.load(reg.fetch_version("ranker", version, settings.model_cache_dir))
        candidate = Recommender.load(reg.fetch_version("ranker", version, settings.model_cache_dir), cat)
        gates.append(Gate(name="loads_in_serving", passed=candidate.artifacts is not None,
                          detail="the registered artifact loads in the serving code (onnxruntime)"))
    except (ArtifactError, OSError) as exc:
        candidate = Recommender.load(None, cat)
        gates.append(Gate(name="loads_in_serving", passed=False, detail=f"does not load: {exc}"))
    diff = float(trained["manifest"]["parity_max_abs_diff"])
    gates.append(Gate(name="onnx_parity", passed=diff <= PARITY_ATOL,
                      detail=f"max |torch − onnxruntime| {diff:.2e} (tolerance {PARITY_ATOL:.0e})"))
    if cfg.experiment_gate is not None:
        gates.append(cfg.experiment_gate)
    gates += cfg.extra_gates
    prod = reg.production("ranker")
    production = Recommender.load(reg.fetch_version("ranker", prod.version, settings.model_cache_dir) if prod else None,
                                  cat)
    spec = BootstrapSpec(resamples=cfg.bootstrap_resamples, seed=cfg.seed)
    replay = None
    if cfg.oracle_world is not None:
        replay = _oracle(cfg, production, candidate, held_w, spec)
        log(f"oracle replay on {replay.requests} held-out simulated requests: production "
            f"{replay.production.estimate:.4f}, candidate {replay.candidate.estimate:.4f}, verdict {replay.verdict}")
    report = compare(ModelUnderTest("production", prod.version if prod else None, production),
                     ModelUnderTest("candidate", version, candidate), held_t, evidence=Evidence(gates),
                     oracle=replay, spec=spec)
    (out / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    key = record_decision(report, settings, actor=cfg.actor, apply=cfg.decide)
    log(format_report(report))
    log(f"report → s3://{settings.artifacts_bucket}/{key}")
    return {"version": version, "decision": report.decision, "report": report, "report_key": key,
            "train_window": str(train_w), "held_out": str(held_w), "seconds": round(time.perf_counter() - started, 1)}


def _oracle(cfg: PipelineConfig, production: Any, candidate: Any, held_w: DataWindow, spec: BootstrapSpec) -> Any:
    from nabiyam.nlu import NluService
    from nabiyam.simulate.world import SimWorld

    world = SimWorld(cfg.oracle_world)  # type: ignore[arg-type]
    per_day = max(1, cfg.oracle_requests // held_w.days)
    requests = [s for k in range(held_w.days)
                for s in world.sessions(held_w.start + timedelta(days=k), per_day, seed=cfg.seed + 9973,
                                        prefix=f"oracle-{k}")]
    nlu = NluService(None)  # the rules parser: the same reading of each request for both models
    return oracle_replay(production, candidate, requests, world.oracle, nlu.parse, spec)


def format_report(report: ComparisonReport) -> str:
    lines = [f"{'metric':<11}{'production':>28}{'candidate':>28}{'difference':>30}  verdict"]
    for m in report.metrics:
        cell = lambda i: f"{i.estimate:.4f} [{i.low:.4f}, {i.high:.4f}]"  # noqa: E731
        d = m.difference
        lines.append(f"{m.name:<11}{cell(m.production):>28}{cell(m.candidate):>28}"
                     f"{f'{d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]':>30}  {m.verdict}")
    if report.oracle:
        o = report.oracle
        lines.append(f"{'oracle':<11}{o.production.estimate:>28.4f}{o.candidate.estimate:>28.4f}"
                     f"{f'{o.difference.estimate:+.4f} [{o.difference.low:+.4f}, {o.difference.high:+.4f}]':>30}"
                     f"  {o.verdict}")
    lines += [f"gate {g.name}: {'pass' if g.passed else 'FAIL'} — {g.detail}" for g in report.gates]
    lines.append(f"decision: {report.decision.upper()} — " + "; ".join(report.reasons))
    if report.agrees_with_oracle is not None:
        lines.append(f"agrees with the oracle: {report.agrees_with_oracle}")
    return "\n".join(lines)


def summary_json(result: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "report"} | {"reasons": result["report"].reasons},
                      ensure_ascii=False)
