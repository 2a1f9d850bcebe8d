"""`generate(size, seed, out_dir)`: the whole world, streamed to disk, byte-identical per seed."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from nabiyam.domain.catalogue import Brand, MenuItem, Shop, User
from nabiyam.world import io as wio
from nabiyam.world.behaviour import Simulator, plan_sessions, world_time_range
from nabiyam.world.catalogue_gen import make_catalogue
from nabiyam.world.character import character_rows, character_tastes, shop_character
from nabiyam.world.formula import FORMULA_VERSION, Weights
from nabiyam.world.people import make_people
from nabiyam.world.sizes import WorldSize, get_size
from nabiyam.world.tables import shop_arrays

GENERATOR_VERSION = "1"
_OUR_FILES = {f for f, _ in wio.SHEETS.values()} | {wio.SESSIONS_FILE, wio.IMPRESSIONS_FILE, wio.PREFERENCES_FILE,
                                                     wio.SHOP_CHARACTER_FILE, wio.WORKBOOK_FILE}


def generate(size: str | WorldSize, seed: int, out_dir: str | Path, *, progress: bool = False,
             write_xlsx: bool | None = None, weights: Weights | None = None) -> dict[str, Any]:
    """Generate a world of `size` ('tiny' | 'small' | 'large' or a WorldSize) from `seed`
    into `out_dir` (created; our files in it are overwritten). Returns the manifest
    (also written to world.json). Same size and seed ⇒ identical bytes."""
    spec = get_size(size) if isinstance(size, str) else size
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    w = weights or Weights()
    t0 = time.perf_counter()
    # the fourth stream (hidden character) leaves the first three exactly as before formula 2.0
    rng_cat, rng_people, rng_plan, rng_char = (np.random.default_rng(s)
                                               for s in np.random.SeedSequence([seed, 1]).spawn(4))

    cat = make_catalogue(rng_cat, spec.shops, spec.districts, spec.start)
    brands = [Brand(**b) for b in cat.brands]
    shops = [Shop(**s) for s in cat.shops]
    menus = [MenuItem(**m) for m in cat.menus]
    brand_index = {b.brand_id: i for i, b in enumerate(brands)}
    character = shop_character(rng_char, np.array([brand_index.get(s.brand_id, -1) if s.brand_id else -1
                                                   for s in shops]), len(brands))
    sa = shop_arrays(shops, menus, brand_index, character)

    people = make_people(rng_people, spec.users, spec.districts, spec.start, [b.category for b in brands])
    people.arrays.char_taste = character_tastes(rng_char, spec.users)
    # parameters are rounded when drawn and JSON floats round-trip exactly, so these arrays are
    # what the oracle rebuilds from preferences.jsonl (a test checks it to 2e-6)
    ua = people.arrays

    menus_by_shop: list[list[dict]] = [[] for _ in shops]
    pos = {s.shop_id: i for i, s in enumerate(shops)}
    for m in cat.menus:
        menus_by_shop[pos[m["shop_id"]]].append(m)

    plan = plan_sessions(rng_plan, spec, people)
    sim = Simulator(size=spec, weights=w, users=ua, shops=sa, people=people, menus=menus_by_shop,
                    shop_dongs=[s.dong for s in shops])
    writers = {
        "sessions": wio.CsvWriter(out / wio.SESSIONS_FILE, wio.SESSION_COLUMNS),
        "impressions": wio.CsvWriter(out / wio.IMPRESSIONS_FILE, wio.IMPRESSION_COLUMNS),
        "orders": wio.CsvWriter(out / wio.SHEETS["product_order"][0], wio.columns(wio.SHEETS["product_order"][1])),
        "favorites": wio.CsvWriter(out / wio.SHEETS["userfavorite"][0], wio.columns(wio.SHEETS["userfavorite"][1])),
        "reviews": wio.CsvWriter(out / wio.SHEETS["review"][0], wio.columns(wio.SHEETS["review"][1])),
    }
    chunks = sim.run(plan, seed)
    if progress:
        from tqdm import tqdm

        chunks = tqdm(chunks, total=(len(plan) + spec.chunk - 1) // spec.chunk, desc=f"world {spec.name}",
                      unit="chunk")
    try:
        for chunk in chunks:
            writers["sessions"].write_raw(chunk.sessions)
            writers["impressions"].write_text(chunk.impressions_text, chunk.impressions_text.count("\n"))
            writers["orders"].write(chunk.orders)
            writers["favorites"].write(chunk.favorites)
            writers["reviews"].write(chunk.reviews)
    finally:
        for wr in writers.values():
            wr.close()

    wio.write_sheet(out, "brand", (b.model_dump() for b in brands))
    wio.write_sheet(out, "shop", (s.model_dump() for s in shops))
    wio.write_sheet(out, "menu", (m.model_dump() for m in menus))
    n_users = wio.write_sheet(out, "user", (User(**u).model_dump() for u in people.users))   # validated, streamed
    wio.write_jsonl(out / wio.PREFERENCES_FILE, people.preference_rows([b.brand_id for b in brands]))
    wio.write_jsonl(out / wio.SHOP_CHARACTER_FILE,
                    character_rows([s.shop_id for s in shops], [s.brand_id for s in shops], character))
    if spec.write_xlsx if write_xlsx is None else write_xlsx:
        wio.write_workbook(out)
    elif (out / wio.WORKBOOK_FILE).exists():
        (out / wio.WORKBOOK_FILE).unlink()

    start, end = world_time_range(spec.start, spec.days)
    counts = {"brands": len(brands), "shops": len(shops), "menu_items": len(menus), "users": n_users,
              "sessions": writers["sessions"].count, "impressions": writers["impressions"].count,
              "orders": writers["orders"].count, "favorites": writers["favorites"].count,
              "reviews": writers["reviews"].count}
    counts["interactions"] = counts["impressions"] + counts["orders"] + counts["favorites"] + counts["reviews"]
    manifest = {
        "size": spec.name, "seed": seed, "formula_version": FORMULA_VERSION, "generator_version": GENERATOR_VERSION,
        "time_range": {"start": start.isoformat(), "end": end.isoformat()},
        "districts": list(spec.districts), "max_candidates": spec.max_candidates,
        "max_distance_km": spec.max_distance_km, "weights": w.to_dict(), "counts": counts,
        "files": {name: _sha256(out / name) for name in sorted(_OUR_FILES) if (out / name).exists()},
    }
    (out / wio.MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    manifest["elapsed_s"] = round(time.perf_counter() - t0, 3)  # returned, never written (bytes stay stable)
    return manifest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
