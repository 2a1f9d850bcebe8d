"""The automatic 1–10 evaluation of one conversation turn (the seeds' ``conversation_evaluation``).

Rubric (version :data:`RUBRIC_VERSION`; docs/metrics.md has the same table):

=====  ===============================================================  ======
part   rule                                                              points
=====  ===============================================================  ======
base   every logged turn                                                 1
safe   shops were shown and none breaks a hard filter (2); a food turn   0–2
       honestly answered "nothing fits" (1); a turn that asks for no
       shops and shows none (2); any violation or the safe fallback (0)
nlu    NLU confidence ≥ 0.8 (2), ≥ 0.5 (1), else 0                       0–2
style  the answer passes the style checker (nabiyam.nlg.style: polite    0–2
       해요체 endings, sentence length, emoji, banned words) and is not
       the safe fallback
length the answer is 15–450 characters and 1–10 sentences                0–1
acted  the user clicked, ordered or favourited a shown shop, or liked    0–2
       the answer (2); a dislike always gives 0 here
=====  ===============================================================  ======

Sum: 1 (worst) … 10 (a confident, safe, well-written answer the child acted on).

Example::

    >>> from nabiyam.metrics.daily import TurnFacts
    >>> t = TurnFacts("c1", "u1", "s1", "FOOD_RECOMMENDATION", "control", (), "치킨", True, ("s1",), ("치킨",),
    ...               (), False, False, False, 80, 3, True, 0.93, False, {}, "치킨", ())
    >>> score_turn(t, None)
    8
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nabiyam.metrics.daily import ConversationFeedback, TurnFacts

RUBRIC_VERSION = 1
CONFIDENT = 0.8
UNSURE = 0.5
MIN_CHARS, MAX_CHARS = 15, 450
MIN_SENTENCES, MAX_SENTENCES = 1, 10


def safety_points(t: TurnFacts) -> int:
    if t.error or t.violations:
        return 0
    if t.shown:
        return 2
    if t.food_turn:
        return 1 if t.nothing_fits else 0
    return 2


def nlu_points(t: TurnFacts) -> int:
    return 2 if t.confidence >= CONFIDENT else 1 if t.confidence >= UNSURE else 0


def style_points(t: TurnFacts) -> int:
    return 2 if t.style_ok and not t.error else 0


def length_points(t: TurnFacts) -> int:
    return int(MIN_CHARS <= t.chars <= MAX_CHARS and MIN_SENTENCES <= t.sentences <= MAX_SENTENCES)


def acted_points(t: TurnFacts, fb: ConversationFeedback | None) -> int:
    if fb is None or fb.dislikes:
        return 0
    shown = set(t.shown)
    if fb.likes or (fb.clicked & shown) or (fb.ordered & shown) or (fb.favourited & shown):
        return 2
    return 0


def score_turn(t: TurnFacts, fb: ConversationFeedback | None) -> int:
    """The 1–10 score of one turn (see the module docstring)."""
    return 1 + safety_points(t) + nlu_points(t) + style_points(t) + length_points(t) + acted_points(t, fb)
