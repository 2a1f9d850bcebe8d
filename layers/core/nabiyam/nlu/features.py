"""Model inputs, computed the same way in training (torch) and serving (onnxruntime).

Per character: syllable id, its three jamo (so an unseen typo syllable still looks like its
neighbours), the gazetteer/money match it falls in (B/I per kind), and the keyword rules'
intent for the whole utterance (so the model learns when the rules are right). One int64 row each.
"""

from __future__ import annotations

import numpy as np

from nabiyam.domain.nlu import Intent
from nabiyam.nlu import lexicon as lx
from nabiyam.nlu.money import find_money
from nabiyam.nlu.text import decompose, prepare

PAD, UNK = 0, 1
MAX_LEN = 128
N_FEATURES = 6
RULE_INTENTS: tuple[Intent, ...] = tuple(Intent)
N_RULE = 1 + len(RULE_INTENTS)
LEX_KINDS: tuple[str, ...] = lx.KINDS
N_LEX = 1 + 2 * len(LEX_KINDS)
# Entity slots the tagger predicts (BIO). Near-me words are tagged as `location`.
SLOT_TYPES: tuple[str, ...] = (lx.FOOD, lx.CATEGORY, lx.BUDGET, lx.COMPANION, lx.TIME, lx.DIETARY, lx.LOCATION, lx.SHOP)
TAGS: tuple[str, ...] = ("O", *[f"{p}-{t}" for t in SLOT_TYPES for p in ("B", "I")])


def lexicon_tags(text: str) -> list[int]:
    """Per-character gazetteer feature ids (0 = no match)."""
    out = [0] * len(text)
    spans = [(m.start, m.end, lx.BUDGET) for m in find_money(text)]
    spans += [(m.start, m.end, m.kind) for m in lx.match_lexicon(text)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    last = -1
    for start, end, kind in spans:
        if start < last:
            continue
        last = end
        k = LEX_KINDS.index(kind)
        out[start] = 1 + 2 * k
        for i in range(start + 1, end):
            out[i] = 2 + 2 * k
    return out


def rule_intent_id(text: str) -> int:
    """1 + index of the keyword rules' intent for the text."""
    from nabiyam.nlu.rules import lexicon_entities, rule_intent

    entities, good = lexicon_entities(prepare(text))
    return 1 + RULE_INTENTS.index(rule_intent(text, entities, good)[0])


def encode(text: str, vocab: dict[str, int], max_len: int = MAX_LEN) -> np.ndarray:
    """(T, 6) int64 features for a prepared text, T = min(len, max_len), at least 1."""
    text = text[:max_len] or " "
    lex = lexicon_tags(text)
    rule = rule_intent_id(text)
    rows = np.zeros((len(text), N_FEATURES), dtype=np.int64)
    for i, ch in enumerate(text):
        cho, jung, jong = decompose(ch)
        rows[i] = (vocab.get(ch, UNK), cho, jung, jong, lex[i], rule)
    return rows
