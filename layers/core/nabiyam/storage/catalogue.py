"""The Catalogue table (single-table design): shops, their menus, brands.

Keys: shop ``SHOP#<id>``/``META`` (with ``district`` for the ``by_district`` GSI), menu
item ``SHOP#<shop_id>``/``MENU#<menu_id>`` (no district: the GSI stays shops-only), brand
``BRAND#<id>``/``META``. A ``type`` attribute tells the item kinds apart in a scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr

from nabiyam.domain.catalogue import Brand, MenuItem, Shop
from nabiyam.settings import Settings, get_settings
from nabiyam.storage.dynamo import RangeCond, TableRepository

META = "META"


def shop_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def _shop_keys(shop: Shop) -> dict[str, Any]:
    return {"pk": shop_pk(shop.shop_id), "sk": META, "type": "shop", "district": shop.district}


def _menu_keys(item: MenuItem) -> dict[str, Any]:
    return {"pk": shop_pk(item.shop_id), "sk": f"MENU#{item.menu_id}", "type": "menu"}


def _brand_keys(brand: Brand) -> dict[str, Any]:
    return {"pk": f"BRAND#{brand.brand_id}", "sk": META, "type": "brand"}


class CatalogueRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        table = self.settings.catalogue_table
        common: dict[str, Any] = {"hash_key": "pk", "range_key": "sk", "settings": self.settings,
                                  "indexes": {"by_district": ("district", "pk")}}
        self.shops = TableRepository(table, Shop, keys=_shop_keys, **common)
        self.menus = TableRepository(table, MenuItem, keys=_menu_keys, **common)
        self.brands = TableRepository(table, Brand, keys=_brand_keys, **common)

    def put_shops(self, shops: Iterable[Shop]) -> int:
        return self.shops.batch_put(shops)

    def put_menu_items(self, items: Iterable[MenuItem]) -> int:
        return self.menus.batch_put(items)

    def put_brands(self, brands: Iterable[Brand]) -> int:
        return self.brands.batch_put(brands)

    def get_shop(self, shop_id: str) -> Shop | None:
        return self.shops.get(shop_pk(shop_id), META)

    def get_brand(self, brand_id: str) -> Brand | None:
        return self.brands.get(f"BRAND#{brand_id}", META)

    def menu(self, shop_id: str) -> list[MenuItem]:
        return list(self.menus.query(shop_pk(shop_id), range_cond=RangeCond.begins_with("MENU#")))

    def shops_in_district(self, district: str) -> Iterator[Shop]:
        return self.shops.query(district, index="by_district")

    def all_shops(self) -> Iterator[Shop]:
        return self.shops.scan(filter_cond=Attr("type").eq("shop"))

    def all_menu_items(self) -> Iterator[MenuItem]:
        return self.menus.scan(filter_cond=Attr("type").eq("menu"))

    def all_brands(self) -> Iterator[Brand]:
        return self.brands.scan(filter_cond=Attr("type").eq("brand"))
