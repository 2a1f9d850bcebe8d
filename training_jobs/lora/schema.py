"""The teacher's NLU answer: the JSON the LM writes, its schema and its consistency checks.

The LM answers in the same schema as `nabiyam nlu` (intent, entities with character spans,
canonical filters, semantic_query), minus the run-time fields (confidence, source). Pure code:
no torch, usable by the CLI, the gate and the tests.

>>> row = {"text": "만원으로 치킨", "intent": "BUDGET_FOOD_INQUIRY", "entities": [
...     {"type": "budget", "text": "만원", "value": 10000, "start": 0, "end": 2},
...     {"type": "food_type", "text": "치킨", "value": "치킨", "start": 5, "end": 7}],
...     "filters": {"budget_max": 10000, "food_types": ["치킨"], "category": "치킨"}}
>>> answer = target_json(row)
>>> parsed = parse_answer(answer)
>>> parsed.answer.intent, parsed.problems
('BUDGET_FOOD_INQUIRY', [])
>>> inconsistencies(row["text"], parsed.answer)
[]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nabiyam.domain.nlu import Entity, EntityType, Filters, Intent
from nabiyam.nlu.filters import build_filters, semantic_query
from nabiyam.nlu.normalize import normalize

FILTER_FIELDS: tuple[str, ...] = tuple(Filters.model_fields)
# Intents that carry no filters (the NLU's `finish` drops them).
NO_FILTER_INTENTS = (Intent.GREETING.value, Intent.OUT_OF_SCOPE.value)


class LmNlu(BaseModel):
    """What the teacher writes for one utterance (validated strictly: unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    intent: Intent
    entities: list[Entity] = Field(default_factory=list)
    filters: Filters = Field(default_factory=Filters)
    semantic_query: str = ""


def canonical_row(text: str, intent: str, entities: list[dict[str, Any]], good_shop: bool | None = None) -> dict[str, Any]:
    """A labelled row in the NLU's own canonical form: entity values re-normalized by the
    deterministic normalizers (a dong becomes its district, 만원 becomes 10000), filters and
    semantic query built by the NLU's `build_filters` / `semantic_query`.

    `good_shop` None means "read it off the text" (착한가게 is a flag, not an entity).
    """
    from nabiyam.nlu import lexicon as lx
    from nabiyam.nlu.text import compact

    ents: list[Entity] = []
    for e in sorted(entities, key=lambda e: int(e["start"])):
        surface = text[int(e["start"]):int(e["end"])]
        value = normalize(str(e["type"]), surface)
        if value is None:
            value = e.get("value")
        ents.append(Entity(type=e["type"], text=surface, value=value, start=int(e["start"]), end=int(e["end"])))
    if good_shop is None:
        good_shop = any(w in compact(text) for w in lx.GOOD_SHOP_WORDS)
    filters = build_filters(text, ents, good_shop)
    if intent in NO_FILTER_INTENTS:
        filters = build_filters(text, [], False)
    return {"text": text, "intent": intent, "entities": [e.model_dump(mode="json") for e in ents],
            "filters": filters.model_dump(mode="json", exclude_defaults=True),
            "semantic_query": semantic_query(filters)}


def target_json(row: dict[str, Any]) -> str:
    """The completion the LM learns for a labelled row: compact JSON, keys in schema order,
    default filter values left out (shorter answers, the same meaning)."""
    filters = Filters(**row.get("filters", {}))
    answer = {"intent": row["intent"],
              "entities": [{"type": e["type"], "text": e["text"], "value": e["value"], "start": e["start"],
                            "end": e["end"]} for e in row.get("entities", [])],
              "filters": filters.model_dump(mode="json", exclude_defaults=True),
              "semantic_query": row.get("semantic_query", semantic_query(filters))}
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


@dataclass
class ParsedAnswer:
    """A generated answer: `valid_json` (it parses as a JSON object), `answer` (None unless it
    also validates against the schema) and the problems found, readable."""

    valid_json: bool
    answer: LmNlu | None
    problems: list[str] = field(default_factory=list)

    @property
    def schema_valid(self) -> bool:
        return self.answer is not None


def parse_answer(generated: str, text: str | None = None) -> ParsedAnswer:
    """Parse what the LM wrote. With `text`, entity spans must also point at their words
    (``text[start:end] == entity.text``): a span elsewhere is a schema violation."""
    raw = generated.strip()
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return ParsedAnswer(False, None, [f"not JSON: {exc.msg} at char {exc.pos}"])
    if not isinstance(obj, dict):
        return ParsedAnswer(False, None, [f"not a JSON object: {type(obj).__name__}"])
    try:
        answer = LmNlu.model_validate(obj)
    except ValidationError as exc:
        return ParsedAnswer(True, None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()])
    if text is not None:
        bad = [f"entity {e.text!r} at {e.start}:{e.end} is {text[e.start:e.end]!r} in the text"
               for e in answer.entities if e.end > len(text) or e.start >= e.end or text[e.start:e.end] != e.text]
        if bad:
            return ParsedAnswer(True, None, bad)
    return ParsedAnswer(True, answer, [])


def inconsistencies(text: str, answer: LmNlu) -> list[str]:
    """Where a (schema-valid) answer disagrees with the deterministic normalizers: every entity
    value must be what the money / food / place / … normalizer reads from its words, and the
    filters and semantic query must be exactly what the NLU builds from those entities.
    Empty list = consistent."""
    from nabiyam.nlu import lexicon as lx
    from nabiyam.nlu.text import compact

    problems: list[str] = []
    for e in answer.entities:
        if text[e.start:e.end] != e.text:
            problems.append(f"span {e.start}:{e.end} is not {e.text!r}")
            continue
        if EntityType(e.type) is EntityType.SHOP_NAME:
            want: Any = e.text.strip() or None
        else:
            want = normalize(str(e.type), e.text)
        if want is None or str(want) != str(e.value):
            problems.append(f"{e.type} {e.text!r}: value {e.value!r}, the normalizer reads {want!r}")
    good = bool(answer.filters.good_shop_only)
    if good and not any(w in compact(text) for w in lx.GOOD_SHOP_WORDS):
        problems.append("good_shop_only but the text names no 착한가게 word")
    built = build_filters(text, list(answer.entities), good)
    if answer.intent in NO_FILTER_INTENTS:
        built = build_filters(text, [], False)
    if built.model_dump(mode="json") != answer.filters.model_dump(mode="json"):
        problems.append(f"filters {answer.filters.model_dump(mode='json', exclude_defaults=True)} != "
                        f"{built.model_dump(mode='json', exclude_defaults=True)} built from the entities")
    if answer.semantic_query != semantic_query(built):
        problems.append(f"semantic_query {answer.semantic_query!r} != {semantic_query(built)!r}")
    return problems


def as_training_row(text: str, answer: LmNlu) -> dict[str, Any]:
    """A consistent answer as an NLU training row (the `--extra-data` JSON Lines format)."""
    return {"text": text, "intent": str(answer.intent),
            "entities": [{"type": str(e.type), "text": e.text, "value": e.value, "start": e.start, "end": e.end}
                         for e in answer.entities],
            "filters": answer.filters.model_dump(mode="json", exclude_defaults=True)}
