"""The world's request texts and their truth agree with the NLU's rules path: the text says
what the generator meant (budget, food, category, companion, time, diet, 착한가게, 근처).

An integration check between two modules that share the lexicon: if it fails, either the
world writes ambiguous text or the NLU misreads plain requests — both worth knowing."""

from __future__ import annotations

from nabiyam.nlu.rules import parse_rules


def test_rules_nlu_reads_the_world_requests_as_meant(world) -> None:  # noqa: ANN001
    sessions = world.sessions[:600]
    fields = ("budget", "food", "category", "companion", "time", "diet", "good_shop", "near_me", "intent")
    agree = dict.fromkeys(fields, 0)
    for s in sessions:
        nlu = parse_rules(s.request_text)
        f = nlu.filters
        got = {"budget": f.budget_max, "food": (f.food_types or [None])[0], "category": f.category,
               "companion": f.companion, "time": f.time_of_day, "diet": sorted(f.dietary_preferences),
               "good_shop": f.good_shop_only, "near_me": f.near_me, "intent": nlu.intent}
        want = {"budget": s.budget_mentioned, "food": s.want_food,
                "category": s.want_category,     # a named food implies its category
                "companion": s.companion_mentioned, "time": s.time_mentioned, "diet": sorted(s.dietary_list),
                "good_shop": s.good_shop_only, "near_me": s.location_mentioned == "near_me", "intent": s.intent}
        for k in fields:
            agree[k] += got[k] == want[k]
    rates = {k: v / len(sessions) for k, v in agree.items()}
    assert all(r >= 0.93 for r in rates.values()), rates
    assert rates["budget"] >= 0.99, rates


def test_every_budget_phrase_parses_back_to_its_amount() -> None:
    """Each way the world writes an amount (만원, 8천원, 만오천원, 1만 5천원, 7,000원 …) is read
    back as the same number of won by the NLU's money parser."""
    import random

    from nabiyam.nlu.money import parse_won
    from nabiyam.world.requests import budget_phrase

    rng = random.Random(0)
    seen = set()
    for won in range(1000, 100_001, 1000):
        for _ in range(6):
            phrase = budget_phrase(rng, won)
            seen.add(phrase)
            assert parse_won(phrase) == won, (won, phrase)
    assert {"만원", "8천원", "만오천원", "1만 5천원", "7,000원"} <= seen
