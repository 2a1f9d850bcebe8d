"""Hidden shop character (formula 2.0): stored, shared within chains, read back by the oracle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from nabiyam.world import Oracle, read_world
from nabiyam.world.character import character_tastes, shop_character
from nabiyam.world.formula import (BRAND_CHARACTER_SD, CHAIN_SHOP_CHARACTER_SD, CHARACTER_AXES, TASTE_MEAN,
                                   TASTE_SD, Weights)
from nabiyam.world.io import SHOP_CHARACTER_FILE


def test_chains_share_their_brand_character() -> None:
    """Shops of one chain differ by CHAIN_SHOP_CHARACTER_SD around the brand, brands by
    BRAND_CHARACTER_SD: the within-chain spread is far below the between-shop spread.
    Tolerance: 20 brands × 30 shops, sample SDs within 15 % of the generator's."""
    rng = np.random.default_rng(1)
    brand = np.r_[np.repeat(np.arange(20), 30), -np.ones(600, dtype=int)]
    c = shop_character(rng, brand, 20)
    chain = c[:600].reshape(20, 30, len(CHARACTER_AXES))
    within = chain.std(1, ddof=1).mean()
    assert abs(within - CHAIN_SHOP_CHARACTER_SD) < 0.15 * CHAIN_SHOP_CHARACTER_SD
    independent = c[600:].std(0, ddof=1).mean()
    total = np.hypot(BRAND_CHARACTER_SD, CHAIN_SHOP_CHARACTER_SD)
    assert abs(independent - total) < 0.15 * total
    taste = character_tastes(rng, 4000)
    assert np.allclose(taste.mean(0), TASTE_MEAN, atol=0.05) and np.allclose(taste.std(0), TASTE_SD, atol=0.05)


def test_world_stores_character_and_tastes(tiny_world: Path) -> None:
    world = read_world(tiny_world, preferences=True)
    rows = [json.loads(line) for line in (tiny_world / SHOP_CHARACTER_FILE).read_text(encoding="utf-8").splitlines()]
    assert [r["shop_id"] for r in rows] == [s.shop_id for s in world.shops]
    assert all(set(r["character"]) == set(CHARACTER_AXES) for r in rows)
    assert all(set(p["character_taste"]) == set(CHARACTER_AXES) for p in world.preferences)
    # a chain's shops sit around one brand character: two shops of one chain differ far less
    # than two shops picked at random (expected |Δ| 0.40 against 1.06 per axis)
    c = np.array([list(r["character"].values()) for r in rows])
    brand = np.array([r["brand_id"] or "" for r in rows])
    same = [(i, j) for i in range(len(rows)) for j in range(i + 1, len(rows)) if brand[i] and brand[i] == brand[j]]
    assert len(same) >= 5
    within = np.mean([np.abs(c[i] - c[j]).mean() for i, j in same])
    between = np.abs(c[:, None] - c[None, :]).mean()
    assert within < 0.6 * between


def test_oracle_uses_the_character_and_old_worlds_have_none(world, tiny_world: Path, tmp_path: Path) -> None:  # noqa: ANN001
    """Without shop_character.jsonl (a world from before formula 2.0, whose manifest has no
    `character` weight) the oracle still answers, with the character term at zero; with it,
    the character moves utilities by exactly w·taste·character."""
    s = next(x for x in world.sessions if x.n_candidates > 3)
    shop_ids = [sh.shop_id for sh in world.shops[:20]]
    full = Oracle.from_dir(tiny_world)
    u = full.utilities(s.user_id, shop_ids, hard_filters=False, **full.session_context(s))  # type: ignore[arg-type]
    old = tmp_path / "old"
    shutil.copytree(tiny_world, old)
    (old / SHOP_CHARACTER_FILE).unlink()
    manifest = json.loads((old / "world.json").read_text(encoding="utf-8"))
    del manifest["weights"]["character"]
    (old / "world.json").write_text(json.dumps(manifest), encoding="utf-8")
    bare = Oracle.from_dir(old)
    assert Weights.from_dict(manifest["weights"]).character == 0.0
    u0 = bare.utilities(s.user_id, shop_ids, hard_filters=False, **bare.session_context(s))  # type: ignore[arg-type]
    pos = [full._shop_pos[x] for x in shop_ids]
    expected = full.weights.character * full.shops.character[pos] @ full.users.char_taste[full._user(s.user_id)]
    assert np.allclose(u - u0, expected, atol=1e-9) and np.abs(expected).max() > 0.05
