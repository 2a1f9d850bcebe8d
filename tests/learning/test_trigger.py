"""The retrain trigger's rule: the dislike ratio's Wilson lower bound with a minimum count, a
degradation alert, or enough new interactions — and only with new learning data."""

from __future__ import annotations

from typing import Any

import pytest

from nabiyam.jobs.retrain_trigger import MIN_RATED, Signals, decide, wilson_lower


def _signals(**kw: Any) -> Signals:
    base = {"conversation_days": 7, "recommendation_turns": 500, "rated": 0, "dislikes": 0, "dislike_ratio": None,
            "dislike_wilson_lower": 0.0, "new_interactions": 0, "alert_days": []}
    base.update(kw)
    if base["rated"]:
        base["dislike_ratio"] = base["dislikes"] / base["rated"]
        base["dislike_wilson_lower"] = wilson_lower(base["dislikes"], base["rated"])
    return Signals(**base)


def test_wilson_lower_bound_matches_the_textbook_interval() -> None:
    # Wilson 95 % interval of 40/100 is [0.3094, 0.4980] (Newcombe 1998, method 3); of 0/10 it starts at 0
    assert wilson_lower(40, 100) == pytest.approx(0.3094, abs=5e-5)
    assert wilson_lower(0, 10) == 0.0 and wilson_lower(0, 0) == 0.0
    assert wilson_lower(10, 10) == pytest.approx(0.7225, abs=5e-5)


def test_dislike_trigger_uses_the_lower_bound_and_a_minimum_count() -> None:
    # 35 % dislikes of 100 rated: the ratio passes 0.3 but its lower bound (0.26) does not: no retrain
    fired, why = decide(_signals(rated=100, dislikes=35))
    assert fired == [] and "Wilson lower bound 0.2" in why
    fired, _ = decide(_signals(rated=100, dislikes=45))  # lower bound 0.356 > 0.3
    assert fired == ["dislike_ratio"]
    fired, _ = decide(_signals(rated=MIN_RATED - 1, dislikes=MIN_RATED - 1))  # all dislikes, too few to count
    assert fired == []


def test_alerts_and_interactions_fire_on_their_own() -> None:
    assert decide(_signals(alert_days=["2026-03-20"]))[0] == ["degradation_alert"]
    assert decide(_signals(new_interactions=250))[0] == ["new_interactions"]
    assert decide(_signals(new_interactions=250), min_interactions=300)[0] == []


def test_no_new_learning_data_means_no_retrain_and_the_reason_is_stored(clean_stack: Any) -> None:
    from nabiyam.infra.scheduled import run_scheduled_job
    from nabiyam.settings import get_settings
    from nabiyam.storage.blobs import BlobStore

    result = run_scheduled_job("retrain_trigger", {"date": "2026-03-29", "launch": "none"})["result"]
    assert result["status"] == "skipped" and "no new learning data" in result["explanation"]
    assert result["window"] == "2026-03-02..2026-03-29"  # nothing in production: the last 28 days
    settings = get_settings()
    stored = BlobStore(settings.artifacts_bucket, settings).get_json(result["decision_key"])
    assert stored["status"] == "skipped" and stored["signals"]["conversation_days"] == 0
    with pytest.raises(ValueError, match="launch must be"):
        run_scheduled_job("retrain_trigger", {"date": "2026-03-29", "launch": "rocket"})
