"""The daily-metrics job on a tiny-world simulation (real API handler, moto stack, the lake the
export job wrote): each headline figure equals the value computed here by hand from the lake rows,
a re-run gives identical rows, and the measured CTR agrees with the truth file.

Tolerances: the job's figures must equal the hand computation exactly (same rows, same
definition; floats compared after the job's rounding to 6 / 4 decimals). Against the truth
file the measured CTR is a sample of Bernoulli outcomes whose expected value the truth gives,
so it may differ by sampling noise: 4 standard errors (a false failure about 1 in 15,000)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Captured

pytestmark = pytest.mark.xdist_group("simulate")

FOOD = {"FOOD_RECOMMENDATION", "BUDGET_FOOD_INQUIRY"}


def _run_job(day: str, sentiment_dir: Path, world: Path) -> dict[str, Any]:
    from nabiyam.infra.scheduled import run_scheduled_job

    result = run_scheduled_job("daily_metrics", {"date": day, "sentiment_dir": str(sentiment_dir),
                                                 "catalogue": str(world), "treatment_share": "0"})
    assert result["status"] == "ok", result
    return result["result"]


@pytest.fixture(scope="module")
def computed(steady3: Captured, small_sentiment: Path, metrics_world: Path) -> dict[str, Any]:
    from nabiyam.metrics.model import read_day

    day = steady3.days()[1]
    first = _run_job(day, small_sentiment, metrics_world)
    stored = read_day(day)
    return {"day": day, "result": first, "stored": stored}


def _day_rows(c: Captured, day: str) -> tuple[list[Any], list[Any]]:
    turns = [r for r in c.conversations if r.day == day]
    ids = {r.conversation_id for r in turns}
    return turns, [f for f in c.feedback if f.conversation_id in ids]


def test_headline_figures_equal_a_hand_computation(steady3: Captured, computed: dict[str, Any],
                                                  small_sentiment: Path) -> None:
    from nabiyam.sentiment.model import SentimentModel

    day = computed["day"]
    m = computed["stored"].global_
    assert m is not None and m.conversations >= 30
    turns, fb = _day_rows(steady3, day)
    assert m.conversations == len(turns)
    shown = [r for r in turns if r.shown]
    clicked = {(f.conversation_id, f.shop_id) for f in fb if f.feedback_type == "clicked"}
    ordered = {(f.conversation_id, f.shop_id) for f in fb if f.feedback_type == "ordered"}
    ctr_hits = sum(any((r.conversation_id, s["shop_id"]) in clicked for s in r.shown) for r in shown)
    conv_hits = sum(any((r.conversation_id, s["shop_id"]) in ordered for s in r.shown) for r in shown)
    assert (m.ctr.numerator, m.ctr.denominator) == (ctr_hits, len(shown))
    assert m.ctr.value == round(ctr_hits / len(shown), 6) and 0 < ctr_hits < len(shown)
    assert (m.conversion.numerator, m.conversion.denominator) == (conv_hits, len(shown))
    likes = sum(f.feedback == "like" for f in fb)
    dislikes = sum(f.feedback == "dislike" for f in fb)
    assert likes + dislikes > 0
    assert m.feedback.like_ratio.value == round(likes / (likes + dislikes), 6)
    ratings = [f.satisfaction for f in fb if f.satisfaction is not None]
    assert ratings and m.satisfaction.count == len(ratings)
    assert m.satisfaction.mean == round(sum(ratings) / len(ratings), 4)
    totals = [r.latency_ms["total"] for r in turns]
    assert m.latency_ms["total"].p95 == round(float(np.percentile(totals, 95)), 4)
    assert m.retrain.dislikes == dislikes and m.retrain.rated == likes + dislikes
    # sentiment ratio: the model's label of every user message
    labels = [s.label for s in SentimentModel.load(small_sentiment).predict([r.message for r in turns])]
    assert m.sentiment is not None
    assert m.sentiment.positive.value == round(labels.count("positive") / len(labels), 6)
    assert m.sentiment.counts["negative"] == labels.count("negative")
    # nothing in the stored row identifies a child
    blob = json.dumps(m.model_dump(mode="json"), ensure_ascii=False)
    assert not any(r.user_id in blob for r in turns) and not any(r.message in blob for r in turns if len(r.message) > 6)


def test_evaluation_score_follows_the_rubric_by_hand(steady3: Captured, computed: dict[str, Any]) -> None:
    """The rubric of docs/metrics.md, re-implemented here from the raw rows."""
    from nabiyam.nlg import style

    day = computed["day"]
    m = computed["stored"].global_
    turns, fb = _day_rows(steady3, day)
    scores = []
    for r in turns:
        mine = [f for f in fb if f.conversation_id == r.conversation_id]
        shops = {s["shop_id"] for s in r.shown}
        error = r.template == "safe_fallback"
        safe = 0 if error else 2 if r.shown else (1 if r.nothing_fits else 0) if r.intent in FOOD else 2
        if r.shown and m.recommendations.hard_filter_violations:
            safe = 0 if any(e.startswith(r.conversation_id) for e in m.recommendations.violation_examples) else safe
        nlu = 2 if r.nlu_confidence >= 0.8 else 1 if r.nlu_confidence >= 0.5 else 0
        sty = 2 if not style.check(r.response) and not error else 0
        n_sent = len(style.sentences(r.response))
        length = int(15 <= len(r.response) <= 450 and 1 <= n_sent <= 10)
        disliked = any(f.feedback == "dislike" for f in mine)
        acted = 2 if not disliked and (any(f.feedback == "like" for f in mine) or any(
            f.shop_id in shops for f in mine if f.feedback_type in ("clicked", "ordered", "favorited"))) else 0
        scores.append(1 + safe + nlu + sty + length + acted)
    assert m.evaluation.score.count == len(scores)
    assert m.evaluation.mean == round(sum(scores) / len(scores), 4)
    assert m.evaluation.score.histogram == {str(k): scores.count(k) for k in sorted(set(scores))}
    assert len(set(scores)) > 2, "the rubric separates turns"


def test_no_hard_filter_violation_and_per_variant_rows(computed: dict[str, Any]) -> None:
    stored = computed["stored"]
    assert stored.global_.recommendations.hard_filter_violations == 0, stored.global_.recommendations.violation_examples
    assert computed["result"]["hard_filter_check"] == "catalogue"
    assert set(stored.variants) == {"control"}
    assert stored.variants["control"].conversations == stored.global_.conversations
    assert stored.models, "one row per model version"
    for key, row in stored.models.items():
        assert row.conversations <= stored.global_.conversations and key.split("#")[0] in row.model_versions


def test_rerunning_a_day_gives_identical_rows(steady3: Captured, computed: dict[str, Any], small_sentiment: Path,
                                              metrics_world: Path) -> None:
    from nabiyam.lake import S3LakeStore
    from nabiyam.storage.daily_metrics import DailyMetricsRepository

    day = computed["day"]
    repo = DailyMetricsRepository()
    before = sorted((i.scope, json.dumps(i.metrics, sort_keys=True)) for i in repo.for_day(day))
    lake_before = S3LakeStore().get(computed["result"]["lake_key"])
    _run_job(day, small_sentiment, metrics_world)
    after = sorted((i.scope, json.dumps(i.metrics, sort_keys=True)) for i in repo.for_day(day))
    assert after == before
    assert S3LakeStore().get(computed["result"]["lake_key"]) == lake_before


def test_measured_ctr_agrees_with_the_truth(steady3: Captured, computed: dict[str, Any]) -> None:
    """Over the turns the truth file has click probabilities for (requests; a few follow-ups carry none)."""
    day = computed["day"]
    m = computed["stored"].global_
    rows = [t for t in steady3.truth if t.day == day and t.shown and t.p_any_click is not None]
    turns, fb = _day_rows(steady3, day)
    clicked = {f.conversation_id for f in fb if f.feedback_type == "clicked"}
    measured = sum(t.conversation_id in clicked for t in rows) / len(rows)
    expected = sum(t.p_any_click for t in rows) / len(rows)
    var = sum(t.p_any_click * (1 - t.p_any_click) for t in rows) / len(rows) ** 2
    assert len(rows) >= 0.8 * m.ctr.denominator
    assert abs(measured - expected) <= 4 * math.sqrt(var) + 1e-9
    assert abs(m.ctr.value - measured) <= (m.ctr.denominator - len(rows)) / m.ctr.denominator + 1e-9
