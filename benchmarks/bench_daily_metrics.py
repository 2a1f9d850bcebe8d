"""The daily-metrics job on one day of ≥ 100,000 conversations: wall time, CPU time and peak
memory (the issue's budget: ≤ 60 s and ≤ 2 GB on 2 cores).

Setup (not timed): a tiny world (its catalogue: the hard-filter re-check runs for real), a
sentiment model (``artifacts/sentiment`` when trained, else a small one trained here), and one
day of lake rows written in bulk as gzipped JSON Lines parts in the lake's own layout (20,000
rows a part, as the export job writes): user messages drawn from the NLU generator's requests
plus praise / complaints, 3–5 shown shops of the world with reasons and prices, 10 Layer-1
candidates, latencies, model versions, two variants; clicks, orders, favourites, likes /
dislikes with reasons and 1–5 ratings for a realistic share of turns.

Measured in a fresh interpreter pinned to 2 CPUs: :func:`nabiyam.jobs.daily_metrics.build_items`
(stream the partitions → facts, feedback, sentiment of the distinct messages with onnxruntime,
kiwipiepy nouns, every scope, week over week, experiment) and the lake write of the result.
The DynamoDB write of the ~6 items is not included (one batch call).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import zlib
from datetime import date, timedelta
from pathlib import Path

from benchmarks.harness import row

SECTION = "daily_metrics"
DAY = date(2026, 11, 2)
REPO = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, os, resource, sys, time
from datetime import date
try:
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
except (AttributeError, OSError):
    pass
t0, c0 = time.perf_counter(), time.process_time()
from nabiyam.jobs.daily_metrics import build_items, _write_lake
from nabiyam.settings import Settings
lake, world, model = sys.argv[1], sys.argv[2], sys.argv[3]
settings = Settings(artifacts_dir=os.path.join(lake, "no-artifacts"))
day = date.fromisoformat(sys.argv[4])
items, summary = build_items(day, settings, {"lake": lake, "catalogue": world, "sentiment_dir": model,
                                             "treatment_share": "0.5"}, {})
_write_lake(settings, day, items, lake)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "summary": summary, "item_bytes": sum(len(json.dumps(i.metrics)) for i in items)}))
"""

PRAISE = ["진짜 맛있었어요!", "추천 고마워요 최고예요", "떡볶이 완전 맛있어 ㅎㅎ", "여기 또 갈래요", "배불러요 감사합니다"]
COMPLAINTS = ["너무 짜요 ㅠㅠ", "문 닫혀 있었어요", "별로였어요", "너무 멀어요", "비싸서 못 먹었어요"]
REASONS_BAD = ["too_slow", "irrelevant", "too_expensive", "closed", "far"]


def _world(tmp: Path) -> Path:
    from nabiyam.world import generate

    out = tmp / "world"
    generate("tiny", 7, out)
    return out


def _sentiment(tmp: Path) -> Path:
    ready = REPO / "artifacts" / "sentiment"
    if (ready / "model.onnx").exists():
        return ready
    out = tmp / "sentiment"
    subprocess.run([sys.executable, "-m", "nabiyam.cli.main", "train", "sentiment", "--out", str(out),
                    "--train-limit", "4000", "--test-limit", "200", "--neutral", "400", "--buckets", "65536",
                    "--epochs", "2"], check=True, capture_output=True, timeout=1800)
    return out


