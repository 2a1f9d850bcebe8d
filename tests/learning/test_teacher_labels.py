"""The pipeline's NLU retraining consumes the LoRA teacher's accepted labels (issue 14): the
labels the teacher stored in the learning-data bucket for the training days are collected
into one ``--extra-data`` file, placed before the logged utterances, counted inside the same
20 % cap, and readable by the NLU job's own loader. Real S3 (moto server), no training."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .test_evaluation_parts import _turn

DAY = date(2026, 3, 10)


def _teacher_row(text: str) -> dict[str, Any]:
    from nabiyam.nlu.rules import lexicon_entities
    from nabiyam.nlu.text import prepare

    found, _ = lexicon_entities(prepare(text))
    return {"text": text, "intent": "FOOD_RECOMMENDATION",
            "entities": [{"type": str(e.type), "text": e.text, "value": e.value, "start": e.start, "end": e.end}
                         for e in found], "filters": {}}


def test_teacher_labels_of_the_window_go_first_into_the_nlu_extra_data(clean_stack: Any, tmp_path: Path) -> None:
    from nabiyam.settings import get_settings
    from nabiyam.storage.blobs import BlobStore
    from nabiyam.storage.jsonl import JsonlWriter
    from training_jobs.lora.teach import TEACHER_LABELS_PREFIX, collect_labels
    from training_jobs.nlu.data import load_extra
    from training_jobs.pipeline.nlu import extra_data

    settings = get_settings()
    writer = JsonlWriter(BlobStore(settings.learning_data_bucket, settings), TEACHER_LABELS_PREFIX)
    writer.write([_teacher_row("떡볶이 먹고싶다"), _teacher_row("김밥 사줘")], DAY, name="labels")
    writer.write([_teacher_row("치킨 먹을래")], date(2026, 3, 20), name="labels")  # outside the window

    teacher = collect_labels(date(2026, 3, 9), date(2026, 3, 15), tmp_path / "teacher.jsonl", settings)
    assert teacher is not None
    turns = [_turn("짜장면 먹고 싶어"), _turn("피자 먹고 싶어"), _turn("떡볶이 먹고 싶어")]
    files, counts = extra_data(turns, teacher, limit=4, work_dir=tmp_path)
    # 2 teacher labels of the window (not the one after it), then logged rows up to the cap of 4
    assert counts == {"teacher_labels": 2, "logged_utterances": 2}
    assert files[0] == teacher
    rows = [r for f in files for r in load_extra(f)]  # the NLU job's own reader accepts both files
    assert [r["text"] for r in rows] == ["떡볶이 먹고싶다", "김밥 사줘", "짜장면 먹고 싶어", "피자 먹고 싶어"]
    assert any(e["type"] for e in rows[0]["entities"])  # the teacher's slots survive, not re-derived

    with pytest.raises(ValueError, match="more than the 1 extra rows"):
        extra_data(turns, teacher, limit=1, work_dir=tmp_path)
    assert collect_labels(date(2026, 4, 1), date(2026, 4, 7), tmp_path / "none.jsonl", settings) is None
