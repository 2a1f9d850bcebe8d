"""Read the operator's sheets (a folder of CSVs or an .xlsx workbook), validated.

Every fault is reported with its sheet, row and column: a missing sheet or column, a bad
value (type, range, unknown category/district, bad opening hours), a duplicate id, or an
id that points nowhere (dangling brand/shop/user/menu ids). Up to `max_problems` faults
are collected and raised together as one `WorldImportError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nabiyam.domain.catalogue import Brand, Favorite, MenuItem, Order, Review, Shop, User
from nabiyam.domain.hours import KST
from nabiyam.world import io as wio


class WorldImportError(ValueError):
    """The import failed; `problems` lists every fault found (sheet, row, column, what)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = "" if len(problems) <= 20 else f"\n  … and {len(problems) - 20} more"
        super().__init__(f"{len(problems)} problem(s) in the import:\n  " + "\n  ".join(problems[:20]) + more)


@dataclass
class Sheets:
    """The seven operator sheets as typed records."""

    brands: list[Brand] = field(default_factory=list)
    shops: list[Shop] = field(default_factory=list)
    menus: list[MenuItem] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    favorites: list[Favorite] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    ATTR = {"brand": "brands", "shop": "shops", "menu": "menus", "user": "users", "product_order": "orders",
            "userfavorite": "favorites", "review": "reviews"}

    def get(self, sheet: str) -> list:
        return getattr(self, self.ATTR[sheet])


