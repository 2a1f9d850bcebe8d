"""BIO decoding never produces an I- tag without its B-."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nabiyam.nlu.bio import spans, viterbi
from nabiyam.nlu.features import TAGS


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=10_000))
def test_viterbi_paths_are_valid(length: int, seed: int) -> None:
    logits = np.random.default_rng(seed).normal(size=(length, len(TAGS))) * 3
    path = viterbi(logits - np.log(np.exp(logits).sum(-1, keepdims=True)), TAGS)
    prev = "O"
    for idx in path:
        tag = TAGS[idx]
        if tag.startswith("I-"):
            assert prev in (f"B-{tag[2:]}", tag), (prev, tag)
        prev = tag


def test_invalid_argmax_is_repaired() -> None:
    t = {tag: i for i, tag in enumerate(TAGS)}
    lp = np.full((3, len(TAGS)), -10.0)
    lp[0, t["I-food_type"]] = 0.0  # argmax would start with an I- tag
    lp[0, t["B-food_type"]] = -0.5
    lp[1, t["I-food_type"]] = 0.0
    lp[2, t["O"]] = 0.0
    path = viterbi(lp, TAGS)
    assert [TAGS[i] for i in path] == ["B-food_type", "I-food_type", "O"]
    assert spans(path, TAGS) == [("food_type", 0, 2)]
