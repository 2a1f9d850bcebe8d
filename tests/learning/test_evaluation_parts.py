"""Pieces of the learning loop that need no stack: the session bootstrap, the verdict rule and
the NLU self-confirmation guard."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from nabiyam.domain.hours import KST
from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import RequestContext
from nabiyam.evaluation.compare import BootstrapSpec, _verdict, _weights, paired_mean
from nabiyam.evaluation.logged import LoggedTurn


def test_paired_session_bootstrap_interval_covers_the_true_difference() -> None:
    """Candidate = production + 0.05 + noise, 200 sessions of 3 turns: the 95 % interval of the
    difference must contain 0.05 and exclude 0 (verdict candidate); identical models give a tie."""
    rng = np.random.default_rng(1)
    cluster = np.repeat(np.arange(200), 3)
    a = rng.random(600)
    b = a + 0.05 + rng.normal(0, 0.1, 600)
    spec = BootstrapSpec(resamples=400, seed=2)
    W = _weights(200, spec)
    pa, pb, d = paired_mean(a, b, cluster, W, spec)
    assert d.low < 0.05 < d.high and d.low > 0 and _verdict(d) == "candidate"
    assert abs(pb.estimate - pa.estimate - d.estimate) < 1e-4
    _, _, same = paired_mean(a, a.copy(), cluster, W, spec)
    assert same.low == same.high == 0.0 and _verdict(same) == "tie"
    a_nan = a.copy()
    a_nan[::2] = np.nan  # not-applicable turns are left out of both arms
    _, _, d2 = paired_mean(a_nan, b, cluster, W, spec)
    assert d2.low < 0.05 < d2.high


def _turn(msg: str, *, intent: str = "FOOD_RECOMMENDATION", chosen: str | None = "S1", feedback: str | None = None,
          source: str = "model") -> LoggedTurn:
    return LoggedTurn(conversation_id="c", session="s", user_id="u", day=date(2026, 3, 1),
                      at=datetime(2026, 3, 1, 12, tzinfo=KST), message=msg, intent=intent, nlu_confidence=0.9,
                      nlu_source=source, filters=Filters(), context=RequestContext(), semantic_query="", shown=("S1",),
                      shown_prices=(None,), shown_distance_m=(None,), candidates=(), variant="control",
                      ranker_version=None, chosen=chosen, feedback=feedback)


def test_nlu_learns_only_from_turns_that_went_well_and_that_an_independent_parser_confirms() -> None:
    from training_jobs.pipeline.nlu import select_utterances

    rows = select_utterances([
        _turn("떡볶이 먹고 싶어"),                                 # ordered, model, rules agree → kept
        _turn("떡볶이 먹고 싶어"),                                 # duplicate → once
        _turn("짜장면 먹고 싶어", feedback="dislike"),            # disliked → not
        _turn("피자 먹고 싶어", chosen=None),                      # no order, no like → not
        _turn("치킨 먹고 싶어", source="rules"),                   # the model was unsure → not (LoRA teacher's job)
        _turn("안녕", intent="GREETING"),                         # not a food request → not
        _turn("오늘 날씨 어때", intent="FOOD_RECOMMENDATION"),     # the rules disagree with the logged intent → not
    ], limit=10)
    assert rows == [{"text": "떡볶이 먹고 싶어", "intent": "FOOD_RECOMMENDATION"}]
