"""The traffic simulator on the tiny world, through the real API Lambda handler and the local
(moto) stack: reproducible, simulated time in every record, retries stored once, measured
CTR and conversion agreeing with the truth file, an incident that shows, an A/B test whose
arms both serve, and export-logs twice giving identical partitions.

Cost: one quick-trained tiny ranker (~25 s CPU) and ~600 simulated requests in all."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from .conftest import Captured, run_and_capture

pytestmark = pytest.mark.xdist_group("simulate")


@pytest.fixture(scope="module")
def steady(local_stack: Any, sim_world: Path, sim_ranker: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Captured:
    from nabiyam.simulate import Scenario

    return run_and_capture(local_stack, sim_world, tmp_path_factory.mktemp("sim-steady"), date(2027, 1, 4), 3, 25,
                           scenario=Scenario("steady"), seed=3, ranker_dir=sim_ranker)


def _by_conversation(rows: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        out[r.conversation_id].append(r)
    return out


def _shown_turns(c: Captured) -> list[Any]:
    return [t for t in c.truth if t.shown and t.p_any_click is not None]


# --------------------------------------------------------------------------------- steady

def test_every_request_went_through_the_real_handler(steady: Captured) -> None:
    m = steady.manifest
    assert m["transport"] == "lambda-handler-in-process" and m["handler"].endswith("functions/api/app.py")
    assert m["handler_invocations"] == m["requests"] > 0
    turns = [t for t in steady.truth]
    assert m["requests"] == len(turns) + m["totals"]["feedback_events"] + m["totals"]["feedback_retries"]
    logged = {r.conversation_id: r for r in steady.conversations}
    assert {t.conversation_id for t in turns} == set(logged), "every turn is in the service's log, nothing else"
    assert all(t.status == 200 for t in turns)
    for t in turns:    # what the simulated person reacted to is what the service logged as shown
        assert [s["shop_id"] for s in logged[t.conversation_id].shown] == t.shown
        assert logged[t.conversation_id].message == t.message
    kinds = {t.turn for t in turns}
    assert {"request", "greeting", "chitchat"} <= kinds | {"greeting", "chitchat"} and "request" in kinds
    assert m["runtimes"]["normal"]["versions"]["ranker"].startswith("ranker-")


def test_records_carry_the_simulated_times(steady: Captured) -> None:
    logged = {r.conversation_id: r for r in steady.conversations}
    for t in steady.truth:
        row = logged[t.conversation_id]
        assert datetime.fromisoformat(row.created_at) == datetime.fromisoformat(t.at)
        assert row.day == t.day
    assert {r.day for r in steady.conversations} <= set(steady.days())
    for f in steady.feedback:   # the server stamps feedback when the simulated person sent it
        assert f.client_ts and datetime.fromisoformat(f.created_at) == datetime.fromisoformat(f.client_ts)


def test_retried_feedback_events_are_stored_once(steady: Captured) -> None:
    sent = [e for t in steady.truth for e in t.outcome.event_ids]
    retried = [e for t in steady.truth for e in t.outcome.retried]
    assert retried, "the seed gives some retries (P_RETRY = 0.08 per event)"
    stored = [f.event_id for f in steady.feedback if f.conversation_id in {t.conversation_id for t in steady.truth}]
    assert sorted(stored) == sorted(sent), "each event once, retried or not"
    assert len(stored) == len(set(stored))


def _z(observed: float, expected: float, variance: float) -> float:
    return (observed - expected) / math.sqrt(variance)


def test_measured_ctr_and_conversion_agree_with_the_truth(steady: Captured) -> None:
    """Measured from the service's own logs (lake rows), expected from the truth file.

    Each answer with shops is an independent Bernoulli trial with its own truth probability
    p_i (of at least one click; of an order), so the count of successes has mean Σp_i and
    variance Σp_i(1 − p_i) (Poisson-binomial). Tolerance: |z| < 4, i.e. a correct simulator
    fails with probability < 1e-4; a wrong reaction model (e.g. clicks ignoring the oracle)
    shifts the count by many standard errors."""
    turns = _shown_turns(steady)
    assert len(turns) >= 50
    fb = _by_conversation(steady.feedback)
    clicked = sum(any(f.feedback_type == "clicked" for f in fb[t.conversation_id]) for t in turns)
    ordered = sum(any(f.feedback_type == "ordered" for f in fb[t.conversation_id]) for t in turns)
    p_click = [t.p_any_click for t in turns]
    p_order = [t.p_order for t in turns]
    z_ctr = _z(clicked, sum(p_click), sum(p * (1 - p) for p in p_click))
    z_conv = _z(ordered, sum(p_order), sum(p * (1 - p) for p in p_order))
    assert abs(z_ctr) < 4, (clicked / len(turns), sum(p_click) / len(turns))
    assert abs(z_conv) < 4, (ordered / len(turns), sum(p_order) / len(turns))
    # the truth is about the answer: the best set of the same size is at least as good as the shown one
    assert all(t.p_pick_best >= t.p_pick_shown - 1e-6 for t in turns)
    assert sum(t.p_pick_shown for t in turns) < sum(t.p_pick_best for t in turns)


def test_export_logs_twice_gives_identical_partitions(steady: Captured) -> None:
    assert steady.lake_bytes and steady.lake_bytes == steady.lake_bytes_again
    assert any("/conversations/" in k for k in steady.lake_bytes) and any("/feedback/" in k for k in steady.lake_bytes)


def test_the_same_seed_gives_the_same_logs(local_stack: Any, sim_world: Path, sim_ranker: Path,
                                           tmp_path: Path) -> None:
    """Two runs, same seed: the same requests at the same times, the same answers and the
    same reactions. Ids the service makes (conversation ids, hence event ids) and latencies
    are the service's own and differ."""
    from nabiyam.simulate import Scenario
    from nabiyam.storage.conversations import ConversationStore

    def logs(out: Path) -> list[tuple]:
        from nabiyam.simulate import SimConfig, read_truth, simulate
        from nabiyam.settings import get_settings

        simulate(SimConfig(world=sim_world, days=1, start=date(2027, 4, 5), out=out, per_day=10, seed=21,
                           scenario=Scenario("steady"), ranker_dir=sim_ranker, nlu_dir=None, export=False),
                 get_settings())
        store = ConversationStore()
        rows = []
        for t in read_truth(out, "2027-04-05"):
            rec = store.get(t.conversation_id)
            assert rec is not None
            rows.append((t.turn, t.at, t.user_id, t.message, tuple(t.shown), t.outcome.chosen_shop_id,
                         tuple(t.outcome.clicked), t.outcome.satisfaction, t.outcome.feedback, len(t.outcome.retried),
                         rec.created_at, rec.intent, rec.variant, tuple(s["shop_id"] for s in rec.shown)))
        return rows

    first, second = logs(tmp_path / "a"), logs(tmp_path / "b")
    assert first == second and len(first) >= 10


