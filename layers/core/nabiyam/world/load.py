"""`nabiyam world load DIR`: a world into the (local) stack through the storage layer.

Brands, shops and menus go to the catalogue table, users to the users table, orders,
favorites and reviews to the interactions table — all in batches, keyed by their ids, so
loading twice overwrites instead of duplicating. A catalogue snapshot
(``catalogue/current.json.gz``: brands, shops, menus as model dumps) goes to the artifacts
bucket so a Lambda loads the whole catalogue with one GET; a copy is written to the local
artifacts directory too.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from nabiyam.settings import Settings, get_settings
from nabiyam.world.importer import Sheets, read_sheets
from nabiyam.world.reader import read_manifest

CATALOGUE_KEY = "catalogue/current.json.gz"
PARTS = ("catalogue", "users", "interactions", "snapshot")
T = TypeVar("T")


def catalogue_snapshot(sheets: Sheets, meta: dict[str, Any] | None = None) -> bytes:
    """Gzipped JSON {brands, shops, menus, meta}; byte-stable (gzip mtime 0, sorted keys)."""
    data = {"brands": [b.model_dump(mode="json") for b in sheets.brands],
            "shops": [s.model_dump(mode="json") for s in sheets.shops],
            "menus": [m.model_dump(mode="json") for m in sheets.menus],
            "meta": meta or {}}
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def _batches(items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def load_world(world_dir: str | Path, settings: Settings | None = None, *, parts: Sequence[str] = PARTS,
               progress: bool = False, batch_size: int = 1000) -> dict[str, Any]:
    """Load `world_dir` (a generated world or any folder/xlsx of operator sheets)."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; expected some of {', '.join(PARTS)}")
    settings = settings or get_settings()
    d = Path(world_dir)
    sheets = read_sheets(d)
    try:
        manifest = read_manifest(d)
    except FileNotFoundError:
        manifest = {}
    meta = {k: manifest.get(k) for k in ("size", "seed", "formula_version", "generator_version") if k in manifest}
    summary: dict[str, Any] = {"world": str(d), **meta}

    def bar(total: int, desc: str) -> Any:
        if not progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="item")

    def put_all(put: Any, records: list, desc: str) -> int:
        b = bar(len(records), desc)
        n = 0
        for batch in _batches(records, batch_size):
            n += put(batch)
            if b:
                b.update(len(batch))
        if b:
            b.close()
        return n

    if "catalogue" in parts:
        from nabiyam.storage.catalogue import CatalogueRepository

        repo = CatalogueRepository(settings)
        summary["brands"] = put_all(repo.put_brands, sheets.brands, "brands")
        summary["shops"] = put_all(repo.put_shops, sheets.shops, "shops")
        summary["menu_items"] = put_all(repo.put_menu_items, sheets.menus, "menu items")
    if "users" in parts:
        from nabiyam.storage.users import UsersRepository

        summary["users"] = put_all(UsersRepository(settings).put_many, sheets.users, "users")
    if "interactions" in parts:
        from nabiyam.storage.interactions import Interaction, InteractionsRepository

        inter = ([Interaction.from_order(o) for o in sheets.orders]
                 + [Interaction.from_favorite(f) for f in sheets.favorites]
                 + [Interaction.from_review(r) for r in sheets.reviews])
        summary["interactions"] = put_all(InteractionsRepository(settings).record_many, inter, "interactions")
    if "snapshot" in parts:
        from nabiyam.storage.blobs import BlobStore

        data = catalogue_snapshot(sheets, meta)
        BlobStore(settings.artifacts_bucket, settings).put_bytes(CATALOGUE_KEY, data, "application/gzip")
        local = settings.artifacts_dir / CATALOGUE_KEY
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        summary["snapshot"] = f"s3://{settings.artifacts_bucket}/{CATALOGUE_KEY}"
        summary["snapshot_bytes"] = len(data)
        summary["local_snapshot"] = str(local)
    return summary
