"""Hashed character n-grams: the semantic query's input to the ranker's 128-d embedding.

The hashing lives here (numpy, stable crc32, no Python `hash`), the embedding lives in the
ONNX graph, so serving needs no external embedding service and training and serving
produce the same ids for the same text."""

from __future__ import annotations

import re
import zlib

import numpy as np

QUERY_LEN = 32  # ids per query (padded with 0)
QUERY_BUCKETS = 16_384  # hash buckets; id 0 is padding, ids are 1..QUERY_BUCKETS
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower())


def char_ngrams(text: str, sizes: tuple[int, ...] = (1, 2, 3)) -> list[str]:
    """Character n-grams within each word (word boundaries marked), in order, unique."""
    grams: list[str] = []
    seen: set[str] = set()
    for word in normalize(text).split(" "):
        if not word:
            continue
        padded = f"<{word}>"
        for n in sizes:
            source = word if n == 1 else padded
            for i in range(len(source) - n + 1):
                g = source[i : i + n]
                if g not in seen:
                    seen.add(g)
                    grams.append(g)
    return grams


def hash_ids(text: str, length: int = QUERY_LEN, buckets: int = QUERY_BUCKETS) -> np.ndarray:
    """Fixed-length int64 ids of the text's n-grams (bigrams and trigrams first, 0 = pad)."""
    grams = char_ngrams(text, (2, 3)) + char_ngrams(text, (1,))
    ids = [1 + zlib.crc32(g.encode("utf-8")) % buckets for g in grams[:length]]
    out = np.zeros(length, dtype=np.int64)
    out[: len(ids)] = ids
    return out


def overlap(query: str, text_grams: frozenset[str]) -> float:
    """Share of the query's bigrams found in a shop's text (0 when the query is empty)."""
    q = [g for g in char_ngrams(query, (2,)) if "<" not in g and ">" not in g]
    if not q:
        return 0.0
    return sum(g in text_grams for g in q) / len(q)


def bigram_set(text: str) -> frozenset[str]:
    return frozenset(g for g in char_ngrams(text, (2,)) if "<" not in g and ">" not in g)