def _xlsx_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        if v.tzinfo is None and (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            return v.date().isoformat()     # Excel has no date-only cells
        return (v if v.tzinfo else v.replace(tzinfo=KST)).isoformat()   # workbook times are Seoul time
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _sheet_rows(source: Path, sheet: str) -> tuple[list[str], Iterator[dict[str, str]]] | None:
    """(header, rows) of a sheet, or None when the sheet is absent."""
    if source.is_dir():
        path = source / wio.SHEETS[sheet][0]
        if not path.exists():
            return None
        it = wio.iter_csv(path)
        import csv

        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        return header, it
    from openpyxl import load_workbook

    wb = load_workbook(source, read_only=True, data_only=True)
    try:
        if sheet not in wb.sheetnames:
            return None
        rows = wb[sheet].iter_rows(values_only=True)
        header = [_xlsx_cell(h) for h in next(rows, ())]
        header = [h for h in header if h]
        records = [{h: _xlsx_cell(r[i] if i < len(r) else None) for i, h in enumerate(header)}
                   for r in rows if r is not None and any(v is not None for v in r)]
    finally:
        wb.close()   # read-only workbooks keep the file open until closed
    return header, iter(records)


def _describe(err: dict) -> str:
    kind = err.get("type", "")
    if kind in ("missing", "string_type") and err.get("input") is None:
        return "empty value"
    return err.get("msg", "invalid").removeprefix("Value error, ")


def read_sheets(source: str | Path, *, max_problems: int = 200) -> Sheets:
    """Validate and load the sheets from a folder of CSVs or an .xlsx file."""
    src = Path(source)
    if not src.exists():
        raise WorldImportError([f"{src}: no such file or folder"])
    if src.is_file() and src.suffix.lower() != ".xlsx":
        raise WorldImportError([f"{src}: expected a folder of CSV files or an .xlsx workbook"])
    if src.is_dir() and not any((src / f).exists() for f, _ in wio.SHEETS.values()) and (src / wio.WORKBOOK_FILE).exists():
        src = src / wio.WORKBOOK_FILE
    out = Sheets()
    problems: list[str] = []
    # ids of rows that failed validation: they exist, so references to them are not "dangling"
    invalid: dict[str, set[str]] = {k: set() for k in _KEYS}
    for sheet, (file_name, model) in wio.SHEETS.items():
        got = _sheet_rows(src, sheet)
        where = f"sheet '{sheet}'" + (f" ({file_name})" if src.is_dir() else "")
        if got is None:
            problems.append(f"{where}: missing sheet")
            continue
        header, rows = got
        expected = wio.columns(model)
        required = [c for c in expected if model.model_fields[c].is_required()]
        missing = [c for c in required if c not in header]
        if missing:
            problems.append(f"{where}: missing column(s) {', '.join(repr(c) for c in missing)}")
            continue
        extra = [c for c in header if c not in expected]
        if extra:
            out.warnings.append(f"{where}: ignoring unknown column(s) {', '.join(repr(c) for c in extra)}")
        records = out.get(sheet)
        for n, row in enumerate(rows, start=1):
            data = {k: (None if v == "" else v) for k, v in row.items() if k in expected}
            try:
                records.append(model.model_validate(data))
            except ValidationError as exc:
                if sheet in _KEYS and row.get(_KEYS[sheet]):
                    invalid[sheet].add(row[_KEYS[sheet]])
                for err in exc.errors():
                    col = str(err["loc"][0]) if err["loc"] else "?"
                    problems.append(f"{where}, row {n}, column '{col}': {_describe(err)} (got {row.get(col)!r})")
            if len(problems) >= max_problems:
                raise WorldImportError(problems)
    problems += _check_references(out, invalid)
    if problems:
        raise WorldImportError(problems[:max_problems])
    return out


def _dupes(sheet: str, records: list[BaseModel], key: str) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n, r in enumerate(records, start=1):
        k = getattr(r, key)
        if k in seen:
            out.append(f"sheet '{sheet}', row {n}, column '{key}': duplicate id {k!r} (first in row {seen[k]})")
        else:
            seen[k] = n
    return out


_KEYS = {"brand": "brand_id", "shop": "shop_id", "menu": "menu_id", "user": "user_id"}


def _check_references(s: Sheets, invalid: dict[str, set[str]]) -> list[str]:
    problems = (_dupes("brand", s.brands, "brand_id") + _dupes("shop", s.shops, "shop_id")
                + _dupes("menu", s.menus, "menu_id") + _dupes("user", s.users, "user_id")
                + _dupes("product_order", s.orders, "order_id") + _dupes("review", s.reviews, "review_id"))
    brands = {b.brand_id for b in s.brands} | invalid["brand"]
    shops = {x.shop_id for x in s.shops} | invalid["shop"]
    users = {u.user_id for u in s.users} | invalid["user"]
    menu_shop = {m.menu_id: m.shop_id for m in s.menus}
    known_menus = set(menu_shop) | invalid["menu"]

    def ref(sheet: str, records: list, column: str, known: set | dict, target: str) -> None:
        for n, r in enumerate(records, start=1):
            v = getattr(r, column)
            if v is not None and v not in known:
                problems.append(f"sheet '{sheet}', row {n}, column '{column}': {v!r} is not in sheet '{target}'")

    ref("shop", s.shops, "brand_id", brands, "brand")
    ref("menu", s.menus, "shop_id", shops, "shop")
    ref("product_order", s.orders, "user_id", users, "user")
    ref("product_order", s.orders, "shop_id", shops, "shop")
    ref("product_order", s.orders, "menu_id", known_menus, "menu")
    for n, o in enumerate(s.orders, start=1):
        if o.menu_id in menu_shop and o.shop_id in shops and menu_shop[o.menu_id] != o.shop_id:
            problems.append(f"sheet 'product_order', row {n}, column 'menu_id': {o.menu_id!r} belongs to shop "
                            f"{menu_shop[o.menu_id]!r}, not {o.shop_id!r}")
    ref("userfavorite", s.favorites, "user_id", users, "user")
    ref("userfavorite", s.favorites, "shop_id", shops, "shop")
    ref("review", s.reviews, "user_id", users, "user")
    ref("review", s.reviews, "shop_id", shops, "shop")
    return problems


def write_sheets(sheets: Sheets, out_dir: str | Path, *, xlsx: bool = True) -> None:
    """Write the sheets in the same format the generator writes (round-trips byte for byte)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for sheet in wio.SHEETS:
        wio.write_sheet(out, sheet, (r.model_dump() for r in sheets.get(sheet)))
    if xlsx:
        wio.write_workbook(out)
