"""The synthetic Nabiyam world: shops, children and parents, and their choices with known
ground truth (the oracle). See docs/world.md.

    from nabiyam.world import generate, read_world, Oracle
    manifest = generate("small", seed=7, out_dir="var/world-small")
    world = read_world("var/world-small")            # typed records
    oracle = Oracle.from_dir("var/world-small")      # true P(choice) for any (user, shop, context)

Streaming for large worlds: `iter_sessions(dir)`, `iter_impressions(dir)`.
Operator data: `read_sheets(path)` (CSV folder or .xlsx, validated), `write_sheets(...)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["generate", "read_world", "World", "Oracle", "iter_sessions", "iter_impressions", "iter_preferences",
           "read_manifest", "read_sheets", "write_sheets", "Sheets", "WorldImportError", "Session", "Impression",
           "SIZES", "WorldSize", "FORMULA_VERSION", "Weights"]

_WHERE = {
    "generate": "generator", "read_world": "reader", "World": "reader", "iter_sessions": "reader",
    "iter_impressions": "reader", "iter_preferences": "reader", "read_manifest": "reader", "Oracle": "oracle",
    "read_sheets": "importer", "write_sheets": "importer", "Sheets": "importer", "WorldImportError": "importer",
    "Session": "records", "Impression": "records", "SIZES": "sizes", "WorldSize": "sizes",
    "FORMULA_VERSION": "formula", "Weights": "formula",
}

if TYPE_CHECKING:
    from nabiyam.world.formula import FORMULA_VERSION, Weights
    from nabiyam.world.generator import generate
    from nabiyam.world.importer import Sheets, WorldImportError, read_sheets, write_sheets
    from nabiyam.world.oracle import Oracle
    from nabiyam.world.reader import World, iter_impressions, iter_preferences, iter_sessions, read_manifest, read_world
    from nabiyam.world.records import Impression, Session
    from nabiyam.world.sizes import SIZES, WorldSize


def __getattr__(name: str) -> Any:  # lazy: `import nabiyam.world` stays cheap
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"nabiyam.world.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'nabiyam.world' has no attribute {name!r}")
