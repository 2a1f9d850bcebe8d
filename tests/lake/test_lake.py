"""The learning-data lake: typed rows, deterministic partitions that a re-run replaces, the
export job against the local (moto) stack, and the Glue tables in template.yaml agreeing
with the pydantic schema."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nabiyam.domain.hours import KST
from nabiyam.lake import (LAKE_PREFIX, SCHEMA_VERSION, ConversationRow, FeedbackRow, LakeSchemaError, LocalLakeStore,
                          S3LakeStore, partitions, read_day, read_range, write_partition)
from nabiyam.lake.schema import row_model
from nabiyam.storage.conversations import ConversationRecord
from nabiyam.storage.feedback import FeedbackRecord

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-11-02"
EXPORT_DAY = "2025-12-01"   # the export test's day on the worker's shared moto stack: no other test writes it


def conversation(i: int, day: str = DAY, hour: int = 12) -> ConversationRecord:
    at = datetime.fromisoformat(day).replace(hour=hour, minute=i % 60, tzinfo=KST)
    return ConversationRecord(
        conversation_id=f"c{i:04d}", user_id=f"u{i % 3:06d}", created_at=at.isoformat(timespec="milliseconds"),
        day=day, message="만원으로 치킨 먹을 수 있는 곳 있어?", context={"district": "관악구"},
        intent="BUDGET_FOOD_INQUIRY", nlu_confidence=0.9, shown=[{"shop_id": "S0001", "position": 0}],
        response="치킨집을 찾았어요!", template="recommend", result_count=1, latency_ms={"total": 12.5},
        model_versions={"ranker": "r1", "nlu": None}, variant="control")


def feedback(i: int, day: str = DAY) -> FeedbackRecord:
    at = datetime.fromisoformat(day).replace(hour=13, minute=i % 60, tzinfo=KST)
    return FeedbackRecord(event_id=f"e{i:04d}", kind="response", conversation_id=f"c{i:04d}", user_id="u000001",
                          created_at=at.isoformat(timespec="milliseconds"), day=day, feedback="like",
                          satisfaction=4, variant="control", payload_hash="h")


def test_rows_carry_every_record_field_plus_type_and_version() -> None:
    assert set(ConversationRow.model_fields) == set(ConversationRecord.model_fields) | {"type", "schema_version"}
    assert set(FeedbackRow.model_fields) == set(FeedbackRecord.model_fields) | {"type", "schema_version"}
    row = ConversationRow.from_record(conversation(1))
    assert (row.type, row.schema_version) == ("conversation", SCHEMA_VERSION)
    assert row.model_dump(exclude={"type", "schema_version"}) == conversation(1).model_dump()


def test_a_partition_is_deterministic_and_a_rewrite_replaces_it(tmp_path: Path) -> None:
    store = LocalLakeStore(tmp_path)
    rows = [ConversationRow.from_record(conversation(i)) for i in range(7)]
    first = write_partition("conversations", DAY, list(reversed(rows)), store, rows_per_part=3)
    assert first.keys == [f"{LAKE_PREFIX}/conversations/dt={DAY}/part-0000{k}.jsonl.gz" for k in range(3)]
    blobs = {k: store.get(k) for k in first.keys}
    again = write_partition("conversations", DAY, rows, store, rows_per_part=3)   # other input order
    assert again.keys == first.keys and {k: store.get(k) for k in again.keys} == blobs and not again.removed
    got = read_day("conversations", DAY, source=tmp_path)
    assert [r.conversation_id for r in got] == [r.conversation_id for r in rows]   # sorted by time, no duplicates
    # the day shrank (e.g. a bad run is redone): stale parts go, nothing is duplicated
    smaller = write_partition("conversations", DAY, rows[:2], store, rows_per_part=3)
    assert smaller.removed == first.keys[1:]
    assert [r.conversation_id for r in read_day("conversations", DAY, source=tmp_path)] == ["c0000", "c0001"]
    line = json.loads(gzip.decompress(store.get(first.keys[0])).decode().splitlines()[0])
    assert line["type"] == "conversation" and line["schema_version"] == SCHEMA_VERSION


def test_rows_must_belong_to_their_table_and_day(tmp_path: Path) -> None:
    store = LocalLakeStore(tmp_path)
    with pytest.raises(LakeSchemaError, match="dt=2026-11-03"):
        write_partition("conversations", "2026-11-03", [ConversationRow.from_record(conversation(1))], store)
    with pytest.raises(LakeSchemaError, match="FeedbackRow"):
        write_partition("feedback", DAY, [ConversationRow.from_record(conversation(1))], store)
    with pytest.raises(LakeSchemaError, match="unknown lake table 'orders'"):
        read_day("orders", DAY, source=tmp_path)


def test_a_reader_refuses_rows_newer_than_itself(tmp_path: Path) -> None:
    store = LocalLakeStore(tmp_path)
    row = FeedbackRow.from_record(feedback(1)).model_dump(mode="json")
    row["schema_version"] = SCHEMA_VERSION + 1
    store.put(f"{LAKE_PREFIX}/feedback/dt={DAY}/part-00000.jsonl.gz", gzip.compress(json.dumps(row).encode()))
    with pytest.raises(LakeSchemaError, match="newer than this reader"):
        read_day("feedback", DAY, source=tmp_path)


def test_read_range_spans_days_oldest_first(tmp_path: Path) -> None:
    store = LocalLakeStore(tmp_path)
    for offset in (0, 2):
        day = (datetime.fromisoformat(DAY) + timedelta(days=offset)).date().isoformat()
        write_partition("feedback", day, [FeedbackRow.from_record(feedback(offset, day))], store)
    rows = read_range("feedback", DAY, "2026-11-04", source=tmp_path)
    assert [r.day for r in rows] == ["2026-11-02", "2026-11-04"]
    assert [d.isoformat() for d in partitions("feedback", source=tmp_path)] == ["2026-11-02", "2026-11-04"]
    with pytest.raises(ValueError, match="before start"):
        read_range("feedback", "2026-11-04", DAY, source=tmp_path)


@pytest.mark.xdist_group("lake_stack")
def test_export_logs_job_twice_gives_identical_partitions(clean_stack: Any, capsys: pytest.CaptureFixture) -> None:
    from nabiyam.cli.main import main
    from nabiyam.storage.conversations import ConversationStore
    from nabiyam.storage.feedback import FeedbackStore

    convs, fbs = ConversationStore(), FeedbackStore()
    for i in range(5):
        convs.put(conversation(i, day=EXPORT_DAY))
        assert fbs.put_if_absent(feedback(i, day=EXPORT_DAY))
    assert not fbs.put_if_absent(feedback(0, day=EXPORT_DAY))          # a retried event is one item, so one row
    convs.put(conversation(99, day="2025-12-02", hour=0))   # the next Korean day stays out

    store = S3LakeStore()
    snapshots = []
    for _ in range(2):
        assert main(["jobs", "export-logs", "--date", EXPORT_DAY]) == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["result"]
        assert result["conversations"]["rows"] == 5 and result["feedback"]["rows"] == 5
        keys = [k for kind in ("conversations", "feedback")
                for k in store.list(f"{LAKE_PREFIX}/{kind}/dt={EXPORT_DAY}/")]
        snapshots.append({k: store.get(k) for k in keys})
    assert snapshots[0] == snapshots[1] and len(snapshots[0]) == 2
    rows = read_day("conversations", EXPORT_DAY)
    assert [r.conversation_id for r in rows] == [f"c{i:04d}" for i in range(5)]
    assert all(isinstance(r, ConversationRow) and r.day == EXPORT_DAY for r in rows)
    assert sorted(r.event_id for r in read_day("feedback", EXPORT_DAY)) == [f"e{i:04d}" for i in range(5)]


def test_the_scheduled_slot_exports_the_korean_day_that_just_ended() -> None:
    from nabiyam.infra.scheduled import parse_event
    from nabiyam.jobs.export_logs import day_to_export

    slot = parse_event("export_logs", {"scheduled_time": "2026-11-02T15:10:00Z", "execution_id": "x"})  # 00:10 KST
    assert day_to_export(slot) == "2026-11-02"
    assert day_to_export(parse_event("export_logs", {"date": "2026-10-01"})) == "2026-10-01"


# ----------------------------------------------------------------- template.yaml agrees with the schema

GLUE_TYPES = {str: "string", int: "int", float: "double", bool: "boolean"}


def _glue_type(annotation: Any) -> str:
    text = str(annotation)
    if "dict[str, float]" in text:
        return "map<string,double>"
    if "dict[str, str" in text:
        return "map<string,string>"
    if "dict" in text or "list" in text:
        return "string"   # nested JSON: a text column for json_extract
    for py, glue in GLUE_TYPES.items():
        if annotation is py or text in (py.__name__, f"{py.__name__} | None", f"typing.Optional[{py.__name__}]"):
            return glue
    return "string"       # Literal[...] and friends


@pytest.mark.parametrize(("logical_id", "kind"), [("LakeConversationsTable", "conversations"),
                                                  ("LakeFeedbackTable", "feedback")])
def test_glue_tables_match_the_row_schema(logical_id: str, kind: str) -> None:
    from nabiyam.infra.template import load_template

    template = load_template(REPO / "template.yaml")
    table = template["Resources"][logical_id]["Properties"]["TableInput"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    model = row_model(kind)
    assert set(columns) == set(model.model_fields), "template.yaml Glue columns drift from nabiyam.lake.schema"
    for name, info in model.model_fields.items():
        assert columns[name] == _glue_type(info.annotation), name
    assert table["Name"] == kind
    assert f"/{LAKE_PREFIX}/{kind}/" in json.dumps(table["StorageDescriptor"]["Location"])
    params = table["Parameters"]
    assert params["projection.enabled"] == "true" and table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert f"/{LAKE_PREFIX}/{kind}/dt=${{!dt}}/" in json.dumps(params["storage.location.template"])
    fn = template["Resources"]["ExportLogsFunction"]["Properties"]
    assert fn["Handler"] == "export_logs.handler"
    assert fn["Events"]["Daily"]["Properties"]["ScheduleExpressionTimezone"] == "Asia/Seoul"
    assert template["Resources"]["LakeWorkGroup"]["Type"] == "AWS::Athena::WorkGroup"
