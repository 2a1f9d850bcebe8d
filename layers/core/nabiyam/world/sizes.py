"""World sizes: tiny for tests, small for `make run`, large for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class WorldSize:
    name: str
    shops: int
    users: int
    sessions: int
    days: int
    districts: tuple[str, ...]
    chunk: int = 2000            # sessions per streamed chunk (fixed per size: same bytes on any machine)
    max_candidates: int = 30     # the choice set: up to this many nearest shops passing the hard filters
    max_distance_km: float = 2.5
    write_xlsx: bool = True
    start: date = date(2026, 3, 2)  # a Monday; sessions run for `days` days from here


_ALL = ("관악구", "동작구", "금천구", "구로구", "영등포구", "서초구", "강남구", "마포구")

SIZES: dict[str, WorldSize] = {
    "tiny": WorldSize("tiny", shops=80, users=150, sessions=900, days=14, districts=_ALL[:2], chunk=500),
    # small: ~40 sessions per person over 13 weeks (a child with a meal card eats out most
    # days), so a ranker can learn each person's tastes from their history
    "small": WorldSize("small", shops=600, users=1000, sessions=40_000, days=91, districts=_ALL[:6]),
    "large": WorldSize("large", shops=5000, users=100_000, sessions=110_000, days=182, districts=_ALL,
                       chunk=1000, write_xlsx=False),
}


def get_size(name: str) -> WorldSize:
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"unknown world size {name!r}; expected one of {', '.join(SIZES)}") from None
