"""Charts of the dashboard: matplotlib (Agg) PNGs with Korean text in the bundled NanumGothic.

Every chart function draws one figure from view-model data, writes ``<name>.png`` and
returns a :class:`Chart` with its alt text (what the chart shows, in words and numbers) so
the page is readable without the picture. Colours are the Okabe–Ito colour-blind-safe
palette and series are told apart by hatching, markers and direct labels as well.

Example::

    chart = bar_counts(out_dir, "topics-intents", "의도별 대화 수", [Counted(label="음식 추천", count=120)])
    chart.file, chart.alt
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from dashboard_site.model import (Counted, DailyValue, ExperimentRow, FeedbackDay, ModelVersionRow,  # noqa: E402
                                  SentimentDay, StageLatency, SystemDay)
from nabiyam.infra.fonts import use_korean_font  # noqa: E402

# Okabe–Ito: distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#666666"
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.6, 110
COMPACT_WIDTH_IN = 5.4  # charts shown two to a row: drawn narrower so their text stays readable


class MissingGlyphs(RuntimeError):
    """A chart would draw tofu boxes: a character is missing from the Korean font."""


class Chart(BaseModel):
    file: str = Field(description="PNG file name; '' for an empty chart (the page shows the reason instead)")
    title: str
    alt: str
    empty: bool = False


_font_ready = False


def _setup() -> None:
    global _font_ready
    if not _font_ready:
        use_korean_font()
        plt.rcParams.update({"axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 13,
                             "axes.titleweight": "bold", "font.size": 10.5, "axes.edgecolor": "#444444",
                             "axes.labelcolor": "#222222", "xtick.color": "#333333", "ytick.color": "#333333"})
        _font_ready = True


def _figure(height: float = HEIGHT_IN, *, compact: bool = False) -> tuple[Figure, plt.Axes]:
    _setup()
    fig, ax = plt.subplots(figsize=(COMPACT_WIDTH_IN if compact else WIDTH_IN, height), dpi=DPI)
    return fig, ax


def _save(fig: Figure, out_dir: Path, name: str, title: str, alt: str) -> Chart:
    out_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.tight_layout()
        fig.savefig(out_dir / f"{name}.png", dpi=DPI)
    plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise MissingGlyphs(f"chart {name}: {missing[0]}")
    return Chart(file=f"{name}.png", title=title, alt=alt)


def _day(d: date) -> str:
    return f"{d.month}/{d.day}"


def _empty(out_dir: Path, name: str, title: str, why: str, *, compact: bool = False) -> Chart:
    """No picture for no data: the page says why in words (a blank chart only wastes a phone screen)."""
    return Chart(file="", title=title, alt=why, empty=True)


def _extremes(pairs: Sequence[tuple[str, float]], fmt: str = "{:,.0f}") -> str:
    if not pairs:
        return ""
    lo = min(pairs, key=lambda p: p[1])
    hi = max(pairs, key=lambda p: p[1])
    return f"최저 {fmt.format(lo[1])} ({lo[0]}), 최고 {fmt.format(hi[1])} ({hi[0]})"


NO_DATA = "이번 주 데이터가 없어요"
ALL_SMALL = "표시할 만큼 큰 그룹이 없어요 (작은 그룹은 숨겨요)"


def bar_counts(out_dir: Path, name: str, title: str, items: Sequence[Counted], *, top: int = 10,
               color: str = BLUE, unit: str = "건", empty: str = ALL_SMALL, compact: bool = False,
               keep_order: bool = False) -> Chart:
    """Horizontal bars, biggest first (or in the given order), each labelled with its count."""
    items = list(items)[:top] if keep_order else sorted(items, key=lambda c: -c.count)[:top]
    if not items:
        return _empty(out_dir, name, title, empty, compact=compact)
    fig, ax = _figure(max(1.8, 0.42 * len(items) + 0.9), compact=compact)
    labels = [c.label for c in items][::-1]
    values = [c.count for c in items][::-1]
    bars = ax.barh(labels, values, color=color)
    ax.bar_label(bars, labels=[f"{v:,}{unit}" for v in values], padding=3, fontsize=9.5)
    ax.set_title(title, loc="left")
    ax.set_xlim(0, max(values) * 1.18)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    alt = f"{title} 막대 그래프. " + ", ".join(f"{c.label} {c.count:,}{unit}" for c in items) + "."
    return _save(fig, out_dir, name, title, alt)


def activity_chart(out_dir: Path, name: str, days: Sequence[tuple[date, int, int]]) -> Chart:
    """Conversations per day (bars) and daily active users (line with markers)."""
    title = "일별 대화 수와 이용자 수"
    if not days:
        return _empty(out_dir, name, title, "이번 주 데이터가 없어요")
    fig, ax = _figure()
    x = [_day(d) for d, _, _ in days]
    conv = [c for _, c, _ in days]
    users = [u for _, _, u in days]
    bars = ax.bar(x, conv, color=SKY, label="대화 수 (막대)")
    ax.bar_label(bars, labels=[f"{v:,}" for v in conv], padding=2, fontsize=9)
    ax.plot(x, users, color=VERMILLION, marker="o", linewidth=2, label="이용자 수 (선)")
    ax.set_title(title, loc="left")
    ax.set_ylim(0, max(conv + users) * 1.2 or 1)
    ax.legend(loc="upper left", frameon=False, ncols=2)
    alt = (f"{title}. 대화 수 {_extremes(list(zip(x, conv)))}; 이용자 수 {_extremes(list(zip(x, users)))}.")
    return _save(fig, out_dir, name, title, alt)


def sentiment_chart(out_dir: Path, name: str, days: Sequence[SentimentDay]) -> Chart:
    """Share of positive / neutral / negative user messages per day (100 % stacked bars)."""
    title = "일별 감정 비율 (사용자 메시지)"
    if not days:
        return _empty(out_dir, name, title, "표시할 만큼 메시지가 많은 날이 없어요")
    fig, ax = _figure()
    x = [_day(d.day) for d in days]
    pos = [d.positive / d.total * 100 for d in days]
    neu = [d.neutral / d.total * 100 for d in days]
    neg = [d.negative / d.total * 100 for d in days]
    ax.bar(x, pos, color=GREEN, label="긍정", hatch="//", edgecolor="white")
    ax.bar(x, neu, bottom=pos, color="#BBBBBB", label="중립", edgecolor="white")
    b = ax.bar(x, neg, bottom=[p + n for p, n in zip(pos, neu)], color=VERMILLION, label="부정", hatch="..",
               edgecolor="white")
    ax.bar_label(b, labels=[f"부정 {v:.0f}%" for v in neg], label_type="center", fontsize=8.5, color="white")
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False, ncols=3)
    mean = lambda vals: sum(vals) / len(vals)  # noqa: E731
    alt = (f"{title} 누적 막대 그래프. 주간 평균 긍정 {mean(pos):.0f}%, 중립 {mean(neu):.0f}%, 부정 {mean(neg):.0f}%; "
           f"부정 비율 {_extremes(list(zip(x, neg)), '{:.0f}%')}.")
    return _save(fig, out_dir, name, title, alt)


def line_chart(out_dir: Path, name: str, title: str, points: Sequence[DailyValue], *, ylabel: str,
               fmt: str = "{:.2f}", ylim: tuple[float, float] | None = None, color: str = BLUE,
               x_format: str = "day", compact: bool = False) -> Chart:
    """One daily (or weekly) series with markers and value labels."""
    pts = [p for p in points if p.value is not None]
    if not pts:
        return _empty(out_dir, name, title, NO_DATA, compact=compact)
    fig, ax = _figure(compact=compact)
    x = [_day(p.day) if x_format == "day" else f"{p.day:%m/%d}주" for p in pts]
    y = [float(p.value) for p in pts]  # type: ignore[arg-type]
    ax.plot(x, y, color=color, marker="o", linewidth=2)
    for xi, yi in zip(x, y):
        ax.annotate(fmt.format(yi), (xi, yi), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=9)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    alt = f"{title} 선 그래프. {_extremes(list(zip(x, y)), fmt)}."
    return _save(fig, out_dir, name, title, alt)


def feedback_chart(out_dir: Path, name: str, days: Sequence[FeedbackDay]) -> Chart:
    """Likes and dislikes per day, side by side, labelled."""
    title = "일별 좋아요 · 싫어요"
    if not days:
        return _empty(out_dir, name, title, "표시할 만큼 반응이 많은 날이 없어요")
    fig, ax = _figure()
    idx = list(range(len(days)))
    w = 0.38
    likes = ax.bar([i - w / 2 for i in idx], [d.likes for d in days], w, color=BLUE, label="좋아요")
    dislikes = ax.bar([i + w / 2 for i in idx], [d.dislikes for d in days], w, color=ORANGE, hatch="xx",
                      edgecolor="white", label="싫어요 (빗금)")
    ax.bar_label(likes, fontsize=8.5, padding=2)
    ax.bar_label(dislikes, fontsize=8.5, padding=2)
    ax.set_xticks(idx, [_day(d.day) for d in days])
    ax.set_title(title, loc="left")
    ax.set_ylim(0, max(max(d.likes, d.dislikes) for d in days) * 1.25 or 1)
    ax.legend(loc="upper left", frameon=False, ncols=2)
    total_l, total_d = sum(d.likes for d in days), sum(d.dislikes for d in days)
    ratio = total_d / (total_l + total_d) if total_l + total_d else 0
    alt = f"{title} 막대 그래프. 이번 주 좋아요 {total_l:,}건, 싫어요 {total_d:,}건 (싫어요 비율 {ratio:.0%})."
    return _save(fig, out_dir, name, title, alt)


def score_histogram(out_dir: Path, name: str, buckets: Sequence[Counted], *, empty: str = NO_DATA,
                    compact: bool = False) -> Chart:
    """Evaluation scores 1–10: how many conversations got each score."""
    title = "대화 평가 점수 분포 (1–10점)"
    if not buckets:
        return _empty(out_dir, name, title, empty, compact=compact)
    fig, ax = _figure(compact=compact)
    bars = ax.bar([b.label for b in buckets], [b.count for b in buckets], color=PURPLE)
    ax.bar_label(bars, labels=[f"{b.count:,}" for b in buckets], padding=2, fontsize=9)
    ax.set_xlabel("점수")
    ax.set_ylabel("대화 수")
    ax.set_title(title, loc="left")
    total = sum(b.count for b in buckets)
    top = max(buckets, key=lambda b: b.count)
    alt = f"{title} 막대 그래프. 평가된 대화 {total:,}건, 가장 많은 점수는 {top.label}점 ({top.count:,}건)."
    return _save(fig, out_dir, name, title, alt)


def latency_chart(out_dir: Path, name: str, stages: Sequence[StageLatency]) -> Chart:
    """p50 / p95 / p99 latency per pipeline stage (grouped bars, hatched, labelled)."""
    title = "단계별 응답 시간 (ms)"
    if not stages:
        return _empty(out_dir, name, title, "이번 주 요청이 없어요")
    fig, ax = _figure(max(2.6, 0.75 * len(stages) + 1.0))
    idx = list(range(len(stages)))
    h = 0.26
    fmt = "{:,.1f}" if max(s.p99 for s in stages) < 100 else "{:,.0f}"
    for offset, attr, color, hatch, label in ((-h, "p50", SKY, "", "p50"), (0, "p95", BLUE, "//", "p95"),
                                              (h, "p99", VERMILLION, "xx", "p99")):
        vals = [getattr(s, attr) for s in stages]
        bars = ax.barh([i + offset for i in idx], vals, h, color=color, hatch=hatch, edgecolor="white", label=label)
        ax.bar_label(bars, labels=[fmt.format(v) for v in vals], padding=2, fontsize=8.5)
    ax.set_yticks(idx, [s.stage for s in stages])
    ax.invert_yaxis()
    ax.set_xlim(0, max(s.p99 for s in stages) * 1.2 or 1)
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", frameon=False)
    alt = f"{title}. " + "; ".join(f"{s.stage} p50 {s.p50:,.1f}ms, p95 {s.p95:,.1f}ms, p99 {s.p99:,.1f}ms"
                                   for s in stages) + "."
    return _save(fig, out_dir, name, title, alt)


def errors_chart(out_dir: Path, name: str, days: Sequence[SystemDay]) -> Chart:
    """Error rate and fallback rate per day (%), two labelled lines with different markers."""
    title = "일별 오류율 · 대체 응답 비율 (%)"
    days = [d for d in days if d.requests]
    if not days:
        return _empty(out_dir, name, title, "이번 주 요청이 없어요")
    fig, ax = _figure()
    x = [_day(d.day) for d in days]
    measured = [(xi, d.errors / d.requests * 100) for xi, d in zip(x, days) if d.errors is not None]
    fb = [d.fallbacks / d.requests * 100 for d in days]
    if measured:
        ax.plot([m[0] for m in measured], [m[1] for m in measured], color=VERMILLION, marker="s", linewidth=2,
                label="오류율 (■)")
        for xi, yi in measured:
            ax.annotate(f"{yi:.1f}", (xi, yi), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8.5)
    if not measured:
        ax.text(0.99, 0.97, "오류율: 측정 안 됨", transform=ax.transAxes, ha="right", va="top", fontsize=9.5,
                color="#333333")
    ax.plot(x, fb, color=BLUE, marker="o", linestyle="--", linewidth=2, label="대체 응답 (●, 점선)")
    for xi, yi in zip(x, fb):
        ax.annotate(f"{yi:.1f}", (xi, yi), textcoords="offset points", xytext=(0, -13), ha="center", fontsize=8.5)
    ax.set_ylim(0, max([m[1] for m in measured] + fb) * 1.3 or 1)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", frameon=False, ncols=2)
    err_text = f"오류율 {_extremes(measured, '{:.1f}%')}" if measured else "오류율은 측정되지 않았어요"
    alt = f"{title}. {err_text}; 대체 응답 {_extremes(list(zip(x, fb)), '{:.1f}%')}."
    return _save(fig, out_dir, name, title, alt)


def models_chart(out_dir: Path, name: str, rows: Sequence[ModelVersionRow]) -> Chart:
    """Click-through rate per model version × variant."""
    title = "모델 버전 · 실험군별 클릭률"
    rows = [r for r in rows if r.ctr is not None]
    if not rows:
        return _empty(out_dir, name, title, "표시할 만큼 큰 실험군이 없어요")
    items = [(f"{r.model} {r.version} ({r.variant})", float(r.ctr or 0) * 100) for r in rows]
    fig, ax = _figure(max(1.8, 0.5 * len(items) + 0.9))
    bars = ax.barh([i[0] for i in items][::-1], [i[1] for i in items][::-1], color=GREEN)
    ax.bar_label(bars, labels=[f"{v:.1f}%" for _, v in items][::-1], padding=3, fontsize=9.5)
    ax.set_xlim(0, max(v for _, v in items) * 1.2 or 1)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.set_title(title, loc="left")
    alt = f"{title}. " + ", ".join(f"{label} {v:.1f}%" for label, v in items) + "."
    return _save(fig, out_dir, name, title, alt)


def experiments_chart(out_dir: Path, name: str, rows: Sequence[ExperimentRow]) -> Chart:
    """Each experiment's treatment − control difference with its confidence interval; 0 marked."""
    title = "실험 효과 (실험군 - 대조군, 신뢰구간)"
    if not rows:
        return _empty(out_dir, name, title, "이번 주 진행된 실험이 없어요")
    fig, ax = _figure(max(1.8, 0.6 * len(rows) + 1.0))
    labels = [f"{r.name} · {r.metric}" for r in rows]
    for i, r in enumerate(rows):
        ax.errorbar(r.diff, i, xerr=[[r.diff - r.ci_low], [r.ci_high - r.diff]], fmt="o", color=BLUE,
                    ecolor=BLUE, capsize=5, markersize=7)
        ax.annotate(f"{r.diff:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]", (r.diff, i), textcoords="offset points",
                    xytext=(0, 9), ha="center", fontsize=9)
    ax.axvline(0, color=GREY, linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.invert_yaxis()
    span = max(max(abs(r.ci_low), abs(r.ci_high)) for r in rows) * 1.3 or 1
    ax.set_xlim(-span, span)
    ax.set_title(title, loc="left")
    alt = f"{title}. " + "; ".join(
        f"{r.name} {r.metric}: 차이 {r.diff:+.3f}, {r.confidence:.0%} 신뢰구간 [{r.ci_low:+.3f}, {r.ci_high:+.3f}] — {r.conclusion}"
        for r in rows) + "."
    return _save(fig, out_dir, name, title, alt)