# --------------------------------------------------------------------------------- incident

def _day_figures(c: Captured, day: str) -> dict[str, float]:
    """One day's answers with shops: the truth's expected CTR and satisfaction, and what the
    service logged (answers with a click, mean satisfaction of the ratings)."""
    turns = [t for t in _shown_turns(c) if t.day == day]
    fb = _by_conversation(c.feedback)
    sats = [f.satisfaction for t in turns for f in fb[t.conversation_id] if f.satisfaction is not None]
    return {"expected_ctr": sum(t.p_any_click for t in turns) / len(turns),
            "expected_satisfaction": sum(t.expected_satisfaction for t in turns) / len(turns),
            "ctr": sum(any(f.feedback_type == "clicked" for f in fb[t.conversation_id]) for t in turns) / len(turns),
            "satisfaction": sum(sats) / len(sats)}


def test_an_incident_lowers_ctr_and_satisfaction_from_its_day(local_stack: Any, sim_world: Path, sim_ranker: Path,
                                                               steady: Captured, tmp_path: Path) -> None:
    """A bad ranker deploy (it loads, but ranks by the sign-flipped logit) from day 1, against
    the steady run with the same seed: the same people at the same times with the same random
    numbers (common random numbers), so the comparison is paired and day 0 is identical.

    From the incident's day the truth's expected CTR and satisfaction of what the service
    showed are strictly lower (exact, no sampling noise), and the logged CTR and satisfaction
    are not higher. (How much lower depends on how much the ranker matters to the shown set:
    on the tiny world ~10 % of P(pick).)"""
    from nabiyam.simulate import Scenario

    c = run_and_capture(local_stack, sim_world, tmp_path, steady.config.start, 3, steady.config.per_day,
                        seed=steady.config.seed, ranker_dir=sim_ranker,
                        scenario=Scenario("incident", incident="bad-ranker", incident_day=1))
    assert [d["broken"] for d in c.manifest["day_summaries"]] == [None, "bad-ranker", "bad-ranker"]
    day0 = steady.days()[0]
    assert [(t.at, t.shown, t.outcome.clicked) for t in c.truth if t.day == day0] == \
        [(t.at, t.shown, t.outcome.clicked) for t in steady.truth if t.day == day0]
    for day in steady.days()[1:]:
        before, after = _day_figures(steady, day), _day_figures(c, day)
        assert after["expected_ctr"] < before["expected_ctr"], (day, before, after)
        assert after["expected_satisfaction"] < before["expected_satisfaction"], (day, before, after)
    later = steady.days()[1:]
    assert sum(_day_figures(c, d)["ctr"] for d in later) <= sum(_day_figures(steady, d)["ctr"] for d in later)
    assert sum(_day_figures(c, d)["satisfaction"] for d in later) <= \
        sum(_day_figures(steady, d)["satisfaction"] for d in later)
    ids = {t.conversation_id for t in c.truth}
    served: dict[str, set] = defaultdict(set)
    for r in c.conversations:
        if r.conversation_id in ids and r.shown:
            served[r.day].add(r.model_versions.get("ranker"))
    normal = c.manifest["runtimes"]["normal"]["versions"]["ranker"]
    assert served[day0] == {normal} and all(served[d] == {f"{normal}-signflip"} for d in later)
    assert all(not r.fallback for r in c.conversations if r.conversation_id in ids)   # it loads: no fallback


