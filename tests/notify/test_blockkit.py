"""Block Kit limits: the builder's output passes, and every limit the validator knows is enforced."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nabiyam.notify.blockkit import (BUTTON_LABEL, BlockKitError, BlockKitLimits, KpiLine, WeeklySlackReport,
                                     build_weekly_message, validate_message)


def _report(**overrides: Any) -> WeeklySlackReport:
    base: dict[str, Any] = dict(
        title="나비얌 주간 리포트", period="2026-W45 (11/02–11/08)",
        kpis=[KpiLine(label="대화 수", value="1,234건", delta="▲ +12.0% (지난주 1,102)"),
              KpiLine(label="클릭률", value="12.5%", delta="▼ −0.8%p (악화)")],
        alerts=["클릭률이 지난주보다 6.1% 떨어졌어요"], dashboard_url="https://dashboard.example.com/2026-W45/")
    base.update(overrides)
    return WeeklySlackReport(**base)


def test_built_message_has_header_kpis_alerts_button_and_text() -> None:
    msg = build_weekly_message(_report())
    validate_message(msg)
    kinds = [b["type"] for b in msg["blocks"]]
    assert kinds[0] == "header" and "actions" in kinds
    fields = [f["text"] for b in msg["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    assert fields == ["*대화 수*\n1,234건  ▲ +12.0% (지난주 1,102)", "*클릭률*\n12.5%  ▼ −0.8%p (악화)"]
    button = next(b for b in msg["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["text"]["text"] == BUTTON_LABEL == "대시보드 보기"
    assert button["url"] == "https://dashboard.example.com/2026-W45/"
    assert "클릭률 12.5%" in msg["text"] and "알림 1건" in msg["text"]
    assert any("클릭률이 지난주보다" in b.get("text", {}).get("text", "") for b in msg["blocks"])


def test_many_kpis_split_into_sections_of_ten_and_long_text_is_clipped() -> None:
    kpis = [KpiLine(label=f"지표 {i}", value="x" * 3000) for i in range(23)]
    msg = build_weekly_message(_report(kpis=kpis, title="가" * 400, alerts=[f"알림 {i}" * 200 for i in range(40)]))
    validate_message(msg)
    sections = [b for b in msg["blocks"] if b["type"] == "section" and "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]
    assert len(msg["blocks"][0]["text"]["text"]) == BlockKitLimits.HEADER_TEXT
    assert all(len(f["text"]) <= BlockKitLimits.SECTION_FIELD_TEXT for s in sections for f in s["fields"])


def _with(msg: dict[str, Any], mutate: Any) -> dict[str, Any]:
    out = copy.deepcopy(msg)
    mutate(out)
    return out


def _section(msg: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in msg["blocks"] if b["type"] == "section" and "fields" in b)


def _button(msg: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in msg["blocks"] if b["type"] == "actions")["elements"][0]


CASES = {
    "no top-level text": (lambda m: m.update(text=""), "text"),
    "51 blocks": (lambda m: m.update(blocks=[{"type": "divider"}] * 51), "at most 50"),
    "header of 151": (lambda m: m["blocks"][0]["text"].update(text="가" * 151), "at most 150"),
    "header in mrkdwn": (lambda m: m["blocks"][0]["text"].update(type="mrkdwn"), "plain_text only"),
    "11 fields": (lambda m: _section(m).update(fields=[{"type": "mrkdwn", "text": "a"}] * 11), "at most 10"),
    "field of 2001": (lambda m: _section(m)["fields"][0].update(text="a" * 2001), "at most 2000"),
    "section text of 3001": (lambda m: m["blocks"].append({"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}),
                             "at most 3000"),
    "button text of 76": (lambda m: _button(m)["text"].update(text="a" * 76), "at most 75"),
    "button url not http": (lambda m: _button(m).update(url="javascript:alert(1)"), "not an http"),
    "duplicate block_id": (lambda m: m["blocks"].append(copy.deepcopy(next(b for b in m["blocks"] if b.get("block_id")))), "used twice"),
    "unknown block": (lambda m: m["blocks"].append({"type": "video"}), "not one this report uses"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validator_rejects_what_slack_would_reject(case: str) -> None:
    mutate, needle = CASES[case]
    msg = build_weekly_message(_report())
    bad = _with(msg, mutate)
    with pytest.raises(BlockKitError, match=needle):
        validate_message(bad)


def test_limit_boundaries_are_inclusive() -> None:
    msg = build_weekly_message(_report())
    validate_message(_with(msg, lambda m: m["blocks"][0]["text"].update(text="가" * 150)))
    validate_message(_with(msg, lambda m: _button(m)["text"].update(text="a" * 75)))
    validate_message(_with(msg, lambda m: _section(m).update(fields=[{"type": "mrkdwn", "text": "a" * 2000}] * 10)))
