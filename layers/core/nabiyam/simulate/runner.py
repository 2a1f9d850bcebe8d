"""`simulate(config)`: days of the world's people using the real service, with the truth beside.

Per day: draw the day's sessions (:class:`~nabiyam.simulate.world.SimWorld`), send each turn
to the service (:mod:`nabiyam.simulate.service`) at its simulated time, react to what was
actually shown (:mod:`nabiyam.simulate.reactions`) with feedback sent to ``POST /feedback``
(client event ids, some retried), write the day's truth file, then run the export job for
the day so the lake holds it. Everything random is drawn from ``seed``: the same config gives
the same requests, the same reactions and (up to the service's own ids and latencies) the
same logs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.chat.variant import CONTROL, assign_variant
from nabiyam.runtime import DISCOVER
from nabiyam.settings import Settings, get_settings
from nabiyam.simulate import reactions
from nabiyam.simulate.chitchat import FOLLOW_UP_PREFIXES, GREETINGS, THANKS, ChitChat
from nabiyam.simulate.scenarios import Scenario
from nabiyam.simulate.service import API_HANDLER, HttpService, LambdaService, Service, load_api_handler
from nabiyam.simulate.truth import Outcome, TruthRow, read_truth, write_truth
from nabiyam.simulate.world import PlannedSession, SimWorld

ANSWER_SIZE = 5          # the best set's size when nothing was shown (the service shows 3–5)
P_GREETING = 0.06        # a session opens with a greeting
P_CHITCHAT = 0.05        # a session opens with out-of-scope chit-chat
P_FOLLOW_UP = 0.25       # nothing chosen: ask again
P_THANKS = 0.15          # ordered: say thanks


class SimulationError(RuntimeError):
    """The simulation cannot run as configured (the message says why and what to do)."""


@dataclass
class SimConfig:
    world: Path
    days: int
    start: date
    out: Path
    per_day: int = 100
    scenario: Scenario = field(default_factory=lambda: Scenario("steady"))
    seed: int = 7
    url: str | None = None
    ranker_dir: Any = DISCOVER       # a directory, None (funnel blend) or DISCOVER (registry, then artifacts/)
    nlu_dir: Any = DISCOVER
    treatment_dir: Path | None = None
    export: bool = True
    progress: bool = False
    bulk: bool = False               # the service's core in process, records straight to the lake (simulate/bulk.py)
    lake: Path | None = None         # bulk only: a local lake directory instead of the learning-data bucket
    workers: int = 1                 # bulk only: processes, each serving the sessions of its share of the people

    def validate(self) -> None:
        if self.days < 1:
            raise SimulationError(f"--days must be at least 1, got {self.days}")
        if self.per_day < 1:
            raise SimulationError(f"--per-day must be at least 1, got {self.per_day}")
        if self.seed < 0:
            raise SimulationError(f"--seed must be non-negative, got {self.seed}")
        if not (Path(self.world) / "world.json").exists():
            raise SimulationError(f"{self.world} is not a world directory (no world.json); "
                                  f"make one with `nabiyam world generate --size small --seed 7 --out DIR`")
        if self.bulk and self.url:
            raise SimulationError("--bulk runs the service's core in this process; it cannot be combined with --url")
        if self.workers < 1 or (self.workers > 1 and not self.bulk):
            raise SimulationError(f"--workers must be at least 1 and needs --bulk, got {self.workers}")
        if self.lake is not None and not self.bulk:
            raise SimulationError("--lake is for --bulk (the handler path's records reach the lake by export-logs)")
        if self.url and self.scenario.name in ("incident", "ab"):
            raise SimulationError(f"scenario {self.scenario.name!r} changes what the service loads, which only "
                                  f"works in process; drop --url (the default runs the Lambda handler here)")


@dataclass
class DayTally:
    day: str
    sessions: int = 0
    turns: int = 0
    errors: int = 0
    food_turns: int = 0
    shown_turns: int = 0
    clicked_turns: int = 0
    orders: int = 0
    favorites: int = 0
    likes: int = 0
    dislikes: int = 0
    satisfaction_sum: int = 0
    satisfaction_n: int = 0
    feedback_events: int = 0
    feedback_retries: int = 0
    expected_clicked_turns: float = 0.0
    expected_orders: float = 0.0
    expected_likes: float = 0.0
    expected_dislikes: float = 0.0
    expected_satisfaction_sum: float = 0.0
    expected_rated_satisfaction_sum: float = 0.0
    expected_rated_n: float = 0.0
    p_pick_shown_sum: float = 0.0
    p_pick_best_sum: float = 0.0
    broken: str | None = None

    def summary(self) -> dict[str, Any]:
        n = max(self.shown_turns, 1)
        return {**self.__dict__,
                "ctr": self.clicked_turns / n, "expected_ctr": self.expected_clicked_turns / n,
                "conversion": self.orders / n, "expected_conversion": self.expected_orders / n,
                "like_ratio": self.likes / max(self.likes + self.dislikes, 1),
                "expected_like_ratio": self.expected_likes / max(self.expected_likes + self.expected_dislikes, 1e-12),
                "mean_satisfaction": self.satisfaction_sum / max(self.satisfaction_n, 1),
                "expected_mean_satisfaction": self.expected_satisfaction_sum / n,
                "expected_rated_satisfaction": self.expected_rated_satisfaction_sum / max(self.expected_rated_n, 1e-12),
                "mean_p_pick_shown": self.p_pick_shown_sum / n, "mean_p_pick_best": self.p_pick_best_sum / n}


@dataclass
class SimResult:
    out: Path
    days: list[dict[str, Any]]
    manifest: dict[str, Any]


class Simulation:
    def __init__(self, config: SimConfig, settings: Settings | None = None,
                 shard: tuple[int, int] | None = None) -> None:
        config.validate()
        self.shard = shard   # (k, n): serve only the people with shard_of(user_id, n) == k (bulk workers)
        self.config = config
        self.settings = settings or get_settings()
        self.world = SimWorld(config.world)
        self.chitchat = ChitChat.load()
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self._catalogue: Any = None
        self._regime: str | None | bool = False
        self.service: Service | None = None
        self.runtimes: dict[str, dict[str, Any]] = {}
        self.favorited: set[tuple[str, str]] = set()
        self._bulk: Any = None         # bulk: the in-memory stores, kept across service reloads
        self.bulk_written: dict[str, dict[str, int]] = {}
        self.requests = 0      # every POST the simulated people sent (chat turns, feedback, retries)
        self.handler_invocations = 0   # what the Lambda handler(s) counted (in process)

    # ---- the service ---------------------------------------------------------------
    def _catalogue_index(self) -> Any:
        if self._catalogue is None:
            from nabiyam.recsys import CatalogueIndex

            self._catalogue = CatalogueIndex.from_world_dir(self.world.path)
        return self._catalogue

    def _served_dir(self, model: str, configured: Any, flag: str) -> Path:
        """The directory of the ``model`` (``ranker`` | ``nlu``) the normal service loads (an incident breaks a copy)."""
        if configured is not DISCOVER:
            if configured is None:
                raise SimulationError(f"this incident needs a served {model}, but the {model} is off ({flag} none)")
            return Path(configured)
        source = self.runtimes.get("normal", {}).get("sources", {}).get(model, "none")
        kind, _, path = source.partition(":")
        if kind not in ("registry", "local", "explicit") or not path:
            raise SimulationError(f"this incident needs a served {model}; the stack serves none ({source}). "
                                  f"Train and publish one (`make run`) or pass {flag} DIR")
        return Path(path)

    def _served_ranker_dir(self) -> Path:
        return self._served_dir("ranker", self.config.ranker_dir, "--ranker")

    def _broken_ranker(self) -> Path:
        """A copy of the served ranker artifact whose ONNX file is corrupt (what a bad deploy ships)."""
        target = self.out / "incident-ranker"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self._served_ranker_dir(), target)
        (target / "model.onnx").write_bytes(b"corrupt: truncated upload\n")
        return target

    def _bad_ranker(self) -> Path:
        """A bad deploy that loads: the served ranker with its final logit sign-flipped (and a
        matching checksum, as a consistent-but-wrong publish would have), so it ranks worst first."""
        import hashlib

        import onnx  # dev/test only (the simulator never runs in the Lambda)
        from onnx import helper

        target = self.out / "incident-bad-ranker"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self._served_ranker_dir(), target)
        model = onnx.load(str(target / "model.onnx"))
        last = model.graph.node[-1]
        if last.op_type != "Sigmoid":
            raise SimulationError(f"incident 'bad-ranker' expects the ranker graph to end in a Sigmoid, "
                                  f"found {last.op_type}")
        flipped = last.input[0] + "_sign_flipped"
        model.graph.node.insert(len(model.graph.node) - 1, helper.make_node("Neg", [last.input[0]], [flipped]))
        last.input[0] = flipped
        data = model.SerializeToString()
        (target / "model.onnx").write_bytes(data)
        manifest_path = target / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if "onnx_sha256" in manifest:
            manifest["onnx_sha256"] = hashlib.sha256(data).hexdigest()
        if "version" in manifest:   # a new publish has a new version: the logs show which model served
            manifest["version"] = f"{manifest['version']}-signflip"
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        return target

    def _bad_nlu(self) -> Path:
        """A bad NLU deploy that loads: the served NLU with its slot head collapsed to the majority
        tag ``O`` (the slot projection's weights zero, its bias a one-hot on ``O`` — what a head
        trained with its loss masked out, or exported before its weights were restored, looks
        like), with a matching checksum and a new version, as a consistent-but-wrong publish has.

        The intent head is untouched, so the model stays confident and answers (the rules
        fallback, which would find the slots, is not taken): a child asking for 치킨 gets a
        food recommendation with no category, food or budget filter from the message — the
        dish asked for is ignored. What the service still enforces does not come from the
        message (the hard filters: open, in reach, the meal card's budget from the context)."""
        import hashlib

        import numpy as np
        import onnx  # dev/test only (the simulator never runs in the Lambda)
        from onnx import numpy_helper

        target = self.out / "incident-bad-nlu"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self._served_dir("nlu", self.config.nlu_dir, "--nlu"), target)
        model = onnx.load(str(target / "model.onnx"))
        tags = json.loads((target / "labels.json").read_text(encoding="utf-8"))["tags"]
        inits = {i.name: i for i in model.graph.initializer}
        producers = {o: n for n in model.graph.node for o in n.output}
        head = producers.get("slot_logits")
        bias_name = next((x for x in (head.input if head else []) if x in inits), None)
        projection = next((producers[x] for x in (head.input if head else []) if x in producers), None)
        weight_name = next((x for x in (projection.input if projection else []) if x in inits), None)
        if head is None or head.op_type != "Add" or bias_name is None or weight_name is None or "O" not in tags:
            raise SimulationError("incident 'bad-nlu' expects the NLU graph's slot_logits to be MatMul + Add "
                                  "(a linear slot head) and an 'O' tag in labels.json")
        weight = numpy_helper.to_array(inits[weight_name])
        bias = np.zeros(len(tags), dtype=numpy_helper.to_array(inits[bias_name]).dtype)
        bias[tags.index("O")] = 1.0
        inits[weight_name].CopyFrom(numpy_helper.from_array(np.zeros_like(weight), weight_name))
        inits[bias_name].CopyFrom(numpy_helper.from_array(bias, bias_name))
        data = model.SerializeToString()
        (target / "model.onnx").write_bytes(data)
        manifest_path = target / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if "model.onnx" in manifest.get("files", {}):
            manifest["files"]["model.onnx"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        manifest["version"] = f"{manifest.get('version', 'nlu')}-slotless"  # the logs show which model served
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        return target

    def _load(self, broken: str | None) -> None:
        from nabiyam.runtime import load_runtime

        self._close_service()
        if self.config.url:
            self.service = HttpService(self.config.url)
            return
        scenario = self.config.scenario
        discovered = self.config.nlu_dir if broken == "bad-nlu" else self.config.ranker_dir
        if (broken in ("ranker", "bad-ranker", "bad-nlu") and "normal" not in self.runtimes
                and discovered is DISCOVER):
            self._load(None)  # find out which model is served before breaking it
        ranker = (self._broken_ranker() if broken == "ranker" else self._bad_ranker() if broken == "bad-ranker"
                  else self.config.ranker_dir)
        nlu = None if broken == "nlu" else self._bad_nlu() if broken == "bad-nlu" else self.config.nlu_dir
        treatment = None
        if scenario.name == "ab":
            treatment = self.config.treatment_dir
            if treatment is None:   # the funnel-score blend as a deliberately different arm
                treatment = self.out / "ab-treatment-funnel-blend"
                treatment.mkdir(parents=True, exist_ok=True)
        rt = load_runtime(self.settings, catalogue=self._catalogue_index(), nlu_dir=nlu, ranker_dir=ranker,
                          treatment_ranker_dir=treatment)
        if rt.recommender is None:
            raise SimulationError(f"the service has no recommender: {rt.problems}")
        self.runtimes[broken or "normal"] = {"versions": dict(rt.versions), "sources": dict(rt.sources),
                                             "problems": dict(rt.problems)}
        if self.config.bulk:
            from nabiyam.simulate.bulk import BulkService

            log, store = self._bulk if self._bulk else (None, None)
            service = BulkService(rt, self.settings, scenario.share, log=log, store=store)
            self._bulk = (service.log, service.store)
            self.service = service
            return
        env = {"NABIYAM_TREATMENT_SHARE": str(scenario.share), "NABIYAM_STAGE": self.settings.stage}
        self.service = LambdaService(load_api_handler(rt, env))

    def _close_service(self) -> None:
        if isinstance(self.service, LambdaService):
            self.handler_invocations += self.service.calls
        if self.service is not None:
            self.service.close()  # type: ignore[attr-defined]
        self.service = None

    def _service_for(self, broken: str | None) -> Service:
        if self._regime is False or broken != self._regime:
            self._load(broken)
            self._regime = broken
        assert self.service is not None
        return self.service

    def _flush(self, through: date | None) -> None:
        from nabiyam.lake import open_store
        from nabiyam.simulate.bulk import BulkService

        assert isinstance(self.service, BulkService)
        self.bulk_written.update(self.service.flush(open_store(self.config.lake, self.settings), through))

    # ---- one session ---------------------------------------------------------------
    def _chat(self, service: Service, s: PlannedSession, text: str, at: datetime) -> tuple[int, dict[str, Any]]:
        body = {"user_id": s.user_id, "message": text, "session_id": s.session_id,
                "context": {"lat": round(s.lat, 6), "lon": round(s.lon, 6), "district": s.district,
                            "budget": s.budget}}
        self.requests += 1
        return service.post("/chat", body, at)

    def _feedback(self, service: Service, payload: dict[str, Any], at: datetime, retry: bool,
                  outcome: Outcome, tally: DayTally) -> None:
        self.requests += 1
        status, body = service.post("/feedback", payload, at)
        if status >= 300:
            raise SimulationError(f"POST /feedback answered {status}: {body}")
        outcome.event_ids.append(payload["event_id"])
        tally.feedback_events += 1
        if retry:
            self.requests += 1
            status2, body2 = service.post("/feedback", payload, at + timedelta(seconds=3))
            if status2 >= 300 or body2.get("event_id") != payload["event_id"]:
                raise SimulationError(f"a retried POST /feedback answered {status2}: {body2}")
            outcome.retried.append(payload["event_id"])
            tally.feedback_retries += 1

    def _other_turn(self, service: Service, s: PlannedSession, kind: str, text: str, at: datetime,
                    variant: str, tally: DayTally) -> TruthRow:
        status, body = self._chat(service, s, text, at)
        tally.turns += 1
        tally.errors += status >= 500
        return TruthRow(conversation_id=body.get("conversation_id"), session_id=s.session_id, user_id=s.user_id,
                        day=at.date().isoformat(), at=at.isoformat(), turn=kind,  # type: ignore[arg-type]
                        scenario=self.config.scenario.name, variant_expected=variant, status=status, message=text,
                        shown=[r["shop_id"] for r in body.get("recommendations", [])])

    def _food_turn(self, service: Service, s: PlannedSession, kind: str, text: str, at: datetime, variant: str,
                   rng: np.random.Generator, tally: DayTally, n: int) -> tuple[TruthRow, bool]:
        oracle = self.world.oracle
        status, body = self._chat(service, s, text, at)
        tally.turns += 1
        tally.food_turns += 1
        tally.errors += status >= 500
        recs = body.get("recommendations", []) if status == 200 else []
        shown = [r["shop_id"] for r in recs]
        ctx = s.oracle_context()
        best, _ = self.world.best_set(s, len(shown) or ANSWER_SIZE, shown)
        p_best = float(oracle.choice_probabilities(s.user_id, best, **ctx).sum()) if best else 0.0  # type: ignore[arg-type]
        row = TruthRow(conversation_id=body.get("conversation_id"), session_id=s.session_id, user_id=s.user_id,
                       day=at.date().isoformat(), at=at.isoformat(), turn=kind,  # type: ignore[arg-type]
                       scenario=self.config.scenario.name, variant_expected=variant, status=status, message=text,
                       shown=shown, p_pick_best=p_best, best=best)
        if not shown:
            return row, False
        u = oracle.utilities(s.user_id, shown, **ctx)  # type: ignore[arg-type]
        p = oracle.choice_probabilities(s.user_id, shown, **ctx)  # type: ignore[arg-type]
        model = reactions.reaction_model(u, oracle.weights.no_choice, p, p_best)
        got = reactions.draw(model, rng)
        p_rated = model.p_satisfaction[[0, 1, 3, 4]]
        row.p_choice = [round(float(x), 6) for x in p]
        row.p_pick_shown = round(model.p_pick_shown, 6)
        row.p_pick_best = round(p_best, 6)
        row.p_click = [round(float(x), 6) for x in model.p_click]
        row.p_any_click = round(model.p_any_click, 6)
        row.p_order = round(model.p_pick_shown, 6)
        row.p_satisfaction = [round(float(x), 6) for x in model.p_satisfaction]
        row.expected_satisfaction = round(model.expected_satisfaction, 6)
        row.p_feedback = reactions.P_FEEDBACK
        row.p_like = round(model.p_like, 6)
        row.p_dislike = round(model.p_dislike, 6)
        tally.shown_turns += 1
        tally.expected_clicked_turns += model.p_any_click
        tally.expected_orders += model.p_pick_shown
        tally.expected_likes += model.p_like
        tally.expected_dislikes += model.p_dislike
        tally.expected_satisfaction_sum += model.expected_satisfaction
        tally.expected_rated_satisfaction_sum += reactions.P_FEEDBACK * float(np.dot([1, 2, 4, 5], p_rated))
        tally.expected_rated_n += reactions.P_FEEDBACK * float(p_rated.sum())
        tally.p_pick_shown_sum += model.p_pick_shown
        tally.p_pick_best_sum += p_best

        out = row.outcome
        conv = row.conversation_id
        retry = rng.random(4) < reactions.P_RETRY
        base = {"conversation_id": conv, "user_id": s.user_id}
        tag = f"ev-{conv}"   # unique per answer; a retry reuses it
        for i in got.clicked:
            out.clicked.append(shown[i])
            self._feedback(service, {**base, "event_id": f"{tag}-click-{i}", "shop_id": shown[i],
                                     "feedback_type": "clicked", "client_ts": (at + timedelta(minutes=1)).isoformat()},
                           at + timedelta(minutes=1), bool(retry[0]), out, tally)
        if got.clicked:
            tally.clicked_turns += 1
        if got.chosen is not None:
            shop = shown[got.chosen]
            out.chosen_shop_id, out.ordered = shop, True
            tally.orders += 1
            self._feedback(service, {**base, "event_id": f"{tag}-order", "shop_id": shop, "feedback_type": "ordered",
                                     "client_ts": (at + timedelta(minutes=3)).isoformat()},
                           at + timedelta(minutes=3), bool(retry[1]), out, tally)
            if got.favorite and (s.user_id, shop) not in self.favorited:
                self.favorited.add((s.user_id, shop))
                out.favorited = True
                tally.favorites += 1
                self._feedback(service, {**base, "event_id": f"{tag}-fav", "shop_id": shop,
                                         "feedback_type": "favorited",
                                         "client_ts": (at + timedelta(minutes=5)).isoformat()},
                               at + timedelta(minutes=5), bool(retry[2]), out, tally)
        out.satisfaction = got.satisfaction
        if got.sends_feedback and got.satisfaction != 3:
            like = got.satisfaction >= 4
            payload = {**base, "event_id": f"{tag}-rate", "feedback": "like" if like else "dislike",
                       "satisfaction": got.satisfaction, "client_ts": (at + timedelta(minutes=4)).isoformat()}
            if not like:
                any_feasible = bool(self.world.best_set(s, 1)[0])
                payload["reason"] = reactions.dislike_reason(recs, s.budget, s.category, s.food, any_feasible)
                out.reason = payload["reason"]
            out.feedback = payload["feedback"]
            tally.likes += like
            tally.dislikes += not like
            tally.satisfaction_sum += got.satisfaction
            tally.satisfaction_n += 1
            self._feedback(service, payload, at + timedelta(minutes=4), bool(retry[3]), out, tally)
        return row, got.chosen is not None

    def run_session(self, service: Service, s: PlannedSession, index: int, day: date, tally: DayTally
                    ) -> list[TruthRow]:
        rng = np.random.default_rng([self.config.seed, day.toordinal(), index, 3])
        share = self.config.scenario.share
        variant = assign_variant(s.user_id, self.settings.experiment_name, share) if share > 0 else CONTROL
        r = rng.random(6)
        rows: list[TruthRow] = []
        tally.sessions += 1
        if r[0] < P_GREETING:
            text = GREETINGS[int(r[1] * len(GREETINGS))]
            rows.append(self._other_turn(service, s, "greeting", text, s.at - timedelta(seconds=40), variant, tally))
        elif r[0] < P_GREETING + P_CHITCHAT:
            lines = self.chitchat.lines
            text = lines[int(r[1] * len(lines))]
            rows.append(self._other_turn(service, s, "chitchat", text, s.at - timedelta(seconds=50), variant, tally))
        row, chose = self._food_turn(service, s, "request", s.text, s.at, variant, rng, tally, 0)
        rows.append(row)
        if row.shown and not chose and r[2] < P_FOLLOW_UP:
            prefix = FOLLOW_UP_PREFIXES[int(r[3] * len(FOLLOW_UP_PREFIXES))]
            row2, chose = self._food_turn(service, s, "follow_up", prefix + s.text, s.at + timedelta(minutes=1),
                                          variant, rng, tally, 1)
            rows.append(row2)
        if chose and r[4] < P_THANKS:
            text = THANKS[int(r[5] * len(THANKS))]
            rows.append(self._other_turn(service, s, "thanks", text, s.at + timedelta(minutes=6), variant, tally))
        return rows

    # ---- days ------------------------------------------------------------------------
    def run(self) -> SimResult:
        cfg = self.config
        if cfg.bulk and cfg.workers > 1 and self.shard is None:
            from nabiyam.simulate.shards import run_sharded

            return run_sharded(self)
        days: list[dict[str, Any]] = []
        written: set[str] = set()
        bar = None
        if cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.days, desc=f"simulate {cfg.scenario.name}", unit="day")
        try:
            for d in range(cfg.days):
                day = cfg.start + timedelta(days=d)
                broken = cfg.scenario.broken_on(d, cfg.days)
                service = self._service_for(broken)
                n = cfg.scenario.sessions_on(d, cfg.per_day)
                sessions = self.world.sessions(day, n, cfg.seed, prefix=f"s{cfg.seed}-{day:%Y%m%d}")
                tally = DayTally(day=day.isoformat(), broken=broken)
                rows: list[TruthRow] = []
                for i, s in enumerate(sessions):
                    if self.shard is None or shard_of(s.user_id, self.shard[1]) == self.shard[0]:
                        rows.extend(self.run_session(service, s, i, day, tally))
                by_day: dict[str, list[TruthRow]] = {}
                for row in rows:
                    by_day.setdefault(row.day, []).append(row)
                write_truth(self.out, day, by_day.get(day.isoformat(), []))
                written.add(day.isoformat())
                for other, extra in by_day.items():   # a turn just before midnight of the day before
                    if other != day.isoformat():
                        earlier = read_truth(self.out, other) if other in written else []
                        write_truth(self.out, other, earlier + extra)
                        written.add(other)
                summary = tally.summary()
                if cfg.bulk:   # day D-1 is complete now (D's early greetings may fall before its midnight)
                    self._flush(day - timedelta(days=1))
                elif cfg.export:
                    from nabiyam.lake import export_day

                    exported = export_day(day, self.settings)
                    summary["exported"] = {k: exported[k]["rows"] for k in ("conversations", "feedback")}
                days.append(summary)
                if bar:
                    bar.update(1)
                    bar.set_postfix(ctr=f"{summary['ctr']:.3f}", exp=f"{summary['expected_ctr']:.3f}")
            if cfg.bulk:
                self._flush(None)
        finally:
            if bar:
                bar.close()
            self._close_service()
        return self.finish(days)


    def finish(self, days: list[dict[str, Any]]) -> SimResult:
        """Write ``run.json`` for the simulated ``days`` (their summaries) and return the result."""
        cfg = self.config
        manifest = {
            "scenario": cfg.scenario.__dict__, "seed": cfg.seed, "world": str(cfg.world),
            "world_manifest": {k: self.world.manifest.get(k) for k in ("size", "seed", "formula_version")},
            "start": cfg.start.isoformat(), "days": cfg.days, "per_day": cfg.per_day,
            "transport": (f"http:{cfg.url}" if cfg.url else "bulk-core-in-process" if cfg.bulk
                          else "lambda-handler-in-process"),
            "bulk_written": self.bulk_written if cfg.bulk else None, "workers": cfg.workers,
            "handler": None if cfg.url or cfg.bulk else str(API_HANDLER), "requests": self.requests,
            "handler_invocations": self.handler_invocations,
            "runtimes": self.runtimes, "chitchat_source": self.chitchat.source,
            "reaction_model": {"sat_base": reactions.SAT_BASE, "sat_quality": reactions.SAT_QUALITY,
                               "sat_chose": reactions.SAT_CHOSE, "sat_noise": reactions.SAT_NOISE,
                               "p_feedback": reactions.P_FEEDBACK, "p_retry": reactions.P_RETRY},
            "totals": totals(days), "day_summaries": days,
        }
        (self.out / "run.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
                                           encoding="utf-8")
        return SimResult(self.out, days, manifest)


