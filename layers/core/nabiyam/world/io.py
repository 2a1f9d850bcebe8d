"""File layout of a world directory and the byte-stable CSV/xlsx writers.

A world directory holds the operator's sheets (one CSV per sheet, columns = the fields
of the domain models, plus ``world.xlsx`` with the same sheets), the behaviour
(``sessions.csv``, ``impressions.csv``), the hidden truth (``preferences.jsonl``, ``shop_character.jsonl``) and the
manifest ``world.json``. Values: booleans ``true``/``false``, empty cell = none, dates
ISO, datetimes ISO with ``+09:00``.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nabiyam.domain.catalogue import Brand, Favorite, MenuItem, Order, Review, Shop, User
from nabiyam.world.records import Impression, Session

# sheet name → (file name, model)
SHEETS: dict[str, tuple[str, type]] = {
    "shop": ("shop.csv", Shop),
    "brand": ("brand.csv", Brand),
    "menu": ("menu.csv", MenuItem),
    "user": ("user.csv", User),
    "product_order": ("product_order.csv", Order),
    "userfavorite": ("userfavorite.csv", Favorite),
    "review": ("review.csv", Review),
}
SESSIONS_FILE = "sessions.csv"
IMPRESSIONS_FILE = "impressions.csv"
PREFERENCES_FILE = "preferences.jsonl"
SHOP_CHARACTER_FILE = "shop_character.jsonl"  # hidden shop character (formula 2.0)
MANIFEST_FILE = "world.json"
WORKBOOK_FILE = "world.xlsx"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def columns(model: type) -> list[str]:
    return list(model.model_fields)


SESSION_COLUMNS = columns(Session)
IMPRESSION_COLUMNS = columns(Impression)


def cell(value: Any) -> str:
    """One value as CSV text (the inverse of what pydantic parses)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "value"):  # enums
        return str(value.value)
    return str(value)


class CsvWriter:
    """Appends rows (dicts or sequences in column order) to one CSV file, streaming."""

    def __init__(self, path: Path, cols: list[str]) -> None:
        self.cols = cols
        self.count = 0
        self._fh = open(path, "w", encoding="utf-8", newline="")
        self._w = csv.writer(self._fh, lineterminator="\n")
        self._w.writerow(cols)

    def write(self, rows: Iterable[dict | tuple | list]) -> None:
        out = []
        for row in rows:
            if isinstance(row, dict):
                out.append([cell(row.get(c)) for c in self.cols])
            else:
                out.append([cell(v) for v in row])
        self._w.writerows(out)
        self.count += len(out)

    def write_raw(self, rows: list[list[str]]) -> None:
        """Rows already formatted as strings (the fast path for big files)."""
        self._w.writerows(rows)
        self.count += len(rows)

    def write_text(self, text: str, n_rows: int) -> None:
        """Pre-rendered CSV lines (no quoting needed), e.g. impressions."""
        self._fh.write(text)
        self.count += n_rows

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_sheet(out_dir: Path, sheet: str, rows: Iterable[dict]) -> int:
    file_name, model = SHEETS[sheet]
    with CsvWriter(out_dir / file_name, columns(model)) as w:
        w.write(rows)
        return w.count


def iter_csv(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV as str dicts (streaming; the caller validates)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def write_workbook(out_dir: Path, path: Path | None = None) -> Path:
    """The seven sheets of `out_dir`'s CSVs as one .xlsx (byte-stable: fixed zip times and
    document properties)."""
    from openpyxl import Workbook

    path = path or out_dir / WORKBOOK_FILE
    wb = Workbook(write_only=True)
    fixed = datetime(2026, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "nabiyam world"
    for sheet, (file_name, _) in SHEETS.items():
        ws = wb.create_sheet(sheet)
        with open(out_dir / file_name, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    _restamp_zip(buf.getvalue(), path)
    return path


def _restamp_zip(data: bytes, path: Path) -> None:
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fix_core_times(content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME), content,
                         compress_type=zipfile.ZIP_DEFLATED)


def _fix_core_times(xml: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2026-01-01T00:00:00Z\g<3>", xml)


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n
