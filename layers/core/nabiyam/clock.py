"""The service's clock: real time, or simulated time in dev/test only.

Everything that stamps a record (conversation ``created_at``, feedback ``created_at``, the
request time the recommender filters by when the client sends none) asks :func:`now`.
The traffic simulator runs days of traffic in minutes, so its requests must be stamped with
the simulated time. That override exists **only outside prod**: :func:`simulated` refuses
when ``Settings.stage == "prod"``, and the HTTP header :data:`SIM_TIME_HEADER` is read only
by the dev middleware (never honoured in prod, see ``nabiyam.api``).

Example::

    >>> from datetime import datetime
    >>> from nabiyam.clock import KST, now, simulated
    >>> with simulated(datetime(2026, 11, 2, 12, 30, tzinfo=KST)):
    ...     now().isoformat()
    '2026-11-02T12:30:00+09:00'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from nabiyam.domain.hours import KST

#: Request header carrying the simulated time (ISO-8601 with offset); dev/test stages only.
SIM_TIME_HEADER = "x-nabiyam-sim-time"

_SIMULATED: ContextVar[datetime | None] = ContextVar("nabiyam_simulated_now", default=None)


class SimulatedClockRefused(RuntimeError):
    """A simulated clock was asked for in a stage where it does not exist (prod)."""


def now() -> datetime:
    """The current time in Asia/Seoul: the simulated time when one is set in this context."""
    sim = _SIMULATED.get()
    return sim.astimezone(KST) if sim is not None else datetime.now(KST)


def is_simulated() -> bool:
    return _SIMULATED.get() is not None


def allowed(stage: str | None = None) -> bool:
    """Whether this stage may override the clock (never prod)."""
    if stage is None:
        from nabiyam.settings import get_settings

        stage = get_settings().stage
    return stage != "prod"


@contextmanager
def simulated(at: datetime, *, stage: str | None = None) -> Iterator[datetime]:
    """Run the block with :func:`now` returning ``at`` (aware). Raises in prod."""
    if not allowed(stage):
        raise SimulatedClockRefused("the simulated clock does not exist in prod")
    if at.tzinfo is None:
        raise ValueError("simulated time must be timezone-aware")
    token = _SIMULATED.set(at)
    try:
        yield at
    finally:
        _SIMULATED.reset(token)
