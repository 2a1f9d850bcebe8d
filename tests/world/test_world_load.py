"""`world load` into the local stack (a real moto server over HTTP): batched, idempotent,
and the catalogue snapshot is one GET away."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from nabiyam.world import read_world

pytestmark = pytest.mark.xdist_group("world_stack")


def _count(stack: Any, table: str) -> int:
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint, region_name="ap-northeast-2",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    total, kwargs = 0, {"TableName": table, "Select": "COUNT"}
    for _ in range(10_000):
        page = ddb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError("scan did not finish")


def test_load_twice_does_not_duplicate(clean_stack: Any, tiny_world: Path, tmp_path: Path) -> None:
    from nabiyam.settings import Settings
    from nabiyam.storage.catalogue import CatalogueRepository
    from nabiyam.storage.interactions import InteractionsRepository
    from nabiyam.world.load import CATALOGUE_KEY, load_world

    settings = Settings(artifacts_dir=tmp_path / "artifacts")
    world = read_world(tiny_world)
    first = load_world(tiny_world, settings, batch_size=50)
    assert (first["shops"], first["users"]) == (len(world.shops), len(world.users))
    assert first["interactions"] == len(world.orders) + len(world.favorites) + len(world.reviews)
    counts = {t: _count(clean_stack, t) for t in (settings.catalogue_table, settings.users_table,
                                                  settings.interactions_table)}
    assert counts[settings.catalogue_table] == len(world.brands) + len(world.shops) + len(world.menus)
    assert counts[settings.users_table] == len(world.users)
    assert counts[settings.interactions_table] == first["interactions"]

    load_world(tiny_world, settings)                       # again: same items, nothing new
    assert {t: _count(clean_stack, t) for t in counts} == counts

    repo = CatalogueRepository(settings)
    shop = world.shops[3]
    assert repo.get_shop(shop.shop_id) == shop
    assert sorted(m.menu_id for m in repo.menu(shop.shop_id)) == sorted(
        m.menu_id for m in world.menus if m.shop_id == shop.shop_id)
    order = world.orders[0]
    hist = list(InteractionsRepository(settings).for_user(order.user_id))
    assert any(i.kind == "order" and i.ref_id == order.order_id for i in hist)

    s3 = boto3.client("s3", endpoint_url=clean_stack.endpoint, region_name="ap-northeast-2",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    blob = s3.get_object(Bucket=settings.artifacts_bucket, Key=CATALOGUE_KEY)["Body"].read()
    snap = json.loads(gzip.decompress(blob))
    assert {"brands", "shops", "menus"} <= set(snap)
    assert len(snap["shops"]) == len(world.shops) and len(snap["menus"]) == len(world.menus)
    assert snap["meta"]["seed"] == world.manifest["seed"]
    assert (tmp_path / "artifacts" / CATALOGUE_KEY).read_bytes() == blob


def test_snapshot_is_byte_stable(tiny_world: Path) -> None:
    from nabiyam.world import read_sheets
    from nabiyam.world.load import catalogue_snapshot

    sheets = read_sheets(tiny_world)
    assert catalogue_snapshot(sheets, {"seed": 1}) == catalogue_snapshot(read_sheets(tiny_world), {"seed": 1})


def test_unknown_part_is_named(tiny_world: Path) -> None:
    from nabiyam.world.load import load_world

    with pytest.raises(ValueError, match="unknown part"):
        load_world(tiny_world, parts=("catalogue", "sessions"))


def test_cli_load(clean_stack: Any, tiny_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture) -> None:
    from nabiyam.cli.main import main
    from nabiyam.settings import get_settings

    monkeypatch.setenv("NABIYAM_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    try:
        assert main(["world", "load", str(tiny_world), "--only", "catalogue,snapshot", "--quiet"]) == 0
    finally:
        get_settings.cache_clear()
    summary = json.loads(capsys.readouterr().out)
    assert summary["shops"] == 80 and "users" not in summary
    assert (tmp_path / "artifacts" / "catalogue" / "current.json.gz").exists()
    assert _count(clean_stack, get_settings().users_table) == 0