TALLY_KEYS = ("sessions", "turns", "errors", "food_turns", "shown_turns", "clicked_turns", "orders", "favorites",
              "likes", "dislikes", "satisfaction_sum", "satisfaction_n", "feedback_events", "feedback_retries",
              "expected_clicked_turns", "expected_orders", "expected_likes", "expected_dislikes",
              "expected_satisfaction_sum", "expected_rated_satisfaction_sum", "expected_rated_n",
              "p_pick_shown_sum", "p_pick_best_sum")


def shard_of(user_id: str, n: int) -> int:
    """The worker (0..n-1) that serves ``user_id``: a stable hash, so each person's sessions run
    in order in one process (favourites are once per person and shop) whatever ``n`` is."""
    return int.from_bytes(hashlib.blake2b(user_id.encode(), digest_size=8).digest(), "big") % n


def totals(days: list[dict[str, Any]]) -> dict[str, Any]:
    t = DayTally(day="all")
    for d in days:
        for k in TALLY_KEYS:
            setattr(t, k, getattr(t, k) + d[k])
    out = t.summary()
    out.pop("day")
    out.pop("broken")
    out["days"] = len(days)
    out["conversations_per_day"] = t.turns / max(len(days), 1)
    return out


def simulate(config: SimConfig, settings: Settings | None = None) -> SimResult:
    """Run the simulation described by ``config`` (see :class:`SimConfig`)."""
    return Simulation(config, settings).run()
