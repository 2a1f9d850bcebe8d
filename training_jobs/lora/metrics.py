"""Held-out metrics of the two tasks (pure functions over generated strings).

NLU: valid-JSON rate, schema-valid rate (pydantic schema + spans that point at their words),
intent accuracy and per-field exact match of the filters (an invalid answer counts as a
miss everywhere, so the rates share one denominator: every held-out request).
Rewrite: the style-check pass rate, the meaning-check pass rate and both together.

>>> row = {"text": "안녕", "intent": "GREETING", "entities": [], "filters": {}}
>>> m = nlu_metrics([row], ['{"intent":"GREETING","entities":[],"filters":{},"semantic_query":""}'])
>>> m["valid_json_rate"], m["schema_valid_rate"], m["intent_accuracy"], m["filters_exact_match"]
(1.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nabiyam.domain.nlu import Filters
from training_jobs.lora.rewrite_pairs import RewritePair, check_rewrite
from training_jobs.lora.schema import FILTER_FIELDS, parse_answer


def nlu_metrics(rows: Sequence[dict[str, Any]], generated: Sequence[str], examples: int = 8) -> dict[str, Any]:
    if len(rows) != len(generated):
        raise ValueError(f"{len(rows)} rows but {len(generated)} generations")
    n = len(rows)
    valid = schema = intent = exact = 0
    field_ok = dict.fromkeys(FILTER_FIELDS, 0)
    shown: list[dict[str, Any]] = []
    for row, out in zip(rows, generated):
        parsed = parse_answer(out, row["text"])
        valid += parsed.valid_json
        want = Filters(**row.get("filters", {})).model_dump(mode="json")
        if parsed.answer is not None:
            schema += 1
            intent += str(parsed.answer.intent) == row["intent"]
            got = parsed.answer.filters.model_dump(mode="json")
            exact += got == want
            for name in FILTER_FIELDS:
                field_ok[name] += got[name] == want[name]
        if len(shown) < examples:
            shown.append({"text": row["text"], "generated": out, "problems": parsed.problems})
    rate = (lambda k: k / n) if n else (lambda k: 0.0)
    return {"n": n, "valid_json_rate": rate(valid), "schema_valid_rate": rate(schema),
            "intent_accuracy": rate(intent), "filters_exact_match": rate(exact),
            "filter_field_exact_match": {name: rate(k) for name, k in field_ok.items()}, "examples": shown}


def rewrite_metrics(pairs: Sequence[RewritePair], generated: Sequence[str]) -> dict[str, Any]:
    if len(pairs) != len(generated):
        raise ValueError(f"{len(pairs)} pairs but {len(generated)} generations")
    checks = [check_rewrite(p.source, out, p.keep) for p, out in zip(pairs, generated)]
    n = len(checks)
    rate = (lambda k: k / n) if n else (lambda k: 0.0)
    return {"n": n, "style_pass_rate": rate(sum(c["style_ok"] for c in checks)),
            "meaning_pass_rate": rate(sum(c["meaning_ok"] for c in checks)),
            "both_pass_rate": rate(sum(c["style_ok"] and c["meaning_ok"] for c in checks)),
            "checks": [{"source": p.source, "rewrite": out, **c} for p, out, c in zip(pairs, generated, checks)]}