def _write_day(lake: Path, world: Path, n: int, seed: int = 7) -> int:
    """``n`` conversation rows and their feedback for DAY, as lake parts. Returns the feedback count."""
    from nabiyam.recsys.catalogue import CatalogueIndex
    from training_jobs.nlu.data import generate

    rng = random.Random(seed)
    cat = CatalogueIndex.from_world_dir(world)
    shops = [(s.shop_id, s.name, s.category, s.district) for s in cat.shops]
    texts = [(r["text"], r["intent"]) for r in generate(3000, "train", seed=seed)]
    conv_rows, fb_rows = [], []
    for i in range(n):
        text, intent = rng.choice(texts)
        if rng.random() < 0.1:
            text, intent = rng.choice(PRAISE + COMPLAINTS), "FEEDBACK"
        food = intent in ("FOOD_RECOMMENDATION", "BUDGET_FOOD_INQUIRY")
        shown = rng.sample(shops, rng.randint(3, 5)) if food else []
        user = f"u{rng.randrange(n // 3)}"
        cid = f"c_{i:07d}"
        at = f"{DAY.isoformat()}T{rng.randrange(7, 23):02d}:{rng.randrange(60):02d}:00.000+09:00"
        variant = "treatment" if zlib.crc32(user.encode()) % 2 else "control"
        conv_rows.append({
            "conversation_id": cid, "user_id": user, "session_id": f"s_{user}_{i // 3}", "created_at": at,
            "day": DAY.isoformat(), "message": text, "context": {"district": "관악구", "budget": 9000},
            "intent": intent, "nlu_confidence": round(rng.uniform(0.3, 1.0), 3),
            "nlu": {"intent": intent, "confidence": 0.9, "source": "model" if rng.random() < 0.9 else "rules",
                    "filters": {"category": shown[0][2] if shown else None, "food_types": [], "budget_max": 10000},
                    "entities": [], "semantic_query": text},
            "candidates": [{"shop_id": s[0], "score": round(rng.random(), 4),
                            "funnels": {"content": 0.5, "popularity": 0.3}} for s in rng.sample(shops, 10)],
            "shown": [{"shop_id": s[0], "name": s[1], "category": s[2], "district": s[3], "distance_m": 400,
                       "price_hint": {"item": "김밥", "price": 4000}, "is_good_shop": False,
                       "accepts_meal_card": True, "open_now": True, "score": 0.5, "position": k + 1,
                       "reason": "가까워요", "reasons": [{"code": "near", "distance_m": 400}], "funnels": {}}
                      for k, s in enumerate(shown)],
            "response": ("좋아요! 이런 곳은 어때요? 😊\n" + "\n".join(f"{k + 1}. {s[1]} — 가까워요." for k, s in enumerate(shown))
                         if shown else "안녕하세요! 먹고 싶은 음식을 말해 줄래요?"),
            "template": "recommendations" if shown else "greeting", "result_count": len(shown),
            "latency_ms": {"nlu": rng.uniform(2, 8), "recommend": rng.uniform(10, 60), "nlg": rng.uniform(0.5, 2),
                           "total": rng.uniform(20, 90), "log": rng.uniform(3, 10)},
            "model_versions": {"nlu": "nlu-a1", "ranker": "ranker-b2" if variant == "control" else "ranker-c3"},
            "variant": variant, "fallback": False, "nothing_fits": food and not shown,
            "type": "conversation", "schema_version": 1})
        base = {"conversation_id": cid, "user_id": user, "created_at": at, "day": DAY.isoformat(),
                "variant": variant, "model_versions": {}, "type": "feedback", "schema_version": 1,
                "payload_hash": "bench"}
        if shown and rng.random() < 0.35:
            shop = rng.choice(shown)[0]
            fb_rows.append({**base, "event_id": f"e{i}c", "kind": "interaction", "shop_id": shop,
                            "feedback_type": "clicked"})
            if rng.random() < 0.4:
                fb_rows.append({**base, "event_id": f"e{i}o", "kind": "interaction", "shop_id": shop,
                                "feedback_type": "ordered"})
        if rng.random() < 0.25:
            like = rng.random() < 0.75
            fb_rows.append({**base, "event_id": f"e{i}r", "kind": "response", "feedback": "like" if like else "dislike",
                            "reason": None if like else rng.choice(REASONS_BAD), "satisfaction": rng.randint(3, 5)
                            if like else rng.randint(1, 3)})
    for kind, rows in (("conversations", conv_rows), ("feedback", fb_rows)):
        d = lake / "lake" / kind / f"dt={DAY.isoformat()}"
        d.mkdir(parents=True, exist_ok=True)
        for p, start in enumerate(range(0, len(rows), 20_000)):
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[start:start + 20_000])
            (d / f"part-{p:05d}.jsonl.gz").write_bytes(gzip.compress(body.encode("utf-8"), 6))
    (lake / "lake" / "feedback" / f"dt={(DAY + timedelta(days=1)).isoformat()}").mkdir(parents=True, exist_ok=True)
    return len(fb_rows)


def run(quick: bool) -> dict:
    n = 20_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-daily-") as tmp_name:
        tmp = Path(tmp_name)
        world = _world(tmp)
        model = _sentiment(tmp)
        lake = tmp / "lake-root"
        n_feedback = _write_day(lake, world, n)
        lake_mb = sum(p.stat().st_size for p in lake.rglob("*.gz")) / 1e6
        r = subprocess.run([sys.executable, "-c", _CHILD, str(lake), str(world), str(model), DAY.isoformat()],
                           capture_output=True, text=True, timeout=1800, check=False,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])})
        if r.returncode != 0:
            raise RuntimeError(f"daily metrics failed:\n{r.stderr[-3000:]}")
        out = json.loads(r.stdout.strip().splitlines()[-1])
    s = out["summary"]
    return {"rows": [
        row("conversations in the day", s["conversations"], "turns", feedback_events=n_feedback,
            lake_gz_mb=round(lake_mb, 1)),
        row("daily-metrics job wall time (2 CPUs)", out["wall_s"], "s", budget=60, within=out["wall_s"] <= 60),
        row("daily-metrics job CPU time", out["cpu_s"], "s"),
        row("daily-metrics job peak memory", out["peak_rss_mb"], "MB", budget=2048, within=out["peak_rss_mb"] <= 2048),
        row("stored scopes", len(s["scopes"]), "items", scopes=s["scopes"], bytes=out["item_bytes"],
            check=s["hard_filter_check"], tokenizer=s["tokenizer"]),
    ], "notes": "tiny-world catalogue; messages from the NLU generator + praise/complaints; "
                "sentiment on distinct messages; kiwipiepy on distinct messages (sampled beyond 20,000)"}


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), ensure_ascii=False, indent=2))
