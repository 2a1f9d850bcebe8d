"""`nabiyam teach`: low-confidence logged utterances from the lake (moto S3), labelled by a
teacher, vetted, and gated by the student's score on the world's labelled requests.

The gate is shown both ways: labels from the world's truth pass it and reach the lake; a
teacher whose labels are consistent but wrong is rejected by the student comparison; the
tiny LoRA teacher built in these tests is rejected."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.xdist_group("lora")

DAY = date(2026, 3, 2)
OUT_OF_SCOPE = '{"intent":"OUT_OF_SCOPE","entities":[],"filters":{},"semantic_query":""}'


@pytest.fixture(scope="session")
def world_split(lora_world: Path) -> tuple[list[dict], list[dict]]:
    from training_jobs.lora.nlu_pairs import world_rows

    return world_rows(lora_world)


@pytest.fixture(scope="session")
def student(tmp_path_factory: pytest.TempPathFactory, world_split):  # noqa: ANN001, ANN201
    """The real NLU student (quick settings), scored on the world's held-out requests; its
    without-teacher baseline is trained once and shared."""
    from training_jobs.lora.teach import NluStudent

    return NluStudent(tmp_path_factory.mktemp("students"), world_split[1])


def _record(i: int, text: str, confidence: float, source: str):  # noqa: ANN202 - a ConversationRow
    from nabiyam.lake import ConversationRow
    from nabiyam.storage.conversations import ConversationRecord

    rec = ConversationRecord(conversation_id=f"c{i:05d}", user_id=f"u{i % 7:03d}",
                             created_at=f"{DAY}T12:{i // 60:02d}:{i % 60:02d}+09:00", day=DAY.isoformat(), message=text,
                             intent="FOOD_RECOMMENDATION", nlu_confidence=confidence,
                             nlu={"source": source, "intent": "FOOD_RECOMMENDATION"}, response="…", template="recommend",
                             result_count=3, variant="control")
    return ConversationRow.from_record(rec)


def _log_day(rows: list[dict], broken: bytes = b"") -> list[str]:
    """Export the world's requests as one day of the lake's conversations table (the export
    job's writer); every other one was answered confidently by the model, the rest by the
    rules fallback. Returns the low-confidence texts."""
    from nabiyam.lake import open_store, write_partition
    from nabiyam.lake.writer import part_key

    store = open_store()
    records = [_record(i, r["text"], 0.95 if i % 2 else 0.41, "model" if i % 2 else "rules") for i, r in enumerate(rows)]
    write_partition("conversations", DAY, records, store)
    if broken:
        store.put(part_key("conversations", DAY, 9), broken)
    return [r["text"] for i, r in enumerate(rows) if not i % 2]


def _lake_labels() -> list[dict]:
    from nabiyam.settings import get_settings
    from nabiyam.storage.blobs import BlobStore
    from nabiyam.storage.jsonl import JsonlWriter
    from training_jobs.lora.teach import TEACHER_LABELS_PREFIX

    settings = get_settings()
    return list(JsonlWriter(BlobStore(settings.learning_data_bucket, settings), TEACHER_LABELS_PREFIX).read(DAY))


def test_reader_takes_conversation_records_and_reports_unreadable_lines(clean_stack: Any, world_split) -> None:  # noqa: ANN001
    from training_jobs.lora.teach import low_confidence, read_logged

    import gzip

    rows = world_split[0][:6]
    low = _log_day(rows, gzip.compress(b'{"type": "conversation", "message": "no other fields"}\n'))
    logged = read_logged(DAY)
    assert [r.message for r in logged.records] == [r["text"] for r in rows]
    assert len(logged.unreadable) == 1 and "part-00009" in logged.unreadable[0], logged.unreadable
    assert low_confidence(logged.records) == low
    assert low_confidence(logged.records, max_confidence=0.95) == low  # model rows at 0.95: 'rules' rows only…
    assert len(low_confidence(logged.records, max_confidence=0.96)) == len(rows)  # …until the bound passes 0.95
    assert read_logged(date(2026, 3, 3)).records == []


def test_helpful_labeller_passes_the_gate_and_its_labels_reach_the_lake(
        clean_stack: Any, world_split, student, tmp_path: Path) -> None:  # noqa: ANN001
    """Labels from the world's truth: all pass the vetting, the student is not worse with
    them, and they land where the next NLU training run reads them."""
    from training_jobs.lora.teach import TruthLabeller, teach
    from training_jobs.nlu.data import load_extra

    train_rows, held = world_split
    low = _log_day(train_rows)
    report = teach(DAY, TruthLabeller(train_rows + held), held, tmp_path, student=student)
    assert report.low_confidence == len(low) > 100
    assert report.kept == len(low) and report.rejected == 0
    assert report.gate["accepted"], report.gate
    paired = report.gate["paired"]["model"]
    assert not paired["worse"] and paired["lost"] - paired["gained"] <= paired["bound"]
    graded = report.gate["paired"]["teacher_audit"]  # the truth is right wherever it labels
    assert graded["kept"] == len(held) and graded["teacher_accuracy"] == 1.0
    lake = _lake_labels()
    assert [r["text"] for r in lake] == low
    assert report.labels_key == f"nlu-teacher-labels/dt={DAY}/labels.jsonl"
    extra = load_extra(Path(report.labels_file))  # the NLU job's --extra-data reads them as they are
    assert [r["text"] for r in extra] == low
    from datetime import timedelta

    from training_jobs.lora.teach import collect_labels

    window = collect_labels(DAY - timedelta(days=6), DAY, tmp_path / "window.jsonl")  # what the pipeline passes on
    assert window is not None and [r["text"] for r in load_extra(window)] == low
    assert collect_labels(DAY + timedelta(days=1), DAY + timedelta(days=7), tmp_path / "none.jsonl") is None
    assert all(r["entities"] == t["entities"] for r, t in zip(extra, lake))
    assert json.loads((tmp_path / "teach_report.json").read_text())["gate"]["accepted"] is True


def test_consistent_but_wrong_labels_are_rejected_by_the_student_comparison(world_split, student) -> None:  # noqa: ANN001
    """'OUT_OF_SCOPE, no entities' for every food request passes the schema and normalizer
    checks (there is nothing to contradict) — only the student comparison can catch it."""
    from training_jobs.lora.teach import gate, vet

    texts = [r["text"] for r in world_split[0][::2]]
    vetted = vet(texts, [OUT_OF_SCOPE] * len(texts))
    assert len(vetted.kept) == len(texts)
    result = gate(vetted.kept, student)
    assert not result.accepted and "worse" in result.reason
    model = result.paired["model"]
    assert model["worse"] and model["lost"] > 10 * max(model["gained"], 1)
    assert result.with_teacher["model"]["accuracy"] < result.without["model"]["accuracy"] - 0.1


def test_the_tiny_lora_teacher_is_rejected(clean_stack: Any, tiny_lora, world_split, student, tmp_path: Path) -> None:  # noqa: ANN001
    from training_jobs.lora.teach import LoraTeacher, teach

    artifact, _ = tiny_lora
    train_rows, held = world_split
    _log_day(train_rows[:80])
    report = teach(DAY, LoraTeacher(artifact, device="cpu", max_new_tokens=120), held, tmp_path, student=student)
    assert report.low_confidence == 40 and report.teacher.startswith("lora:lora-")
    assert report.gate is not None and report.gate["accepted"] is False, report.gate
    assert report.kept + report.rejected == 40
    graded = report.gate["paired"].get("teacher_audit")
    if report.kept:  # some labels survive vetting (consistent, if incomplete): the audit catches it
        assert graded is not None and graded["paired"]["worse"], report.gate
        assert graded["teacher_accuracy"] < graded["student_accuracy"] - 0.3
        assert "the teacher is worse than the student" in report.gate["reason"]
        assert report.gate["with_teacher"] is None  # rejected before any student learnt from it
    else:
        assert "passed the schema and normalizer checks" in report.gate["reason"]
    assert _lake_labels() == [] and report.labels_key is None


def test_teach_cli_without_a_teacher_only_counts(clean_stack: Any, world_split, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:  # noqa: ANN001
    from nabiyam.cli.main import main

    low = _log_day(world_split[0][:10])
    assert main(["teach", "--date", DAY.isoformat(), "--out", str(tmp_path)]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["logged"] == 10 and line["low_confidence"] == len(low) and line["kept"] == 0
    assert "no teacher configured" in line["note"] and line["gate"] is None
    assert main(["teach", "--date", DAY.isoformat(), "--teacher", str(tmp_path)]) == 2
    assert "--world DIR" in capsys.readouterr().err
    assert main(["teach", "--date", "yesterday"]) == 2
    assert "is not a date" in capsys.readouterr().err
