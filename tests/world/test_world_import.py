"""Operator sheets: round-trip through CSV and xlsx, and a clear message for each kind of fault."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from nabiyam.world import WorldImportError, read_sheets, write_sheets
from nabiyam.world.io import SHEETS

SHEET_FILES = [f for f, _ in SHEETS.values()]


@pytest.fixture()
def sheets_dir(tiny_world: Path, tmp_path: Path) -> Path:
    """A writable copy of the tiny world's operator sheets (CSV only)."""
    out = tmp_path / "export"
    out.mkdir()
    for f in SHEET_FILES:
        shutil.copy(tiny_world / f, out / f)
    return out


def _edit(path: Path, row: int, column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0])
    rows[row - 1][column] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _drop_column(path: Path, column: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = [c for c in rows[0] if c != column]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def test_csv_round_trip_is_byte_identical(tiny_world: Path, tmp_path: Path) -> None:
    sheets = read_sheets(tiny_world)
    assert sheets.warnings == []
    write_sheets(sheets, tmp_path / "out")
    for f in SHEET_FILES:
        assert (tmp_path / "out" / f).read_bytes() == (tiny_world / f).read_bytes(), f
    assert (tmp_path / "out" / "world.xlsx").read_bytes() == (tiny_world / "world.xlsx").read_bytes()


def test_xlsx_reads_the_same_records_as_csv(tiny_world: Path) -> None:
    from_csv = read_sheets(tiny_world)
    from_xlsx = read_sheets(tiny_world / "world.xlsx")
    for sheet in SHEETS:
        assert from_xlsx.get(sheet) == from_csv.get(sheet), sheet
        assert len(from_csv.get(sheet)) > 0, sheet


def test_typed_xlsx_cells_from_an_operator_workbook(tiny_world: Path, tmp_path: Path) -> None:
    """A real export has numbers, booleans and dates as typed cells (times without a zone
    are Seoul time), not text."""
    from datetime import datetime

    from openpyxl import Workbook

    src = read_sheets(tiny_world)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, (_, model) in SHEETS.items():
        ws = wb.create_sheet(sheet)
        cols = list(model.model_fields)
        ws.append(cols)
        for r in src.get(sheet):
            d = r.model_dump()
            ws.append([d[c].replace(tzinfo=None) if isinstance(d[c], datetime) else d[c].value
                       if hasattr(d[c], "value") else d[c] for c in cols])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    typed = read_sheets(path)
    for sheet in SHEETS:
        assert typed.get(sheet) == src.get(sheet), sheet


@pytest.mark.parametrize("fault, expected", [
    ("missing_sheet", "sheet 'review' (review.csv): missing sheet"),
    ("missing_column", "sheet 'shop' (shop.csv): missing column(s) 'lat'"),
    ("bad_type", "sheet 'menu' (menu.csv), row 3, column 'price': Input should be a valid integer"),
    ("out_of_range", "sheet 'shop' (shop.csv), row 2, column 'rating': Input should be less than or equal to 5"),
    ("unknown_category", "sheet 'shop' (shop.csv), row 1, column 'category': unknown category '태국식'"),
    ("bad_hours", "sheet 'shop' (shop.csv), row 4, column 'opening_hours': bad interval '11시-21시'"),
    ("bad_date", "sheet 'user' (user.csv), row 5, column 'birthday'"),
    ("empty_required", "sheet 'brand' (brand.csv), row 2, column 'name': empty value"),
    ("dangling_brand", "sheet 'shop', row 1, column 'brand_id': 'b999' is not in sheet 'brand'"),
    ("dangling_shop", "sheet 'menu', row 7, column 'shop_id': 'sh99999' is not in sheet 'shop'"),
    ("dangling_user", "sheet 'product_order', row 2, column 'user_id': 'u999999' is not in sheet 'user'"),
    ("menu_of_other_shop", "sheet 'product_order', row 1, column 'menu_id':"),
    ("duplicate_id", "sheet 'user', row 3, column 'user_id': duplicate id"),
])
def test_each_fault_is_named(sheets_dir: Path, fault: str, expected: str) -> None:
    d = sheets_dir
    if fault == "missing_sheet":
        (d / "review.csv").unlink()
    elif fault == "missing_column":
        _drop_column(d / "shop.csv", "lat")
    elif fault == "bad_type":
        _edit(d / "menu.csv", 3, "price", "칠천원")
    elif fault == "out_of_range":
        _edit(d / "shop.csv", 2, "rating", "7.5")
    elif fault == "unknown_category":
        _edit(d / "shop.csv", 1, "category", "태국식")
    elif fault == "bad_hours":
        _edit(d / "shop.csv", 4, "opening_hours", "mon 11시-21시")
    elif fault == "bad_date":
        _edit(d / "user.csv", 5, "birthday", "2010-13-45")
    elif fault == "empty_required":
        _edit(d / "brand.csv", 2, "name", "")
    elif fault == "dangling_brand":
        _edit(d / "shop.csv", 1, "brand_id", "b999")
    elif fault == "dangling_shop":
        _edit(d / "menu.csv", 7, "shop_id", "sh99999")
    elif fault == "dangling_user":
        _edit(d / "product_order.csv", 2, "user_id", "u999999")
    elif fault == "menu_of_other_shop":
        with open(d / "product_order.csv", encoding="utf-8") as fh:
            first_order_shop = next(csv.DictReader(fh))["shop_id"]
        with open(d / "menu.csv", encoding="utf-8") as fh:
            other = next(r["menu_id"] for r in csv.DictReader(fh) if r["shop_id"] != first_order_shop)
        _edit(d / "product_order.csv", 1, "menu_id", other)
    elif fault == "duplicate_id":
        with open(d / "user.csv", encoding="utf-8") as fh:
            first = next(csv.DictReader(fh))["user_id"]
        _edit(d / "user.csv", 3, "user_id", first)
    with pytest.raises(WorldImportError) as exc:
        read_sheets(d)
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems
    assert expected.split(":")[0] in str(exc.value)


def test_many_faults_are_reported_together(sheets_dir: Path) -> None:
    _edit(sheets_dir / "menu.csv", 1, "price", "-5")
    _edit(sheets_dir / "shop.csv", 2, "lat", "north")
    with pytest.raises(WorldImportError) as exc:
        read_sheets(sheets_dir)
    assert len(exc.value.problems) == 2
    assert "2 problem(s) in the import" in str(exc.value)


def test_unknown_columns_are_ignored_with_a_warning(sheets_dir: Path) -> None:
    path = sheets_dir / "brand.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",memo"] + [ln + ",x" for ln in lines[1:]]) + "\n", encoding="utf-8")
    sheets = read_sheets(sheets_dir)
    assert sheets.warnings == ["sheet 'brand' (brand.csv): ignoring unknown column(s) 'memo'"]


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(WorldImportError, match="no such file or folder"):
        read_sheets(tmp_path / "nope")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(WorldImportError, match="expected a folder of CSV files or an .xlsx workbook"):
        read_sheets(tmp_path / "x.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorldImportError) as exc:
        read_sheets(empty)
    assert len(exc.value.problems) == len(SHEETS)


def test_xlsx_missing_sheet(tiny_world: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(tiny_world / "world.xlsx")
    del wb["userfavorite"]
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(WorldImportError, match="sheet 'userfavorite': missing sheet"):
        read_sheets(tmp_path / "w.xlsx")
