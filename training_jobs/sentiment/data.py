"""Training and evaluation data for the sentiment model (read at build time, never copied).

* NSMC (../shared/data/nsmc, CC0): Naver movie reviews, ``label`` 1 positive / 0 negative;
  ``train.tsv`` and ``test.tsv`` come from disjoint movies.
* neutral: generated chat requests of the NLU generator (food / budget / menu / shop
  questions and greetings, never its FEEDBACK or OUT_OF_SCOPE rows) — what most messages
  to Nabiyam are, and what a movie-review corpus has none of.
* the hand-written food-chat set (tests/sentiment/data/food_chat.jsonl): children's praise,
  complaints and neutral requests, evaluation only, never trained on.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NSMC_DIR = REPO_ROOT.parent / "shared" / "data" / "nsmc"
DEFAULT_TRAIN = NSMC_DIR / "train.tsv"
DEFAULT_TEST = NSMC_DIR / "test.tsv"
DEFAULT_FOOD_CHAT = REPO_ROOT / "tests" / "sentiment" / "data" / "food_chat.jsonl"
NSMC_LABELS = {"0": "negative", "1": "positive"}


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # positive | negative | neutral


class DataError(ValueError):
    """A data file is missing or not in the expected format."""


def read_nsmc(path: Path, limit: int | None = None, seed: int = 13) -> list[Example]:
    """Rows of an NSMC TSV (``id movie_id document label``); empty documents skipped.
    With ``limit``, a seeded random subsample of that size."""
    if not path.is_file():
        raise DataError(f"NSMC file {path} does not exist (expected ../shared/data/nsmc/*.tsv beside the repo)")
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or header[2:4] != ["document", "label"]:
            raise DataError(f"{path}: header {header} is not 'id movie_id document label'")
        for n, row in enumerate(reader, 2):
            if len(row) < 4:
                continue
            if row[3] not in NSMC_LABELS:
                raise DataError(f"{path} line {n}: label {row[3]!r} is not 0 or 1")
            if row[2].strip():
                out.append(Example(row[2], NSMC_LABELS[row[3]]))
    if limit is not None and limit < len(out):
        out = random.Random(seed).sample(out, limit)
    return out


def generated_neutral(n: int, split: str = "train", seed: int = 13) -> list[Example]:
    """``n`` neutral chat requests from the NLU generator (no feedback, no chit-chat)."""
    from training_jobs.nlu.data import generate

    rows = generate(int(n * 1.5) + 20, split, seed=seed)
    texts = [r["text"] for r in rows if r["intent"] not in ("FEEDBACK", "OUT_OF_SCOPE")]
    return [Example(t, "neutral") for t in texts[:n]]


def read_food_chat(path: Path) -> list[Example]:
    """The hand-written food-chat evaluation set (JSON Lines: ``text``, ``label``)."""
    if not path.is_file():
        raise DataError(f"food-chat set {path} does not exist")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in ("positive", "negative", "neutral") or not str(row.get("text", "")).strip():
            raise DataError(f"{path} line {n}: needs a text and a label positive|negative|neutral")
        out.append(Example(str(row["text"]), str(row["label"])))
    return out
