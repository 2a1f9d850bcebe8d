"""Opening hours: a compact text form that survives CSV/xlsx, and the one `is_open` check.

Form: ``"mon 11:00-21:00; tue 11:00-15:00,17:00-22:00; wed closed; ..."``. Closing
times past midnight are written past 24:00 (``17:00-26:00`` closes at 02:00 next day),
so late-night shops stay one interval. Days not listed are closed. Times are Asia/Seoul.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "Asia/Seoul")
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Week = dict[str, list[tuple[int, int]]]  # day → [(open_minute, close_minute)], close may exceed 1440


class OpeningHoursError(ValueError):
    pass


def parse_hours(text: str) -> Week:
    week: Week = {d: [] for d in DAYS}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        day, _, spec = part.partition(" ")
        day = day.lower()
        if day not in week:
            raise OpeningHoursError(f"unknown day {day!r} in opening hours {text!r}")
        spec = spec.strip()
        if spec == "closed":
            continue
        for interval in spec.split(","):
            m = _INTERVAL.match(interval.strip())
            if not m:
                raise OpeningHoursError(f"bad interval {interval!r} in opening hours {text!r}")
            h1, m1, h2, m2 = map(int, m.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if not (0 <= start < 1440 and start < end <= start + 1440 and m1 < 60 and m2 < 60):
                raise OpeningHoursError(f"impossible interval {interval!r} in opening hours {text!r}")
            week[day].append((start, end))
    return week


def format_hours(week: Week) -> str:
    parts = []
    for day in DAYS:
        spans = week.get(day) or []
        if not spans:
            parts.append(f"{day} closed")
        else:
            parts.append(day + " " + ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans))
    return "; ".join(parts)


class TimeOutOfRange(ValueError):
    """A datetime that cannot be expressed in Seoul time (e.g. 9999-12-31T23:59-12:00)."""


def to_kst(at: datetime) -> datetime:
    """`at` in Asia/Seoul (naive datetimes are Seoul time already).

    >>> to_kst(datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)).isoformat()
    '2026-11-30T12:00:00+09:00'
    >>> try:
    ...     to_kst(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))))
    ... except TimeOutOfRange as exc:
    ...     print(exc)
    9999-12-31 23:59:00-12:00 is outside the range Seoul time can express
    """
    if at.tzinfo is None:
        return at.replace(tzinfo=KST)
    try:
        return at.astimezone(KST)
    except OverflowError as exc:
        raise TimeOutOfRange(f"{at} is outside the range Seoul time can express") from exc


def is_open(week: Week, at: datetime) -> bool:
    """Open at `at` (naive datetimes are Seoul time), including yesterday's past-midnight spans."""
    at = to_kst(at)
    minute = at.hour * 60 + at.minute
    today = DAYS[at.weekday()]
    yesterday = DAYS[(at.weekday() - 1) % 7]
    if any(s <= minute < e for s, e in week.get(today, ())):
        return True
    return any(e > 1440 and minute < e - 1440 for _, e in week.get(yesterday, ()))


def weekly_open_hours(week: Week) -> float:
    """Average open hours per day (the ranker's `operating_hours` feature)."""
    return sum(e - s for spans in week.values() for s, e in spans) / 60.0 / 7.0
