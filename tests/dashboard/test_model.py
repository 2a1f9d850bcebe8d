"""The view model: deltas are numbers with arrows and a verdict, small groups disappear."""

from __future__ import annotations

import pytest

from dashboard_site.model import MIN_GROUP_SIZE, Counted, Kpi, suppress_small_groups

from .sample import sample_report


@pytest.mark.parametrize(("unit", "value", "previous", "higher", "delta", "verdict"), [
    ("count", 1234, 1102, True, "▲ +12.0%", "개선"),
    ("ratio", 0.125, 0.133, True, "▼ -0.8%p", "악화"),
    ("ms", 820, 700, False, "▲ +17.1%", "악화"),
    ("ms", 600, 700, False, "▼ -14.3%", "개선"),
    ("score", 7.40, 7.41, True, "▬ -0.1%", "변화 없음"),
    ("count", 10, None, True, "", ""),
    ("count", 10, 0, True, "▲ +10", "개선"),  # from zero: the absolute change
    ("ratio", 0.0, 0.0, False, "▬ +0.0%p", "변화 없음"),  # 0 % errors both weeks is no change, not "no data"
    ("ratio", None, 0.2, True, "", ""),
])
def test_kpi_delta_is_arrow_number_and_verdict(unit: str, value: float | None, previous: float | None, higher: bool,
                                               delta: str, verdict: str) -> None:
    k = Kpi(key="k", label="지표", unit=unit, value=value, previous=previous, higher_is_better=higher)  # type: ignore[arg-type]
    assert k.delta_text == delta
    assert k.verdict == verdict
    assert k.missing_text == ("" if delta else "이번 주 데이터 없음" if value is None else "지난주 데이터 없음")


def test_small_groups_are_suppressed_everywhere() -> None:
    report = sample_report()
    small = [c.label for c in report.topics.intents if c.count < MIN_GROUP_SIZE]
    assert small == ["가게 정보"]  # the sample has one on purpose (and a tiny day, a tiny variant)
    out = suppress_small_groups(report)
    every_counted: list[Counted] = (out.topics.intents + out.topics.categories + out.topics.foods + out.topics.words
                                    + out.feedback.reasons + out.feedback.satisfaction + out.evaluation.histogram
                                    + out.system.fallback_kinds)
    assert every_counted and all(c.count >= MIN_GROUP_SIZE for c in every_counted)
    assert all(d.total >= MIN_GROUP_SIZE for d in out.sentiment) and len(out.sentiment) == 6
    assert all(m.conversations >= MIN_GROUP_SIZE for m in out.ai.models) and len(out.ai.models) == 2
    assert all(d.likes + d.dislikes >= MIN_GROUP_SIZE for d in out.feedback.days)
    hidden = sum(1 for c in (report.topics.intents + report.topics.categories + report.topics.foods
                             + report.topics.words + report.feedback.reasons + report.feedback.satisfaction
                             + report.evaluation.histogram + report.system.fallback_kinds) if c.count < MIN_GROUP_SIZE)
    assert out.suppressed_groups == hidden + 1 + 1  # + the tiny sentiment day + the tiny variant


def test_report_requires_an_aware_timestamp() -> None:
    from datetime import datetime

    from dashboard_site.model import WeekReport

    with pytest.raises(ValueError, match="time zone"):
        WeekReport.model_validate({**sample_report().model_dump(), "generated_at": datetime(2026, 11, 9, 9, 0)})
