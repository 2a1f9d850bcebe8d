"""Training loop, ONNX export, parity check, threshold calibration and metrics (torch here)."""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import shutil
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from nabiyam.domain.nlu import Intent
from nabiyam.nlu.features import N_FEATURES, PAD, TAGS, UNK, encode
from nabiyam.nlu.lexicon import gazetteer
from nabiyam.nlu.onnx_model import LABELS_FILE, MANIFEST_FILE, METRICS_FILE, MODEL_FILE, VOCAB_FILE, OnnxNlu
from nabiyam.nlu.rules import parse_rules
from nabiyam.nlu.service import NluService
from nabiyam.nlu.text import prepare
from training_jobs.artifacts import swap_in
from training_jobs.nlu.data import bio_tags, generate
from training_jobs.nlu.evaluate import evaluate, load_jsonl
from training_jobs.nlu.model import NluNet

INTENTS = [i.value for i in Intent]
PARITY_TOL = 1e-3


def build_vocab(rows: list[dict[str, Any]]) -> list[str]:
    counts: Counter[str] = Counter()
    for r in rows:
        counts.update(prepare(r["text"]).text)
    for surface in gazetteer().entries:
        counts.update({ch: 2 for ch in surface})
    chars = sorted(ch for ch, c in counts.items() if c >= 2)
    return ["<pad>", "<unk>", *chars]


def tensorize(rows: list[dict[str, Any]], vocab: dict[str, int], max_len: int) -> list[tuple[np.ndarray, int, np.ndarray]]:
    out = []
    tag_index = {t: i for i, t in enumerate(TAGS)}
    for r in rows:
        prep = prepare(r["text"])
        if len(prep.text) != len(r["text"]):
            continue
        feats = encode(prep.text, vocab, max_len)
        tags = np.array([tag_index[t] for t in bio_tags(r)][: len(feats)], dtype=np.int64)
        if len(tags) < len(feats):  # an empty text encodes as one space
            tags = np.zeros(len(feats), dtype=np.int64)
        out.append((feats, INTENTS.index(r["intent"]), tags))
    return out


