"""The learning loop end to end on the tiny world, against the truth.

Two weeks of simulated traffic (served by the funnel blend) go through the API's core by the
simulator's bulk path, which writes the lake the export job would (the same records as the
Lambda handler path: tests/simulate/test_bulk.py). The "old production" is a ranker trained on the first three
days with shuffled labels (a deliberately weak model). Then: the retrain trigger fires on the
new window and records why → the pipeline trains from the lake → the candidate is evaluated on
the held-out days (session bootstrap) and against the world's oracle → promoted → a running
API (uvicorn, real HTTP) serves it without restart → a second, shuffled-label candidate is
rejected with its stored reason → rollback restores the old version in the running API.

Tolerances: the decision is the interval rule itself (95 % session-bootstrap interval of the
NDCG@5 difference above 0 to promote); the oracle's verdict uses the same rule on the true
choice rates of 150 held-out simulated requests, and the test requires the two to agree — the
point of the oracle. Sizes are the smallest that keep both verdicts clear on this world
(25 sessions a day; a shuffled-label model is far from a trained one).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

START = date(2026, 3, 16)  # the tiny world's own history covers 2026-03-02 .. 03-15
DAYS = 14
PER_DAY = 25
SEED = 11
# a dinner-time request in 관악구 (shops are open; the service clock may be any hour)
CONTEXT = {"district": "관악구", "lat": 37.4784, "lon": 126.9516, "at": "2026-03-29T18:30:00+09:00"}

pytestmark = pytest.mark.xdist_group("learning-loop")


def _serve(app: Any) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # bounded: 10 s
        if server.started:
            break
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


def _served_ranker(http: httpx.Client, user: str = "u_000001") -> str:
    r = http.post("/chat", json={"user_id": user, "message": "만원으로 먹을 수 있는 저녁 추천해줘",
                                 "context": CONTEXT})
    assert r.status_code == 200, r.text
    return str(r.json()["model_versions"].get("ranker"))


def _wait_for(http: httpx.Client, version: str, timeout_s: float = 15.0) -> str:
    seen = ""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:  # bounded poll: the runtime's TTL is 0.2 s here
        seen = _served_ranker(http)
        if seen == version:
            return seen
        time.sleep(0.2)
    return seen


@pytest.fixture(scope="module")
def loop(local_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from nabiyam.infra.provision import empty
    from nabiyam.settings import get_settings
    from nabiyam.simulate import SimConfig, simulate
    from nabiyam.world import generate

    import boto3

    session = boto3.session.Session(region_name="ap-northeast-2", aws_access_key_id="testing",
                                     aws_secret_access_key="testing")
    empty(local_stack.spec, session.client("dynamodb", endpoint_url=local_stack.endpoint),
          session.client("s3", endpoint_url=local_stack.endpoint))
    root = tmp_path_factory.mktemp("learning")
    world = root / "world"
    generate("tiny", SEED, world)
    settings = get_settings().model_copy(update={"model_cache_dir": root / "cache", "artifacts_dir": root / "artifacts",
                                                 "state_dir": root / "state"})
    # the bulk path: the API's core in process, records straight to the lake bucket — the same
    # records as the Lambda handler + moto + export path (tests/simulate/test_bulk.py), at a
    # fraction of the cost; the live serving below goes over real HTTP
    result = simulate(SimConfig(world=world, days=DAYS, start=START, out=root / "sim", per_day=PER_DAY, seed=SEED,
                                ranker_dir=None, bulk=True), settings)
    return {"world": world, "root": root, "settings": settings, "sim": result}


def test_loop_trigger_train_promote_serve_reject_rollback(loop: dict[str, Any]) -> None:
    from nabiyam.api import create_app
    from nabiyam.evaluation.logged import read_logged_turns
    from nabiyam.infra.scheduled import run_scheduled_job
    from nabiyam.registry import DataWindow, Registry
    from nabiyam.runtime import load_runtime
    from nabiyam.storage.blobs import BlobStore
    from training_jobs.pipeline.data import Sheets
    from training_jobs.pipeline.job import PipelineConfig, run_pipeline
    from training_jobs.pipeline.ranker import train_ranker

    settings, world, root = loop["settings"], loop["world"], loop["root"]
    reg = Registry(settings)
    # the old production: trained on the first 3 days with shuffled labels (weak on purpose)
    old_window = DataWindow(start=START, end=START + timedelta(days=2))
    old_turns = read_logged_turns(old_window.start, old_window.end, settings)
    train_ranker(Sheets.load(world), old_turns, root / "old", window=str(old_window), epochs=2, shuffle_labels=True)
    old = reg.publish("ranker", root / "old", {}, data_window=old_window, actor="test-setup", reason="old production")
    reg.promote("ranker", old, actor="test-setup", reason="old production")

    # the retrain trigger at 02:00 KST after the last simulated day
    last = START + timedelta(days=DAYS - 1)
    event = {"date": last.isoformat(), "launch": "none", "min_interactions": "100"}
    decision = run_scheduled_job("retrain_trigger", event)["result"]
    window = f"{(old_window.end + timedelta(days=1)).isoformat()}..{last.isoformat()}"
    assert decision["status"] == "started" and decision["window"] == window, decision
    assert "new_interactions" in decision["triggers"] and "interactions" in decision["explanation"]
    stored = BlobStore(settings.artifacts_bucket, settings).get_json(decision["decision_key"])
    assert stored["explanation"] == decision["explanation"]
    assert decision["launch"]["command"][:4] == ["nabiyam", "train", "pipeline", "--window"]
    again = run_scheduled_job("retrain_trigger", event)["result"]  # a retried schedule: never twice
    assert again["status"] == "already_started"

    # a running API, following the registry with a 0.2 s TTL
    os.environ["NABIYAM_MODEL_REFRESH_SECONDS"] = "0.2"
    serving = settings.model_copy(update={"model_refresh_seconds": 0.2})
    rt = load_runtime(serving, catalogue=world)
    base, server, thread = _serve(create_app(rt, serving))
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            assert _served_ranker(http) == old

            cfg = PipelineConfig(window=DataWindow.parse(window), sheets=world, out=root / "pipe-good", holdout_days=3,
                                 epochs=4, oracle_world=world, oracle_requests=150, actor="retrain-trigger",
                                 reason=decision["explanation"])
            good = run_pipeline(cfg, settings, log=lambda *_: None)
            report = good["report"]
            assert report.production_version == old and report.candidate_version == good["version"]
            assert report.oracle is not None and report.oracle.verdict == "candidate", report.oracle
            assert report.decision == "promote", report.reasons
            assert report.agrees_with_oracle is True
            assert reg.alias("ranker", "production") == good["version"]
            event_ = reg.history("ranker", 1)[0]
            assert event_.action == "promoted" and event_.report_key == good["report_key"]
            assert BlobStore(settings.artifacts_bucket, settings).get_json(good["report_key"])["decision"] == "promote"
            # the running API picks it up without a restart
            assert _wait_for(http, good["version"]) == good["version"]

            bad = run_pipeline(PipelineConfig(window=DataWindow.parse(window), sheets=world, out=root / "pipe-bad",
                                              holdout_days=3, epochs=4, shuffle_labels=True, oracle_world=world,
                                              oracle_requests=150, actor="test"), settings, log=lambda *_: None)
            assert bad["decision"] == "reject"
            assert bad["report"].oracle.verdict in ("production", "tie")  # type: ignore[union-attr]
            assert bad["report"].agrees_with_oracle is True
            rejected = reg.get("ranker", bad["version"])
            assert rejected.status == "rejected"
            why = reg.history("ranker", 1)[0]
            assert why.action == "rejected" and "ndcg@5" in why.reason and "beyond the noise" in why.reason
            assert _served_ranker(http) == good["version"]  # a rejected model never serves

            reg.rollback("ranker", actor="test", reason="rollback drill")
            assert _wait_for(http, old) == old
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        os.environ.pop("NABIYAM_MODEL_REFRESH_SECONDS", None)


def test_treatment_arm_serves_the_candidate_and_the_experiment_gates_promotion(loop: dict[str, Any]) -> None:
    """With treatment_share > 0 the runtime loads the ranker `candidate` alias as the treatment
    arm: users split by the salted hash, each logged turn carries its variant and the version
    that served it; the experiment gate (SRM + treatment not worse) then decides the promotion.
    Orders are posted for control users only, so the treatment is worse beyond any noise here
    (60 users, 0 vs ~100 % conversion) and the candidate must be rejected with that reason."""
    from nabiyam.api import create_app
    from nabiyam.chat.variant import assign_variant
    from nabiyam.clock import now
    from nabiyam.evaluation.experiment import promote_after_experiment
    from nabiyam.lake import export_day
    from nabiyam.registry import Registry
    from nabiyam.runtime import load_runtime

    settings, world = loop["settings"], loop["world"]
    reg = Registry(settings)
    production = reg.alias("ranker", "production")
    challenger = next(v.version for v in reg.list_versions("ranker") if v.status == "rejected")
    reg.set_candidate("ranker", challenger, actor="test", reason="experiment drill")
    serving = settings.model_copy(update={"treatment_share": 0.5, "model_refresh_seconds": 0.0})
    rt = load_runtime(serving, catalogue=world)
    assert rt.versions["ranker_treatment"] == challenger and rt.versions["ranker"] == production
    base, server, thread = _serve(create_app(rt, serving))
    users = [f"u_{i:06d}" for i in range(1, 61)]
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            for i, user in enumerate(users):
                r = http.post("/chat", json={"user_id": user, "message": "만원으로 먹을 수 있는 저녁 추천해줘",
                                             "context": CONTEXT})
                body = r.json()
                assert r.status_code == 200 and body["recommendations"], body
                expected = assign_variant(user, serving.experiment_name, 0.5)
                assert body["variant"] == expected
                assert body["model_versions"]["ranker"] == (challenger if expected == "treatment" else production)
                if expected == "control":
                    f = http.post("/feedback", json={"event_id": f"evt-exp-{i:04d}", "user_id": user,
                                                     "conversation_id": body["conversation_id"],
                                                     "shop_id": body["recommendations"][0]["shop_id"],
                                                     "feedback_type": "ordered"})
                    assert f.status_code in (200, 201, 202), f.text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    today = now().date().isoformat()
    export_day(today, settings)
    gate, decision = promote_after_experiment("ranker", today, today, share=0.5, actor="test", settings=settings)
    assert decision == "reject" and not gate.passed and "worse beyond the noise" in gate.detail
    assert "SRM p" in gate.detail and "sample-ratio mismatch" not in gate.detail  # the hash split is fair
    event = reg.history("ranker", 1)[0]
    assert event.action == "rejected" and event.model_version == challenger and "experiment" in event.reason
    assert reg.alias("ranker", "production") == production


def _hand_built_day(day: date, clicked: int, shown: int = 100) -> Any:
    """A global DailyMetrics of ``shown`` answers of which ``clicked`` got a click (and an order),
    built by the metrics module's own aggregate — the prior days a week-over-week compares with."""
    from nabiyam.metrics.daily import Extras, FeedbackIndex, TurnFacts, aggregate
    from nabiyam.storage.feedback import FeedbackRecord

    facts, events = [], []
    for i in range(shown):
        cid = f"hb-{day.isoformat()}-{i}"
        facts.append(TurnFacts(conversation_id=cid, user_id=f"hb{i}", session_id=f"s-{cid}",
                               intent="FOOD_RECOMMENDATION", variant="control", models=(("ranker", "r0"),),
                               message="치킨 먹고 싶어", food_turn=True, shown=("s1", "s2", "s3"),
                               categories=("치킨", "피자", "치킨"), violations=(), fallback=False, nothing_fits=False,
                               error=False, chars=120, sentences=4, style_ok=True, confidence=0.9, rules=False,
                               latency={"total": 100.0}, asked_category="치킨", asked_foods=("치킨",)))
        if i < clicked:
            for n, kind in enumerate(("clicked", "ordered")):
                events.append(FeedbackRecord(event_id=f"ev-{cid}-{n}", kind="interaction", conversation_id=cid,
                                             user_id=f"hb{i}", created_at=f"{day.isoformat()}T12:00:00+09:00",
                                             day=day.isoformat(), payload_hash="h", feedback_type=kind, shop_id="s2"))
    return aggregate(day, "global", facts, FeedbackIndex.build(events), Extras())


