"""Render one week's dashboard (HTML + PNG charts + a subset Korean web font) to a folder.

Site layout — the same on disk (``make run``) and in the site bucket::

    index.html                     → the current week (the only file that switches)
    archive.html                   every published week
    manifest.json                  {current, weeks: [{week, prefix, start, end, published_at}]}
    reports/<week>/<build>/        one immutable build of a week:
        index.html sentiment.html topics.html evaluation.html feedback.html ai.html system.html
        style.css charts/*.png fonts/*.woff

A new build goes to a new prefix; only after every file of it exists does ``index.html``
(and the archive) point at it — see :mod:`dashboard_site.publish`.

Example::

    files = render_week(report, Path("var/site/reports/2026-W45/r1"), root="../../../")
    pages = render_root_pages(manifest)   # index.html, archive.html, manifest.json
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, Field

from dashboard_site import charts as ch
from dashboard_site.model import DailyValue, WeekReport, suppress_small_groups
from nabiyam.domain.hours import KST

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
ROOT_FROM_BUILD = "../../../"  # from reports/<week>/<build>/ back to the site root


class Page(BaseModel):
    slug: str
    title: str
    intro: str = ""

    @property
    def file(self) -> str:
        return f"{self.slug}.html"


PAGES: tuple[Page, ...] = (
    Page(slug="index", title="개요", intro="이번 주 핵심 지표와 지난주 대비 변화, 열린 알림이에요."),
    Page(slug="sentiment", title="감정", intro="아이와 보호자가 보낸 메시지의 감정(긍정·중립·부정) 비율이 날마다 어땠는지 보여요."),
    Page(slug="topics", title="주제", intro="어떤 요청이 많았는지: 의도, 음식 분류, 음식, 자주 쓴 낱말이에요."),
    Page(slug="evaluation", title="평가", intro="대화마다 자동으로 매긴 1–10점 품질 점수의 분포와 추이, 그리고 채점 기준이에요."),
    Page(slug="feedback", title="피드백", intro="답변에 대한 좋아요·싫어요, 싫어요 이유, 만족도(1–5)예요."),
    Page(slug="ai", title="AI 성능", intro="모델 버전과 실험군별 성과, A/B 실험 결과, 모델 승격·롤백 기록이에요."),
    Page(slug="system", title="시스템", intro="요청 처리 단계별 응답 시간(p50/p95/p99), 오류, 대체 응답이에요."),
)


class WeekEntry(BaseModel):
    week: str
    prefix: str = Field(description="path of the build from the site root, ending in '/'")
    start: date
    end: date
    published_at: datetime


class SiteManifest(BaseModel):
    current: str
    weeks: list[WeekEntry]

    def entry(self, week: str) -> WeekEntry:
        return next(w for w in self.weeks if w.week == week)

    def with_week(self, entry: WeekEntry, *, make_current: bool = True) -> SiteManifest:
        weeks = [w for w in self.weeks if w.week != entry.week] + [entry]
        weeks.sort(key=lambda w: w.week, reverse=True)
        current = entry.week if make_current or not self.current else self.current
        return SiteManifest(current=current, weeks=weeks)


def build_prefix(week: str, build_id: str) -> str:
    return f"reports/{week}/{build_id}/"


def new_build_id(now: datetime | None = None) -> str:
    """A sortable, unique-enough id for one render (UTC to the microsecond)."""
    return "b" + (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _kst(value: datetime) -> str:
    return value.astimezone(KST).strftime("%Y-%m-%d %H:%M")


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["kst"] = _kst
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
    env.filters["num"] = lambda v: "—" if v is None else f"{v:.2f}"
    env.filters["points"] = lambda v: f"{v:g}점"
    env.filters["verdict_class"] = lambda v: {"개선": "good", "악화": "bad", "변화 없음": "flat",
                                              "유의한 변화 없음": "flat", "작은 변화": "flat"}.get(v, "")
    return env


def _charts(report: WeekReport, original: WeekReport, out: Path) -> dict[str, ch.Chart]:
    """Every chart of the week (from the suppressed ``report``; ``original`` tells 'no data' from 'all small')."""
    t, ot = report.topics, original.topics
    fb = report.feedback

    def why(raw: list[object]) -> str:
        return ch.ALL_SMALL if raw else ch.NO_DATA

    return {
        "activity": ch.activity_chart(out, "activity", [(a.day, a.conversations, a.active_users) for a in report.activity]),
        "sentiment": ch.sentiment_chart(out, "sentiment", report.sentiment),
        "intents": ch.bar_counts(out, "topics-intents", "요청 의도", t.intents, empty=why(ot.intents), compact=True),
        "categories": ch.bar_counts(out, "topics-categories", "음식 분류", t.categories, color=ch.GREEN,
                                    empty=why(ot.categories), compact=True),
        "foods": ch.bar_counts(out, "topics-foods", "음식", t.foods, color=ch.ORANGE, empty=why(ot.foods), compact=True),
        "words": ch.bar_counts(out, "topics-words", "자주 쓴 낱말", t.words, color=ch.PURPLE, unit="회",
                               empty=why(ot.words), compact=True),
        "histogram": ch.score_histogram(out, "evaluation-histogram", report.evaluation.histogram,
                                        empty=why(original.evaluation.histogram), compact=True),
        "eval_trend": ch.line_chart(out, "evaluation-trend", "일별 평균 평가 점수", report.evaluation.daily_mean,
                                    ylabel="점수 (1–10)", ylim=(1, 10), color=ch.PURPLE, compact=True),
        "feedback": ch.feedback_chart(out, "feedback-daily", fb.days),
        "reasons": ch.bar_counts(out, "feedback-reasons", "싫어요 이유", fb.reasons, color=ch.ORANGE,
                                 empty=why(original.feedback.reasons), compact=True),
        "satisfaction": ch.bar_counts(out, "feedback-satisfaction", "만족도 점수별 응답 수 (5점 = 매우 만족)",
                                      sorted(fb.satisfaction, key=lambda c: c.label, reverse=True), color=ch.BLUE,
                                      empty=why(original.feedback.satisfaction), compact=True, keep_order=True),
        "satisfaction_trend": ch.line_chart(out, "feedback-satisfaction-trend", "일별 평균 만족도 (1–5)",
                                            [DailyValue(day=d.day, value=d.satisfaction_mean) for d in fb.days],
                                            ylabel="만족도", ylim=(1, 5)),
        "models": ch.models_chart(out, "ai-models", report.ai.models),
        "experiments": ch.experiments_chart(out, "ai-experiments", report.ai.experiments),
        "weekly_eval": ch.line_chart(out, "ai-weekly-eval", "주간 평균 평가 점수", report.ai.weekly_eval,
                                     ylabel="점수 (1–10)", ylim=(1, 10), x_format="week"),
        "latency": ch.latency_chart(out, "system-latency", report.system.stages),
        "errors": ch.errors_chart(out, "system-errors", report.system.days),
        "fallbacks": ch.bar_counts(out, "system-fallbacks", "대체 응답 종류", report.system.fallback_kinds, color=ch.GREY,
                                   empty=why(original.system.fallback_kinds)),
    }


def render_week(report: WeekReport, out_dir: Path, *, root: str = ROOT_FROM_BUILD) -> list[Path]:
    """Render every page of ``report`` into ``out_dir`` (charts, CSS, subset fonts included).

    Small groups are suppressed first (:func:`suppress_small_groups`). Returns the files written.
    """
    from dashboard_site.webfont import write_subset_fonts

    original, report = report, suppress_small_groups(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = _charts(report, original, out_dir / "charts")
    env = _env()
    updated = _kst(report.generated_at)
    written: list[Path] = []
    for page in PAGES:
        html = env.get_template(page.file).render(report=report, page=page, pages=PAGES, charts=charts,
                                                  updated_kst=updated, root=root)
        path = out_dir / page.file
        path.write_text(html, encoding="utf-8")
        written.append(path)
    shutil.copyfile(STATIC / "style.css", out_dir / "style.css")
    texts = [p.read_text(encoding="utf-8") for p in written] + [_root_text_sample()]
    written += write_subset_fonts(out_dir / "fonts", "".join(texts))
    written += [out_dir / "style.css", *sorted((out_dir / "charts").glob("*.png"))]
    return written


def _root_text_sample() -> str:
    """Characters the root pages (index redirect, archive) use, so the shared font covers them."""
    return "나비얌 운영 대시보드 지난 주 리포트 보관함 마지막 업데이트 최신 발행된 주간 최근 순 기간 발행 이동해요 0123456789-–:() KST"


def render_root_pages(manifest: SiteManifest, now: datetime | None = None) -> dict[str, str]:
    """The root files that switch a site to ``manifest.current``: ``index.html``, ``archive.html``, ``manifest.json``."""
    env = _env()
    current = manifest.entry(manifest.current)
    now = now or datetime.now(timezone.utc)
    ctx = dict(current=manifest.current, current_prefix=current.prefix, weeks=manifest.weeks,
               updated_kst=_kst(now), updated_iso=now.isoformat())
    return {
        "archive.html": env.get_template("archive.html").render(**ctx),
        "manifest.json": manifest.model_dump_json(indent=2),
        "index.html": env.get_template("root_index.html").render(**ctx),  # last: the switch
    }