def test_a_broken_ranker_artifact_makes_the_service_fall_back(local_stack: Any, sim_world: Path, sim_ranker: Path,
                                                              tmp_path: Path) -> None:
    from nabiyam.simulate import Scenario

    c = run_and_capture(local_stack, sim_world, tmp_path, date(2027, 2, 15), 2, 6, seed=5, ranker_dir=sim_ranker,
                        scenario=Scenario("incident", incident="ranker", incident_day=1))
    food = [r for r in c.conversations if r.shown]
    before = [r for r in food if r.day == "2027-02-15"]
    after = [r for r in food if r.day == "2027-02-16"]
    assert before and after
    assert not any(r.fallback for r in before) and all(r.fallback for r in after)
    assert "model.onnx" in c.manifest["runtimes"]["ranker"]["problems"].get("ranker", "") or \
        c.manifest["runtimes"]["ranker"]["versions"]["ranker"] != c.manifest["runtimes"]["normal"]["versions"]["ranker"]


# --------------------------------------------------------------------------------- A/B

def test_ab_both_arms_serve_and_every_turn_logs_its_variant(local_stack: Any, sim_world: Path, sim_ranker: Path,
                                                            tmp_path: Path) -> None:
    from nabiyam.simulate import Scenario

    c = run_and_capture(local_stack, sim_world, tmp_path, date(2027, 8, 2), 1, 24, seed=6, ranker_dir=sim_ranker,
                        scenario=Scenario("ab", treatment_share=0.5))
    versions = c.manifest["runtimes"]["normal"]["versions"]
    expected = {t.conversation_id: t.variant_expected for t in c.truth}
    assert {r.conversation_id for r in c.conversations} == set(expected)
    recommended = 0
    for r in c.conversations:
        assert r.variant in ("control", "treatment")
        # every turn the recommender answered carries its arm by the salted hash (the pipeline logs
        # "control" on greeting/chit-chat turns, where no ranker is involved)
        if r.intent in ("FOOD_RECOMMENDATION", "BUDGET_FOOD_INQUIRY"):
            recommended += 1
            assert r.variant == expected[r.conversation_id], r
    assert recommended >= 20
    served = defaultdict(set)
    for r in c.conversations:
        if r.shown:
            served[r.variant].add(r.model_versions["ranker"])
    assert served["control"] == {versions["ranker"]}
    assert served["treatment"] == {versions["ranker_treatment"]} != served["control"]   # the treatment really served