def test_an_alert_stored_by_the_daily_metrics_job_fires_the_trigger(loop: dict[str, Any]) -> None:
    """The real daily-metrics job computes a simulated day from the lake, compares it week over
    week with stored prior days (hand-built: 90 % CTR, then 20 %) and stores a CTR alert; the
    retrain trigger reads that alert — and the day's dislike counts — through the typed
    DailyMetrics contract and fires ``degradation_alert``, naming the alert. Runs after the loop
    test (its own window, so its claim cannot collide); the hand-built days are removed after."""
    from nabiyam.infra.scheduled import run_scheduled_job
    from nabiyam.jobs.daily_metrics import run_day
    from nabiyam.metrics.model import GLOBAL_SCOPE
    from nabiyam.registry import Registry
    from nabiyam.storage.daily_metrics import DailyMetric, DailyMetricsRepository, replace_day

    settings = loop["settings"]
    day = START + timedelta(days=DAYS - 2)  # a simulated day in the lake, not the loop test's last day
    repo = DailyMetricsRepository(settings)
    prior = [day - timedelta(days=k) for k in range(13, 0, -1)]
    try:
        for k, d in enumerate(prior):  # 7 days at 90 % CTR, then 6 at 20 %: a drop beyond any noise
            m = _hand_built_day(d, clicked=90 if k < 7 else 20)
            repo.put(DailyMetric(day=d.isoformat(), scope=GLOBAL_SCOPE, metrics=m.model_dump(mode="json")))
        summary = run_day(day, settings, {})
        assert summary["conversations"] > 0, summary  # the job really read the simulated day
        assert f"wow#ctr#{day.isoformat()}" in summary["alerts"], summary
        stored = repo.get(day, GLOBAL_SCOPE)
        assert stored is not None

        decision = run_scheduled_job("retrain_trigger", {"date": day.isoformat(), "launch": "none",
                                                         "min_interactions": "100000"})["result"]
        assert decision["status"] == "started", decision
        assert decision["triggers"] == ["degradation_alert"], decision  # the alert alone fired it
        assert decision["signals"]["alert_days"] == [day.isoformat()]
        assert f"wow#ctr#{day.isoformat()}" in decision["explanation"]
        # the dislike counts of the computed day are the job's RetrainSignal; of the others the lake's
        prod = Registry(settings).production("ranker")
        start = prod.data_window.end + timedelta(days=1) if prod and prod.data_window else day - timedelta(days=27)
        assert decision["window"] == f"{start.isoformat()}..{day.isoformat()}"
        assert decision["signals"]["metrics_days"] == len([d for d in prior if d >= start]) + 1
    finally:
        for d in [*prior, day]:
            replace_day(repo, d, [])
