"""Pure parts of the LoRA job: the answer schema and its normalizer checks, the two datasets,
the meaning check and the metrics — each shown to catch what it is there to catch."""

from __future__ import annotations

import json

import pytest

from training_jobs.lora.schema import canonical_row, inconsistencies, parse_answer, target_json


def _row() -> dict:
    text = "관악구에서 만오천원으로 치킨 먹을 수 있는 곳 있어?"
    ents = [{"type": "location", "start": 0, "end": 3}, {"type": "budget", "start": 6, "end": 10},
            {"type": "food_type", "start": 13, "end": 15}]
    return canonical_row(text, "BUDGET_FOOD_INQUIRY", ents, False)


def test_canonical_row_uses_the_normalizers_and_round_trips_through_the_answer_format() -> None:
    row = _row()
    assert row["filters"] == {"category": "치킨", "food_types": ["치킨"], "budget_max": 15000, "district": "관악구"}
    parsed = parse_answer(target_json(row), row["text"])
    assert parsed.schema_valid and inconsistencies(row["text"], parsed.answer) == []


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda a: a["entities"][1].update(value=5000), "budget '만오천원': value 5000, the normalizer reads 15000"),
    (lambda a: a["entities"][0].update(value="동작구"), "location '관악구': value '동작구'"),
    (lambda a: a["filters"].update(budget_max=20000), "built from the entities"),
    (lambda a: a["filters"].update(good_shop_only=True), "names no 착한가게 word"),
    (lambda a: a.update(semantic_query="피자"), "semantic_query '피자'"),
])
def test_inconsistent_answers_are_caught(mutate, problem: str) -> None:  # noqa: ANN001
    row = _row()
    answer = json.loads(target_json(row))
    mutate(answer)
    parsed = parse_answer(json.dumps(answer, ensure_ascii=False), row["text"])
    assert parsed.schema_valid
    assert any(problem in p for p in inconsistencies(row["text"], parsed.answer)), inconsistencies(row["text"], parsed.answer)


def test_schema_violations_are_not_schema_valid() -> None:
    row = _row()
    assert not parse_answer('{"intent": "FOOD_RECOMMENDATION",', row["text"]).valid_json
    assert not parse_answer("[1, 2]", row["text"]).valid_json
    bad_intent = parse_answer('{"intent": "ORDER_PIZZA"}', row["text"])
    assert bad_intent.valid_json and not bad_intent.schema_valid
    extra_key = parse_answer('{"intent": "GREETING", "mood": "happy"}', row["text"])
    assert not extra_key.schema_valid and "mood" in extra_key.problems[0]
    answer = json.loads(target_json(row))
    answer["entities"][2]["start"] += 1  # the span no longer points at 치킨
    moved = parse_answer(json.dumps(answer, ensure_ascii=False), row["text"])
    assert moved.valid_json and not moved.schema_valid and "치킨" in moved.problems[0]


def test_training_rows_are_consistent_and_eval_phrasings_are_unseen(tmp_path) -> None:  # noqa: ANN001
    from nabiyam.nlu.text import compact
    from training_jobs.lora.nlu_pairs import nlu_pairs

    train, held = nlu_pairs(150, 40, 13)
    assert len(train) == 150 and len(held) == 40
    for row in train + held:  # the teacher only ever learns answers the vetting would keep
        parsed = parse_answer(target_json(row), row["text"])
        assert parsed.schema_valid and not inconsistencies(row["text"], parsed.answer), row
    assert not {compact(r["text"]) for r in train} & {compact(r["text"]) for r in held}


def test_meaning_check_catches_changed_lost_and_invented_facts() -> None:
    from training_jobs.lora.rewrite_pairs import check_rewrite, meaning_problems

    src = "토끼분식에서는 떡볶이를 4,500원에 판매하고 있으며, 도보로 5분 소요됩니다."
    keep = ("토끼분식", "떡볶이")
    assert meaning_problems(src, "토끼분식에서 떡볶이를 4,500원에 먹을 수 있어요. 걸어서 5분 걸려요!", keep) == []
    assert meaning_problems(src, "토끼분식에서 떡볶이를 4,000원에 먹을 수 있어요. 걸어서 5분 걸려요!", keep) == [
        "lost '4500원'", "added '4000원'"]
    assert meaning_problems(src, "떡볶이를 4,500원에 먹을 수 있어요. 걸어서 5분 걸려요!", keep) == ["lost name '토끼분식'"]
    assert "added '3점'" in meaning_problems(src, src + " 별점 3점", keep)
    formal = check_rewrite(src, src, keep)
    assert formal["meaning_ok"] and not formal["style_ok"]  # 합니다체 is not child-friendly
    assert any("ending" in p for p in formal["style_problems"])


def test_rewrite_pairs_include_the_seed_pass_both_checks_and_hold_out_unseen_facts() -> None:
    from training_jobs.lora.rewrite_pairs import SEED_PAIRS, check_rewrite, rewrite_pairs

    train, held = rewrite_pairs(300, 30, 13)
    assert len(train) == 300 and len(held) == 30
    assert [(p.source, p.target) for p in train[:2]] == list(SEED_PAIRS)
    assert len({p.kind for p in train}) >= 10
    for p in train + held:
        c = check_rewrite(p.source, p.target, p.keep)
        assert c["style_ok"] and c["meaning_ok"], (p, c)
    assert not {p.source for p in held} & {p.source for p in train}


def test_metrics_count_every_failure_against_one_denominator() -> None:
    from training_jobs.lora.metrics import nlu_metrics, rewrite_metrics
    from training_jobs.lora.rewrite_pairs import RewritePair

    row = _row()
    wrong_intent = json.loads(target_json(row))
    wrong_intent["intent"] = "FOOD_RECOMMENDATION"
    gens = [target_json(row), json.dumps(wrong_intent, ensure_ascii=False), '{"intent": "X"}', "not json"]
    m = nlu_metrics([row] * 4, gens)
    assert (m["valid_json_rate"], m["schema_valid_rate"], m["intent_accuracy"], m["filters_exact_match"]) == (
        0.75, 0.5, 0.25, 0.5)
    assert m["filter_field_exact_match"]["budget_max"] == 0.5
    pair = RewritePair("떡볶이는 4,500원입니다.", "떡볶이는 4,500원이에요.", ("떡볶이",))
    r = rewrite_metrics([pair] * 3, ["떡볶이는 4,500원이에요.", "떡볶이는 4,500원입니다.", "떡볶이는 5,000원이에요."])
    assert (r["style_pass_rate"], r["meaning_pass_rate"], r["both_pass_rate"]) == (2 / 3, 2 / 3, 1 / 3)
