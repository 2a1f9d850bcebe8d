"""The storage base against the moto server over HTTP: pagination, conditions, batches."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel

from nabiyam.storage.blobs import BlobNotFound, BlobStore
from nabiyam.storage.dynamo import InvalidPageToken, RangeCond, TableRepository
from nabiyam.storage.jsonl import JsonlWriter


class Row(BaseModel):
    user_id: str
    sk: str
    shop_id: str | None = None
    score: float = 0.0
    note: str | None = None


@pytest.fixture()
def repo(clean_stack: Any) -> TableRepository[Row]:
    return TableRepository(clean_stack.tables["InteractionsTable"], Row, hash_key="user_id", range_key="sk",
                           indexes={"by_shop": ("shop_id", "sk")})


def test_put_get_round_trip_keeps_types(repo: TableRepository[Row]) -> None:
    row = Row(user_id="u1", sk="2026-01-01T00:00:00+09:00#click#1", shop_id="s1", score=0.125, note="한글")
    repo.put(row)
    assert repo.get("u1", row.sk) == row
    assert repo.get("u1", "nope") is None


def test_put_if_absent_reports_whether_it_wrote(repo: TableRepository[Row]) -> None:
    first = Row(user_id="u1", sk="a", score=1.0)
    assert repo.put_if_absent(first) is True
    assert repo.put_if_absent(Row(user_id="u1", sk="a", score=2.0)) is False
    stored = repo.get("u1", "a")
    assert stored is not None and stored.score == 1.0  # the duplicate did not overwrite
    assert repo.put_if_absent(Row(user_id="u1", sk="b")) is True


def test_query_follows_more_than_one_page(repo: TableRepository[Row]) -> None:
    rows = [Row(user_id="u1", sk=f"k{i:03d}", shop_id=f"s{i % 3}", score=i / 10) for i in range(57)]
    assert repo.batch_put(rows) == 57
    repo.put(Row(user_id="u2", sk="k000"))

    first = repo.query_page("u1", limit=20)
    assert len(first.items) == 20 and first.next_token is not None
    second = repo.query_page("u1", limit=20, token=first.next_token)
    assert [r.sk for r in second.items] == [f"k{i:03d}" for i in range(20, 40)]

    everything = list(repo.query("u1", page_size=10))
    assert [r.sk for r in everything] == [r.sk for r in rows]
    assert [r.sk for r in repo.query("u1", page_size=7, newest_first=True, max_items=3)] == ["k056", "k055", "k054"]
    assert len(list(repo.query("u1", range_cond=RangeCond.begins_with("k01")))) == 10
    assert len(list(repo.query("u1", range_cond=RangeCond.between("k010", "k019")))) == 10
    by_shop = list(repo.query("s1", index="by_shop", page_size=5))
    assert len(by_shop) == 19 and all(r.shop_id == "s1" for r in by_shop)


def test_bad_page_token_and_unknown_index_are_clear_errors(repo: TableRepository[Row]) -> None:
    with pytest.raises(InvalidPageToken):
        repo.query_page("u1", token="%%%not-a-token")
    with pytest.raises(ValueError, match="no index 'by_nothing'"):
        repo.query_page("u1", index="by_nothing")


def test_batch_put_chunks_and_collapses_duplicate_keys(repo: TableRepository[Row]) -> None:
    rows = [Row(user_id="u9", sk=f"k{i:03d}") for i in range(60)]
    rows.insert(10, Row(user_id="u9", sk="k000", score=9.0))  # same key in the same chunk: last wins
    assert repo.batch_put(rows) == 60  # DynamoDB would reject a chunk with a duplicate key
    stored = list(repo.query("u9"))
    assert len(stored) == 60
    assert stored[0].score == 9.0


def test_item_without_a_key_is_rejected(clean_stack: Any) -> None:
    class NoKey(BaseModel):
        user_id: str
        sk: str = ""

    repo = TableRepository(clean_stack.tables["InteractionsTable"], NoKey, hash_key="user_id", range_key="sk")
    with pytest.raises(ValueError, match="lacks key attribute"):
        repo.put(NoKey(user_id="u1"))


def test_blob_store_bytes_json_listing(clean_stack: Any) -> None:
    store = BlobStore(clean_stack.buckets["LearningDataBucket"])
    store.put_bytes("a/b.bin", b"\x00\x01")
    store.put_json("a/c.json", {"이름": "나비얌", "n": 1})
    assert store.get_bytes("a/b.bin") == b"\x00\x01"
    assert store.get_json("a/c.json") == {"이름": "나비얌", "n": 1}
    assert store.exists("a/c.json") and not store.exists("a/zzz")
    with pytest.raises(BlobNotFound, match="does not exist"):
        store.get_bytes("a/zzz")
    for i in range(25):
        store.put_text(f"many/{i:02d}.txt", str(i))
    listed = list(store.list("many/", page_size=10))  # 3 pages
    assert [b.key for b in listed] == [f"many/{i:02d}.txt" for i in range(25)]
    assert store.list_prefixes("") == ["a/", "many/"]


def test_jsonl_writer_partitions_by_date(clean_stack: Any) -> None:
    store = BlobStore(clean_stack.buckets["LearningDataBucket"])
    writer = JsonlWriter(store, "events")
    records = [{"id": i, "day": date(2026, 1, 1 + i % 2)} for i in range(5)]
    keys = writer.write_partitioned(records, day_of=lambda r: r["day"])  # type: ignore[index]
    assert len(keys) == 2
    assert keys[0].startswith("events/dt=2026-01-01/") and keys[0].endswith(".jsonl")
    assert writer.days() == [date(2026, 1, 1), date(2026, 1, 2)]
    assert sorted(r["id"] for r in writer.read(date(2026, 1, 1))) == [0, 2, 4]
    assert writer.write([], date(2026, 1, 3)) is None
    fixed = writer.write([Row(user_id="u", sk="s")], date(2026, 1, 3), name="retry-safe")
    again = writer.write([Row(user_id="u", sk="s")], date(2026, 1, 3), name="retry-safe")
    assert fixed == again == "events/dt=2026-01-03/retry-safe.jsonl"
    assert list(writer.read(date(2026, 1, 3))) == [{"user_id": "u", "sk": "s", "shop_id": None, "score": 0.0, "note": None}]
    with pytest.raises(ValueError, match="invalid JSONL prefix"):
        JsonlWriter(store, "../escape")
