"""The truth beside the logs: per simulated /chat turn, what the oracle says the person would
do with what was shown (and with the best set the catalogue allowed), plus what was sampled.

Written to ``<out>/truth/dt=YYYY-MM-DD/truth.jsonl`` (a local directory, never a service
table). Format: docs/lake.md ("The simulator's truth file").

Example::

    rows = read_truth("var/sim/steady-7", "2026-11-02")
    expected_ctr = sum(r.p_any_click for r in rows if r.shown) / sum(1 for r in rows if r.shown)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TRUTH_VERSION = 1
Turn = Literal["request", "follow_up", "greeting", "thanks", "chitchat"]


class Outcome(BaseModel):
    """What the simulated person actually did (sampled from the probabilities beside it)."""

    model_config = ConfigDict(extra="forbid")

    chosen_shop_id: str | None = None
    clicked: list[str] = Field(default_factory=list)
    ordered: bool = False
    favorited: bool = False
    satisfaction: int | None = None
    feedback: Literal["like", "dislike"] | None = None
    reason: str | None = None
    event_ids: list[str] = Field(default_factory=list, description="feedback events sent (each once)")
    retried: list[str] = Field(default_factory=list, description="event ids sent a second time (same id)")


class TruthRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    truth_version: int = TRUTH_VERSION
    conversation_id: str | None = Field(description="the service's id of the turn (null if the call failed)")
    session_id: str
    user_id: str
    day: str
    at: str = Field(description="simulated request time, ISO-8601 +09:00")
    turn: Turn
    scenario: str
    variant_expected: str = Field(description="the arm the salted hash assigns (control when no experiment)")
    status: int = Field(description="HTTP status of the /chat call")
    message: str
    shown: list[str] = Field(default_factory=list)
    p_choice: list[float] | None = Field(None, description="oracle P(choose shown[i]) with 'nothing' as an option")
    p_pick_shown: float | None = Field(None, description="P(picks something from the shown set)")
    p_pick_best: float | None = Field(None, description="P(picks something) from the best set of the same size")
    best: list[str] | None = Field(None, description="that best set (top true utility, hard filters, radius)")
    p_click: list[float] | None = Field(None, description="P(shown[i] is clicked)")
    p_any_click: float | None = None
    p_order: float | None = None
    p_satisfaction: list[float] | None = Field(None, description="P(satisfaction = 1..5)")
    expected_satisfaction: float | None = None
    p_feedback: float | None = Field(None, description="P(a like/dislike event is sent)")
    p_like: float | None = None
    p_dislike: float | None = None
    outcome: Outcome = Field(default_factory=Outcome)


def truth_path(out_dir: str | Path, day: date | str) -> Path:
    d = day if isinstance(day, str) else day.isoformat()
    return Path(out_dir) / "truth" / f"dt={d}" / "truth.jsonl"


def write_truth(out_dir: str | Path, day: date | str, rows: Iterable[TruthRow]) -> Path:
    """Replace the day's truth file (sorted by time, then session and turn order as given)."""
    path = truth_path(out_dir, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False, sort_keys=True) + "\n"
                   for r in sorted(rows, key=lambda r: r.at))
    tmp = path.with_suffix(".part")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)
    return path


def read_truth(out_dir: str | Path, day: date | str) -> list[TruthRow]:
    path = truth_path(out_dir, day)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no truth for that day (did the simulation cover it?)")
    return [TruthRow.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
