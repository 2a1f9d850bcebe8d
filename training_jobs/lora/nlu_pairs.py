"""Task 1 data: request → the NLU JSON, from the NLU's generated utterances and the world's
requests, in the NLU's canonical form (see `schema.canonical_row`).

Held-out rows are phrased in ways training never saw: generated rows come from the NLU
generator's *test* phrasings, world rows are split by a hash of the session id.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

from training_jobs.lora.schema import canonical_row


def generated_rows(n: int, split: str, seed: int) -> list[dict[str, Any]]:
    """`n` canonical rows from the NLU's utterance generator (split: train | dev | test)."""
    from training_jobs.nlu.data import generate

    if n <= 0:
        return []
    return [canonical_row(r["text"], r["intent"], r["entities"], bool(r["filters"].get("good_shop_only")))
            for r in generate(n, split, seed)]


def is_held_out(key: str, share: int = 5) -> bool:
    """One key in `share` is held out, by a stable hash (the same on every machine)."""
    return zlib.crc32(key.encode("utf-8")) % share == 0


def world_rows(world_dir: Path | str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held-out) canonical rows from a generated world's request texts and their truth."""
    from nabiyam.world import read_world

    train: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    seen: set[str] = set()
    for s in read_world(world_dir, behaviour=True).sessions:
        if s.request_text in seen:
            continue
        seen.add(s.request_text)
        row = canonical_row(s.request_text, s.intent, json.loads(s.entities), s.good_shop_only)
        (held if is_held_out(s.session_id) else train).append(row)
    return train, held


def nlu_pairs(n_train: int, n_eval: int, seed: int, world_dir: Path | str | None = None
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, eval) rows: generated rows plus, with a world, its requests (eval keeps the
    two sources in proportion: half generated test phrasings, half held-out world requests)."""
    train = generated_rows(n_train, "train", seed)
    if world_dir is None:
        return train, generated_rows(n_eval, "test", seed)
    w_train, w_held = world_rows(world_dir)
    n_world = min(len(w_held), n_eval // 2)
    evaluation = generated_rows(n_eval - n_world, "test", seed) + w_held[:n_world]
    return train + w_train[: max(n_train // 2, 1)], evaluation