# --------------------------------------------------------------------------------- HTTP + the clock header

def test_over_http_the_dev_clock_header_reaches_the_records(local_stack: Any, sim_world: Path, tmp_path: Path
                                                             ) -> None:
    from nabiyam.api import create_app
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import get_settings
    from nabiyam.simulate import Scenario
    from tests.api.conftest import start_live_server, stop_live_server

    rt = load_runtime(get_settings(), catalogue=sim_world, nlu_dir=None, ranker_dir=None)
    live = start_live_server(create_app(rt, get_settings()))
    try:
        c = run_and_capture(local_stack, sim_world, tmp_path, date(2027, 9, 6), 1, 4, seed=8, url=live.base_url,
                            scenario=Scenario("steady"))
    finally:
        stop_live_server(live)
    assert c.manifest["transport"].startswith("http:")
    logged = {r.conversation_id: r for r in c.conversations}
    assert c.truth and all(datetime.fromisoformat(logged[t.conversation_id].created_at)
                           == datetime.fromisoformat(t.at) for t in c.truth)


def test_prod_never_honours_the_clock_header(local_stack: Any, sim_world: Path) -> None:
    import asyncio

    import httpx

    from nabiyam.api import create_app
    from nabiyam.clock import SIM_TIME_HEADER, SimulatedClockRefused, simulated
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import Settings, get_settings
    from nabiyam.storage.conversations import ConversationStore
    from tests.api.conftest import start_live_server, stop_live_server

    prod = Settings(**{**get_settings().model_dump(), "stage": "prod", "auth_mode": "body"})
    rt = load_runtime(prod, catalogue=sim_world, nlu_dir=None, ranker_dir=None)
    app = create_app(rt, prod)
    live = start_live_server(app)
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            resp = client.post("/chat", headers={SIM_TIME_HEADER: "2027-06-01T12:00:00+09:00"},
                               json={"user_id": "u000001", "message": "안녕!"})
    finally:
        stop_live_server(live)
    assert resp.status_code == 200, resp.text
    record = ConversationStore().get(resp.json()["conversation_id"])
    assert record is not None and not record.created_at.startswith("2027-06-01")   # the real clock, not the header

    # and the clock itself refuses a simulated time in prod, whoever asks
    with pytest.raises(SimulatedClockRefused):
        with simulated(datetime(2027, 6, 1, 12, tzinfo=timezone(timedelta(hours=9))), stage="prod"):
            pass


# --------------------------------------------------------------------------------- CLI

@pytest.mark.parametrize(("argv", "message"), [
    (["--days", "0"], "--days must be at least 1"),
    (["--per-day", "0"], "--per-day must be at least 1"),
    (["--scenario", "ab", "--url", "http://127.0.0.1:9"], "only works in process"),
    (["--scenario", "ab", "--treatment-share", "1.5"], "strictly between 0 and 1"),
])
def test_cli_bad_input_gets_a_clear_error(sim_world: Path, argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture) -> None:
    from nabiyam.cli.main import main

    base = ["simulate", "--world", str(sim_world), "--days", "1", "--start", "2027-01-01", "--quiet"]
    assert main(base + argv) == 2
    assert message in capsys.readouterr().err
