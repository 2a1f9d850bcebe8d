"""Hidden shop character and each person's taste for it (formula 2.0).

Real restaurants differ in ways no sheet records: how good the 떡볶이 tastes, whether the
place is hearty and old-school or light and trendy. Each shop has a character on
`CHARACTER_AXES`; a chain's shops share their brand's character plus a smaller shop-level
deviation, independents draw their own. Each person has a taste per axis. The utility adds
``w.character * taste[u] · character[s]`` (see `nabiyam.world.formula`), so only past choices
reveal it: what user and shop embeddings exist for.

>>> import numpy as np
>>> c = shop_character(np.random.default_rng(0), np.array([0, 0, -1]), n_brands=1)
>>> c.shape
(3, 2)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nabiyam.world.formula import (BRAND_CHARACTER_SD, CHAIN_SHOP_CHARACTER_SD, CHARACTER_AXES,
                                   INDEPENDENT_CHARACTER_SD, TASTE_MEAN, TASTE_SD)

K = len(CHARACTER_AXES)


def shop_character(rng: np.random.Generator, brand: np.ndarray, n_brands: int) -> np.ndarray:
    """[n_shops, K]: brand character + shop deviation for chain shops (brand index >= 0),
    an independent draw with the same total spread for the others. Rounded like every stored
    parameter, so the files reproduce the oracle exactly."""
    brand = np.asarray(brand)
    brand_char = rng.normal(0.0, BRAND_CHARACTER_SD, (n_brands, K))
    own = rng.normal(0.0, 1.0, (len(brand), K))
    chain = brand >= 0
    out = np.where(chain[:, None], brand_char[np.maximum(brand, 0)] + CHAIN_SHOP_CHARACTER_SD * own,
                   INDEPENDENT_CHARACTER_SD * own) if n_brands else INDEPENDENT_CHARACTER_SD * own
    return np.round(out, 4)


def character_tastes(rng: np.random.Generator, n: int) -> np.ndarray:
    """[n_people, K]: each person's taste per axis, N(TASTE_MEAN, TASTE_SD²)."""
    return np.round(TASTE_MEAN + TASTE_SD * rng.normal(0.0, 1.0, (n, K)), 4)


def character_rows(shop_ids: list[str], brand_ids: list[str | None], character: np.ndarray) -> Iterator[dict]:
    """Rows of `shop_character.jsonl` (the hidden truth, beside preferences.jsonl)."""
    for sid, bid, c in zip(shop_ids, brand_ids, character, strict=True):
        yield {"shop_id": sid, "brand_id": bid, "character": {a: float(v) for a, v in zip(CHARACTER_AXES, c)}}


def character_matrix(rows: list[dict], shop_ids: list[str]) -> np.ndarray:
    """`shop_character.jsonl` rows → [len(shop_ids), K] in that order (shops without a row: 0)."""
    by_id = {r["shop_id"]: r["character"] for r in rows}
    out = np.zeros((len(shop_ids), K))
    for i, sid in enumerate(shop_ids):
        if sid in by_id:
            out[i] = [by_id[sid][a] for a in CHARACTER_AXES]
    return out