def batches(data: list, batch_size: int, rng: random.Random | None):
    order = list(range(len(data)))
    if rng is not None:
        rng.shuffle(order)
        # bucket by length inside chunks of 50 batches: less padding, still shuffled
        chunk = batch_size * 50
        order = [i for s in range(0, len(order), chunk) for i in sorted(order[s:s + chunk], key=lambda j: len(data[j][0]))]
    idx_batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(idx_batches)
    for idx in idx_batches:
        t = -(-max(len(data[i][0]) for i in idx) // 8) * 8  # few distinct shapes: oneDNN caches kernels per shape
        feats = np.zeros((len(idx), t, N_FEATURES), dtype=np.int64)
        mask = np.zeros((len(idx), t), dtype=np.float32)
        tags = np.full((len(idx), t), -100, dtype=np.int64)
        for b, i in enumerate(idx):
            n = len(data[i][0])
            feats[b, :n] = data[i][0]
            mask[b, :n] = 1.0
            tags[b, :n] = data[i][2]
        yield (torch.from_numpy(feats), torch.from_numpy(mask), torch.tensor([data[i][1] for i in idx]),
               torch.from_numpy(tags))


@torch.no_grad()
def dev_score(model: NluNet, data: list, device: torch.device) -> float:
    """Mean of intent accuracy and entity-token accuracy (cheap proxy for model selection)."""
    model.eval()
    ok_i = n_i = ok_t = n_t = 0
    for feats, mask, intents, tags in batches(data, 256, None):
        il, sl = model(feats.to(device), mask.to(device))
        ok_i += (il.argmax(-1).cpu() == intents).sum().item()
        n_i += len(intents)
        pred = sl.argmax(-1).cpu()
        sel = (tags > 0) | ((pred > 0) & (tags >= 0))
        ok_t += ((pred == tags) & sel).sum().item()
        n_t += sel.sum().item()
    model.train()
    return 0.5 * ok_i / max(n_i, 1) + 0.5 * ok_t / max(n_t, 1)


def export_onnx(model: NluNet, path: Path) -> None:
    model.eval().cpu()
    feats = torch.zeros((2, 12, N_FEATURES), dtype=torch.long)
    feats[..., 0] = 2
    mask = torch.ones((2, 12))
    torch.onnx.export(model, (feats, mask), str(path), input_names=["features", "mask"],
                      output_names=["intent_logits", "slot_logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"features": {0: "batch", 1: "seq"}, "mask": {0: "batch", 1: "seq"},
                                    "intent_logits": {0: "batch"}, "slot_logits": {0: "batch", 1: "seq"}})


def parity(model: NluNet, path: Path, data: list) -> float:
    """Max |torch − onnxruntime| over logits of a padded batch and single utterances."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    model.eval()
    with torch.no_grad():
        samples = [next(batches(data[:32], 32, None))] + [next(batches([d], 1, None)) for d in data[32:40]]
        for feats, mask, _, _ in samples:
            ti, ts = model(feats, mask)
            oi, os_ = sess.run(None, {"features": feats.numpy(), "mask": mask.numpy()})
            m = mask.numpy()[..., None] > 0
            worst = max(worst, float(np.abs(ti.numpy() - oi).max()), float(np.abs((ts.numpy() - os_) * m).max()))
    return worst


def calibrate(service_model: OnnxNlu, rows: list[dict[str, Any]]) -> tuple[float, list[dict[str, float]]]:
    """Lowest confidence threshold that maximises the dev accuracy of model-or-rules."""
    from training_jobs.nlu.evaluate import canonical_filters

    model_ok, rules_ok, confs = [], [], []
    svc = NluService(service_model, threshold=0.0)
    for r in rows:
        want = (r["intent"], canonical_filters(r.get("filters", {})))
        m = svc.parse(r["text"])
        rr = parse_rules(r["text"])
        model_ok.append((m.intent, canonical_filters(m.filters)) == want)
        rules_ok.append((rr.intent, canonical_filters(rr.filters)) == want)
        confs.append(m.confidence)
    mo, ro, cf = np.array(model_ok), np.array(rules_ok), np.array(confs)
    curve = []
    for t in np.round(np.arange(0.3, 0.99, 0.02), 2):
        acc = float(np.where(cf >= t, mo, ro).mean())
        curve.append({"threshold": float(t), "accuracy": acc, "model_share": float((cf >= t).mean())})
    best = max(curve, key=lambda c: (round(c["accuracy"], 4), -c["threshold"]))
    return best["threshold"], curve


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_and_export(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else "cpu" if args.device == "auto" else args.device)
    rows = {split: generate(n, split, args.seed, args.chatbot_csv, args.klue_ontology)
            for split, n in (("train", args.train_size), ("dev", args.eval_size), ("test", args.eval_size))}
    from training_jobs.nlu.data import load_extra

    for extra in getattr(args, "extra_data", []) or []:
        rows["train"] += load_extra(Path(extra))
    chars = build_vocab(rows["train"])
    vocab = {ch: i for i, ch in enumerate(chars)}
    max_len = 128
    data = {s: tensorize(r, vocab, max_len) for s, r in rows.items()}
    model = NluNet(len(chars), len(INTENTS), len(TAGS), hidden=args.hidden).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = (len(data["train"]) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15)
    ce_i = nn.CrossEntropyLoss(label_smoothing=0.05)
    ce_s = nn.CrossEntropyLoss(ignore_index=-100)
    rng = random.Random(args.seed)
    best, best_state, bad, history = -1.0, None, 0, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        bar = tqdm(batches(data["train"], args.batch_size, rng), total=steps_per_epoch, desc=f"nlu epoch {epoch}",
                   disable=args.no_progress, leave=False, unit="batch")
        for feats, mask, intents, tags in bar:
            feats, mask, intents, tags = feats.to(device), mask.to(device), intents.to(device), tags.to(device)
            il, sl = model(feats, mask)
            loss = ce_i(il, intents) + ce_s(sl.reshape(-1, sl.shape[-1]), tags.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        score = dev_score(model, data["dev"], device)
        history.append({"epoch": epoch, "train_loss": total / steps_per_epoch, "dev_score": score})
        if not args.no_progress:
            print(f"epoch {epoch}: loss {total / steps_per_epoch:.4f} dev {score:.4f}", flush=True)
        if score > best + 1e-4:
            best, bad = score, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= args.patience:
                break
    model.load_state_dict(best_state)
    model.cpu().eval()
    train_seconds = time.perf_counter() - started

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".nlu-", dir=out.parent))
    try:
        export_onnx(model, tmp / MODEL_FILE)
        max_diff = parity(model, tmp / MODEL_FILE, data["dev"])
        if max_diff > PARITY_TOL:
            raise RuntimeError(f"ONNX parity check failed: max |torch - onnxruntime| = {max_diff:.2e}")
        (tmp / VOCAB_FILE).write_text(json.dumps({"chars": chars}, ensure_ascii=False), encoding="utf-8")
        labels = {"intents": INTENTS, "tags": list(TAGS), "max_len": max_len, "confidence_threshold": 0.5,
                  "pad": PAD, "unk": UNK}
        (tmp / LABELS_FILE).write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
        sha = _sha256(tmp / MODEL_FILE)
        version = f"nlu-{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{sha[:8]}"
        (tmp / MANIFEST_FILE).write_text(json.dumps({"version": version}), encoding="utf-8")
        onnx_model = OnnxNlu(tmp)
        threshold, curve = calibrate(onnx_model, rows["dev"])
        labels["confidence_threshold"] = threshold
        (tmp / LABELS_FILE).write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
        onnx_model.threshold = threshold

        def report(eval_rows: list[dict[str, Any]]) -> dict[str, Any]:
            pipeline = evaluate(eval_rows, NluService(onnx_model, threshold=threshold).parse)
            pipeline["model_only"] = {k: v for k, v in evaluate(eval_rows, NluService(onnx_model, threshold=0.0).parse).items()
                                      if k not in ("errors",)}
            pipeline["rules_only"] = {k: v for k, v in evaluate(eval_rows, parse_rules).items() if k not in ("errors",)}
            return pipeline

        metrics: dict[str, Any] = {
            "version": version,
            "threshold": threshold,
            "calibration_curve": curve,
            "onnx_parity_max_abs_diff": max_diff,
            "model_bytes": (tmp / MODEL_FILE).stat().st_size,
            "train_seconds": round(train_seconds, 1),
            "epochs_run": len(history),
            "history": history,
            "data": {s: len(r) for s, r in rows.items()},
            "test": report(rows["test"]),
            "handwritten": None,
        }
        if args.handwritten and Path(args.handwritten).exists():
            metrics["handwritten"] = report(load_jsonl(Path(args.handwritten)))
            metrics["handwritten"]["file"] = str(args.handwritten)
        (tmp / METRICS_FILE).write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
        files = {name: {"sha256": _sha256(tmp / name), "bytes": (tmp / name).stat().st_size}
                 for name in (MODEL_FILE, VOCAB_FILE, LABELS_FILE, METRICS_FILE)}
        manifest = {"name": "nlu", "version": version, "format": 1,
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "files": files, "confidence_threshold": threshold, "intents": INTENTS,
                    "training": {"epochs": args.epochs, "epochs_run": len(history), "train_size": args.train_size,
                                 "eval_size": args.eval_size, "seed": args.seed, "hidden": args.hidden,
                                 "device": str(device), "torch": torch.__version__, "python": platform.python_version()},
                    "metrics": {"test": {k: metrics["test"][k] for k in ("intent_accuracy", "slot_span_f1",
                                                                          "filter_exact_match", "budget_exact_match")}}}
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        swap_in(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return metrics
