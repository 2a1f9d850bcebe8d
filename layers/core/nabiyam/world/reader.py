"""`read_world(dir)`: a generated (or imported) world as typed records, plus streaming
iterators for the big behaviour files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from nabiyam.domain.catalogue import Brand, Favorite, MenuItem, Order, Review, Shop, User
from nabiyam.world import io as wio
from nabiyam.world.importer import read_sheets
from nabiyam.world.records import Impression, Session


@dataclass
class World:
    """Everything in a world directory. The operator sheets are loaded up front;
    `sessions`, `impressions` and `preferences` load on first access (for large worlds
    prefer the streaming `iter_sessions` / `iter_impressions`)."""

    path: Path
    manifest: dict[str, Any]
    brands: list[Brand]
    shops: list[Shop]
    menus: list[MenuItem]
    users: list[User]
    orders: list[Order]
    favorites: list[Favorite]
    reviews: list[Review]

    @cached_property
    def sessions(self) -> list[Session]:
        return list(iter_sessions(self.path)) if (self.path / wio.SESSIONS_FILE).exists() else []

    @cached_property
    def impressions(self) -> list[Impression]:
        return list(iter_impressions(self.path)) if (self.path / wio.IMPRESSIONS_FILE).exists() else []

    @cached_property
    def preferences(self) -> list[dict[str, Any]]:
        return list(iter_preferences(self.path)) if (self.path / wio.PREFERENCES_FILE).exists() else []

    def shop_by_id(self) -> dict[str, Shop]:
        return {s.shop_id: s for s in self.shops}

    def user_by_id(self) -> dict[str, User]:
        return {u.user_id: u for u in self.users}

    def menus_by_shop(self) -> dict[str, list[MenuItem]]:
        out: dict[str, list[MenuItem]] = {}
        for m in self.menus:
            out.setdefault(m.shop_id, []).append(m)
        return out


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {path.parent} a world directory "
                                f"(made by `nabiyam world generate`)?")
    return path


def read_manifest(world_dir: str | Path) -> dict[str, Any]:
    return json.loads(_require(Path(world_dir) / wio.MANIFEST_FILE).read_text(encoding="utf-8"))


def iter_sessions(world_dir: str | Path) -> Iterator[Session]:
    for row in wio.iter_csv(_require(Path(world_dir) / wio.SESSIONS_FILE)):
        yield Session.model_validate(row)


def iter_impressions(world_dir: str | Path) -> Iterator[Impression]:
    for row in wio.iter_csv(_require(Path(world_dir) / wio.IMPRESSIONS_FILE)):
        yield Impression.model_validate(row)


def iter_preferences(world_dir: str | Path) -> Iterator[dict[str, Any]]:
    with open(_require(Path(world_dir) / wio.PREFERENCES_FILE), encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def iter_shop_character(world_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of ``shop_character.jsonl`` (none for a world from before formula 2.0)."""
    path = Path(world_dir) / wio.SHOP_CHARACTER_FILE
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def read_world(world_dir: str | Path, *, behaviour: bool = False, preferences: bool = False) -> World:
    """Load a world directory; the operator sheets are validated like an import.
    `behaviour` / `preferences`: load those files now instead of on first access."""
    d = Path(world_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: no such world directory")
    manifest = read_manifest(d) if (d / wio.MANIFEST_FILE).exists() else {}
    sheets = read_sheets(d)
    world = World(path=d, manifest=manifest, brands=sheets.brands, shops=sheets.shops, menus=sheets.menus,
                  users=sheets.users, orders=sheets.orders, favorites=sheets.favorites, reviews=sheets.reviews)
    if behaviour:
        _ = world.sessions, world.impressions
    if preferences:
        _ = world.preferences
    return world
