"""Hashed character and word n-grams of a Korean message: the sentiment model's input.

One function shared by the training job (``training_jobs/sentiment``) and the runtime
(:mod:`nabiyam.sentiment.model`), so the two can never disagree. Pure Python, no numpy.

A message is normalised (NFKC, lower case, a run of three or more equal characters cut to
two — ``ㅋㅋㅋㅋ`` → ``ㅋㅋ``, ``!!!!`` → ``!!`` — and whitespace collapsed), then its
character 1–4-grams (over the text padded with one space each side, so word starts and ends
are marked), its words and its word bigrams are hashed (CRC-32) into ``buckets`` slots. Each
distinct slot counts once, weighted ``1/number of slots`` (the model averages its slot vectors,
so long reviews and short chat lines weigh the same).

Example::

    >>> ids = feature_ids("떡볶이 너무 맛있어요!!!!", 1 << 20)
    >>> len(ids) > 20, ids == sorted(set(ids))
    (True, True)
    >>> normalize("ㅋㅋㅋㅋ  최고!!!!")
    'ㅋㅋ 최고!!'
"""

from __future__ import annotations

import re
import unicodedata
import zlib

#: Character n-gram orders and the default hash-table size (the ONNX weight has this many rows).
CHAR_NGRAMS = (1, 2, 3, 4)
DEFAULT_BUCKETS = 1 << 19
_REPEAT = re.compile(r"(.)\1{2,}")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _REPEAT.sub(r"\1\1", text)
    return " ".join(text.split())


def feature_ids(text: str, buckets: int = DEFAULT_BUCKETS) -> list[int]:
    """Sorted distinct hash slots of ``text`` (empty for an empty message)."""
    t = normalize(text)
    if not t:
        return []
    out: set[int] = set()
    padded = f" {t} "
    crc = zlib.crc32
    for n in CHAR_NGRAMS:
        for i in range(len(padded) - n + 1):
            gram = padded[i:i + n]
            if gram.isspace():
                continue
            out.add(crc(("c" + gram).encode()) % buckets)
    words = t.split()
    for i, word in enumerate(words):
        out.add(crc(("w" + word).encode()) % buckets)
        if i:
            out.add(crc(("b" + words[i - 1] + " " + word).encode()) % buckets)
    return sorted(out)


def batch(texts: list[str], buckets: int = DEFAULT_BUCKETS) -> tuple[list[list[int]], list[list[float]]]:
    """Padded ``ids`` and ``weights`` rows for a batch (padding: slot 0 with weight 0)."""
    rows = [feature_ids(t, buckets) for t in texts]
    width = max((len(r) for r in rows), default=0) or 1
    ids, weights = [], []
    for r in rows:
        w = 1.0 / len(r) if r else 0.0
        ids.append(r + [0] * (width - len(r)))
        weights.append([w] * len(r) + [0.0] * (width - len(r)))
    return ids, weights
