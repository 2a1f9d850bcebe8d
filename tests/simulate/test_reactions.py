"""The reaction model and the scenarios, without a stack: exact probabilities that are
consistent with the draws, and scenario schedules."""

from __future__ import annotations

import numpy as np
import pytest

from nabiyam.simulate import reactions
from nabiyam.simulate.scenarios import Scenario


def test_reaction_probabilities_are_consistent() -> None:
    u = np.array([3.0, 2.0, 0.5])
    e = np.exp(np.append(u, 2.5))
    p = e[:3] / e.sum()
    model = reactions.reaction_model(u, 2.5, p, p_pick_best=float(p.sum()) + 0.1)
    assert model.p_pick_shown == pytest.approx(p.sum())
    assert np.all(model.p_click >= model.p_choice) and 0 < model.p_any_click < 1
    assert model.p_satisfaction.sum() == pytest.approx(1.0)
    assert model.p_sat_chose @ np.arange(1, 6) > model.p_sat_none @ np.arange(1, 6)   # choosing pleases
    worse = reactions.reaction_model(u, 2.5, p, p_pick_best=1.0)
    assert worse.expected_satisfaction < model.expected_satisfaction   # a worse set than the best: less satisfied


def test_draws_follow_the_probabilities() -> None:
    """10,000 draws: the share choosing anything is within 4 binomial standard errors of P(pick)."""
    u = np.array([2.8, 2.0])
    e = np.exp(np.append(u, 2.5))
    model = reactions.reaction_model(u, 2.5, e[:2] / e.sum(), p_pick_best=0.7)
    rng = np.random.default_rng(0)
    draws = [reactions.draw(model, rng) for _ in range(10_000)]
    share = np.mean([d.chosen is not None for d in draws])
    se = np.sqrt(model.p_pick_shown * (1 - model.p_pick_shown) / 10_000)
    assert abs(share - model.p_pick_shown) < 4 * se
    clicked = np.mean([bool(d.clicked) for d in draws])
    assert abs(clicked - model.p_any_click) < 4 * np.sqrt(model.p_any_click * (1 - model.p_any_click) / 10_000)
    assert all(d.chosen in d.clicked for d in draws if d.chosen is not None)


def test_dislike_reasons_say_what_went_wrong() -> None:
    far = [{"shop_id": "a", "category": "분식", "distance_m": 1900, "price_hint": {"item": "떡볶이", "price": 4000}}]
    assert reactions.dislike_reason([], 9000, None, None, any_feasible=False) == "closed"
    assert reactions.dislike_reason(far, 9000, "치킨", None, True) == "irrelevant"
    assert reactions.dislike_reason(far, 9000, "분식", None, True) == "too_far"
    assert reactions.dislike_reason(far, 9000, None, "떡볶이", True) == "wrong_food"   # not the asked food in budget


def test_scenario_schedules() -> None:
    growth = Scenario("growth", growth=0.1)
    assert [growth.sessions_on(d, 100) for d in range(3)] == [100, 110, 121]
    incident = Scenario("incident", incident_day=2, incident="nlu")
    assert [incident.broken_on(d, 4) for d in range(4)] == [None, None, "nlu", "nlu"]
    assert Scenario("incident").first_incident_day(14) == 7
    assert Scenario("ab").share == 0.5 and Scenario("steady").share == 0.0
    with pytest.raises(ValueError, match="unknown scenario"):
        Scenario("chaos")
