"""NLU metrics, shared by the trainer, the tests and the benchmark: intent accuracy, slot span
F1, filter exact match, budget exact match and the intent confusion matrix."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nabiyam.domain.nlu import Filters, Intent, NluResult

INTENTS = [i.value for i in Intent]


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
    return rows


def canonical_filters(raw: dict[str, Any] | Filters) -> dict[str, Any]:
    f = raw if isinstance(raw, Filters) else Filters(**raw)
    return f.model_dump(mode="json")


def evaluate(rows: Iterable[dict[str, Any]], parse: Callable[[str], NluResult]) -> dict[str, Any]:
    """Run `parse` over labelled rows ({text, intent, filters[, entities]}) and score it."""
    n = intent_ok = filt_ok = budget_ok = 0
    tp = fp = fn = 0
    confusion: Counter[tuple[str, str]] = Counter()
    sources: Counter[str] = Counter()
    errors: list[dict[str, Any]] = []
    has_spans = False
    for row in rows:
        res = parse(row["text"])
        n += 1
        sources[res.source] += 1
        confusion[(row["intent"], str(res.intent))] += 1
        intent_ok += row["intent"] == res.intent
        want = canonical_filters(row.get("filters", {}))
        got = canonical_filters(res.filters)
        filt_ok += want == got
        budget_ok += want["budget_max"] == got["budget_max"]
        if "entities" in row:
            has_spans = True
            gold = {(e["type"], e["start"], e["end"]) for e in row["entities"]}
            pred = {(str(e.type), e.start, e.end) for e in res.entities}
            tp += len(gold & pred)
            fp += len(pred - gold)
            fn += len(gold - pred)
        if (row["intent"] != res.intent or want != got) and len(errors) < 50:
            errors.append({"text": row["text"], "intent": row["intent"], "got_intent": res.intent,
                           "filters": {k: v for k, v in want.items() if v != canonical_filters({})[k]},
                           "got_filters": {k: v for k, v in got.items() if v != canonical_filters({})[k]},
                           "source": res.source, "confidence": res.confidence})
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": n,
        "intent_accuracy": intent_ok / n if n else 0.0,
        "filter_exact_match": filt_ok / n if n else 0.0,
        "budget_exact_match": budget_ok / n if n else 0.0,
        "slot_span_f1": f1 if has_spans else None,
        "sources": dict(sources),
        "confusion": {"labels": INTENTS,
                      "matrix": [[confusion[(a, b)] for b in INTENTS] for a in INTENTS]},
        "errors": errors,
    }


def confusion_markdown(report: dict[str, Any]) -> str:
    labels = report["confusion"]["labels"]
    short = [lab.split("_")[0][:6] for lab in labels]
    lines = ["| gold \\ pred | " + " | ".join(short) + " |", "|---" * (len(labels) + 1) + "|"]
    for lab, row in zip(labels, report["confusion"]["matrix"]):
        lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
    return "\n".join(lines)
