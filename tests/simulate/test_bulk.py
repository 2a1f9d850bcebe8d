"""The bulk path (simulate/bulk.py) writes the same records as the handler path.

Proof on a sample: the tiny world, one day of 50 sessions, seed 5, the same quick-trained
ranker, run once through the real Lambda handler and the moto stack (then `export-logs`) and
once through the bulk path (the pipeline and feedback service in process, the lake written
directly to a local directory). Both runs draw conversation ids from the same deterministic
sequence (``uuid.uuid4`` patched in ``nabiyam.chat.pipeline`` for the two runs alike), so the
ids, the event ids derived from them and the answer texts seeded by them can be compared too.

Excluded from the comparison, and why:

* ``latency_ms`` of a conversation: wall-clock time of each stage, different on every run
  (and the handler path's ``log`` stage is a DynamoDB round trip the bulk path does not make).

Nothing else is excluded: every other field of every conversation and feedback row — times
(simulated), NLU, candidates with scores, shown items, the answer, variant, model versions,
payload hashes — must be equal, and the two lakes must hold the same set of rows.

Cost: ~50 sessions through the handler (~10 s) plus the same through the bulk path (~1 s).
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from .conftest import run_and_capture

pytestmark = pytest.mark.xdist_group("simulate")

START = date(2027, 6, 7)   # a day no other test of the shared stack uses
DAYS = 1
PER_DAY = 50
SEED = 5
EXCLUDED = {"conversations": {"latency_ms"}, "feedback": set()}


def _deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count(1)
    monkeypatch.setattr("nabiyam.chat.pipeline.uuid",
                        SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(counter))))


def _rows(rows: list[Any], kind: str) -> dict[str, dict[str, Any]]:
    key = "conversation_id" if kind == "conversations" else "event_id"
    out = {}
    for r in rows:
        data = r.model_dump(mode="json")
        for field in EXCLUDED[kind]:
            assert field in data, f"{field} is a field of {kind} (the exclusion list is not stale)"
            data.pop(field)
        out[data[key]] = data
    return out


def test_bulk_path_writes_the_same_records_as_the_handler_path(
        local_stack: Any, sim_world: Path, sim_ranker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nabiyam.lake import read_range
    from nabiyam.settings import get_settings
    from nabiyam.simulate import SimConfig, simulate

    last = START + timedelta(days=DAYS - 1)
    _deterministic_ids(monkeypatch)
    handler = run_and_capture(local_stack, sim_world, tmp_path / "handler", START, DAYS, PER_DAY, seed=SEED,
                              ranker_dir=sim_ranker)
    assert handler.manifest["transport"] == "lambda-handler-in-process"

    _deterministic_ids(monkeypatch)
    lake = tmp_path / "bulk-lake"
    bulk = simulate(SimConfig(world=sim_world, days=DAYS, start=START, out=tmp_path / "bulk", per_day=PER_DAY,
                              seed=SEED, ranker_dir=sim_ranker, nlu_dir=None, bulk=True, lake=lake), get_settings())
    assert bulk.manifest["transport"] == "bulk-core-in-process"
    bulk_conv = read_range("conversations", START, last, source=lake)
    bulk_fb = read_range("feedback", START, last + timedelta(days=1), source=lake)

    h_conv, b_conv = _rows(handler.conversations, "conversations"), _rows(bulk_conv, "conversations")
    h_fb, b_fb = _rows(handler.feedback, "feedback"), _rows(bulk_fb, "feedback")
    assert len(h_conv) >= PER_DAY and len(h_fb) > PER_DAY / 2, "the sample has turns and feedback to compare"
    assert any(c["shown"] for c in h_conv.values()) and any(f["feedback"] == "dislike" for f in h_fb.values())
    assert set(b_conv) == set(h_conv), "the same conversations (same deterministic ids)"
    for cid, row in h_conv.items():
        assert b_conv[cid] == row, f"conversation {cid} differs"
    assert len(bulk_fb) == len(b_fb) and len(handler.feedback) == len(h_fb), "no event id twice in a lake"
    assert set(b_fb) == set(h_fb), "the same feedback events, each once (retries stored once on both paths)"
    for eid, row in h_fb.items():
        assert b_fb[eid] == row, f"feedback {eid} differs"
    # The figures the simulator measured from what the service answered agree as well.
    for key in ("turns", "shown_turns", "clicked_turns", "orders", "likes", "dislikes", "feedback_events",
                "feedback_retries", "expected_clicked_turns"):
        assert bulk.manifest["totals"][key] == handler.manifest["totals"][key], key


def test_bulk_rejects_url_and_lake_without_bulk(sim_world: Path, tmp_path: Path) -> None:
    from nabiyam.simulate import SimConfig, SimulationError

    with pytest.raises(SimulationError, match="--bulk .* cannot be combined with --url"):
        SimConfig(world=sim_world, days=1, start=START, out=tmp_path, bulk=True, url="http://127.0.0.1:1").validate()
    with pytest.raises(SimulationError, match="--lake is for --bulk"):
        SimConfig(world=sim_world, days=1, start=START, out=tmp_path, lake=tmp_path / "lake").validate()


def _keyed(out: Path, lake: Path, days: list[date]) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
    """A run's truth, conversations and feedback with the service's random conversation ids replaced
    by what the simulator knows the turn as (session id + turn kind + time): comparable across runs.

    Dropped besides ``latency_ms``, because they are functions of the random conversation id:
    ``response`` (the answer's wording is varied by a seed that is the conversation id; its
    ``template`` stays compared) and ``payload_hash`` (a hash over the event id and the
    conversation id the client sent)."""
    from nabiyam.lake import read_range
    from nabiyam.simulate import read_truth

    truth = [t for d in days for t in read_truth(out, d)]
    name = {t.conversation_id: f"{t.session_id}/{t.turn}/{t.at}" for t in truth}
    assert len(name) == len(truth), "one conversation id per turn"

    def rename(data: dict[str, Any]) -> dict[str, Any]:
        cid = data["conversation_id"]
        data["conversation_id"] = name[cid]
        if "event_id" in data:
            data["event_id"] = data["event_id"].replace(cid, name[cid])
        for field in ("latency_ms", "response", "payload_hash"):
            data.pop(field, None)
        return data

    conv = [rename(r.model_dump(mode="json")) for r in read_range("conversations", days[0], days[-1], source=lake)]
    fb = [rename(r.model_dump(mode="json"))
          for r in read_range("feedback", days[0], days[-1] + timedelta(days=1), source=lake)]
    truth_rows = []
    for t in truth:
        data = t.model_dump(mode="json")
        data["conversation_id"] = name[t.conversation_id]
        data["outcome"]["event_ids"] = [e.replace(t.conversation_id, name[t.conversation_id])
                                        for e in data["outcome"]["event_ids"]]
        data["outcome"]["retried"] = [e.replace(t.conversation_id, name[t.conversation_id])
                                      for e in data["outcome"]["retried"]]
        truth_rows.append(data)
    key = lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)  # noqa: E731
    return sorted(truth_rows, key=key), sorted(conv, key=key), sorted(fb, key=key)


def test_bulk_output_does_not_depend_on_the_number_of_workers(sim_world: Path, tmp_path: Path) -> None:
    """One process vs two workers (each serving a fixed share of the people, per-session seeds):
    the same truth, the same lake rows and the same figures, up to the service's random
    conversation ids (mapped to the simulator's own turn names) and the measured latencies."""
    from nabiyam.settings import get_settings
    from nabiyam.simulate import SimConfig, simulate

    start, days = date(2027, 6, 14), 2
    results = {}
    for workers in (1, 2):
        out, lake = tmp_path / f"w{workers}", tmp_path / f"w{workers}-lake"
        result = simulate(SimConfig(world=sim_world, days=days, start=start, out=out, per_day=40, seed=9,
                                    ranker_dir=None, nlu_dir=None, bulk=True, lake=lake, workers=workers),
                          get_settings())
        assert result.manifest["workers"] == workers and not (out / "shards").exists()
        results[workers] = (result.manifest, _keyed(out, lake, [start + timedelta(days=d) for d in range(days)]))
    (m1, (t1, c1, f1)), (m2, (t2, c2, f2)) = results[1], results[2]
    assert len(c1) > 40 and len(f1) > 20
    assert t2 == t1 and c2 == c1 and f2 == f1
    for key in ("sessions", "turns", "shown_turns", "clicked_turns", "orders", "favorites", "likes", "dislikes",
                "feedback_events", "feedback_retries"):
        assert m2["totals"][key] == m1["totals"][key], key
    assert m2["totals"]["expected_ctr"] == pytest.approx(m1["totals"]["expected_ctr"], rel=1e-12)
