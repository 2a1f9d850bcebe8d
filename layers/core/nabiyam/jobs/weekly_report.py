"""Weekly report (Monday 09:00 KST): render the dashboard site, publish it, post to Slack.

``run(run)`` covers an ISO week: ``run.week`` (``nabiyam jobs weekly-report --week 2026-W45``)
or, on the schedule, the week that ended the day before the run (Monday → the Mon–Sun just
past). Steps, each safe to retry:

1. build the :class:`~dashboard_site.model.WeekReport` from the stored daily metrics
   (:func:`dashboard_site.from_metrics.load_week_report`);
2. render it and publish it to the site bucket atomically — a new prefix, then the root
   ``index.html`` switches (:func:`dashboard_site.publish.publish_week`);
3. post the Block Kit summary with a "대시보드 보기" button to the week's pages; a retried
   run updates the message it posted (the ledger), and with no bot token the payload is
   written to ``Settings.report_dir`` instead (the result says so).

Example::

    nabiyam jobs weekly-report --week 2026-W45
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nabiyam.infra.scheduled import ScheduledRun
from nabiyam.notify.blockkit import KpiLine, WeeklySlackReport, build_weekly_message
from nabiyam.notify.ledger import LedgerKey, MessageLedger
from nabiyam.notify.slack import make_client, publish_report, resolve_token
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings

if TYPE_CHECKING:  # the generator is imported when the job runs (it needs the reporting layer)
    from dashboard_site.model import WeekReport
    from dashboard_site.publish import SiteTarget

logger = get_logger("jobs.weekly_report")

REPORT = "weekly_report"
TITLE = "📊 나비얌 주간 리포트"


def week_of(day: date) -> str:
    """ISO week label of ``day``: ``2026-W45``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_to_report(run: ScheduledRun) -> str:
    """The week a run covers: ``run.week`` if given, else the ISO week before the run's KST day."""
    if run.week:
        return run.week
    return week_of(run.kst_date - timedelta(days=7))


def slack_summary(report: WeekReport, dashboard_url: str) -> WeeklySlackReport:
    """The Slack view of a :class:`~dashboard_site.model.WeekReport`: KPIs with arrow + number + verdict,
    alerts, feedback totals, experiments and promotions — with the site's small-group suppression."""
    from dashboard_site.model import MIN_GROUP_SIZE, suppress_small_groups

    shown = suppress_small_groups(report)
    kpis = [KpiLine(label=k.label, value=k.value_text,
                    delta=(f"{k.delta_text} {k.verdict}".strip() if k.delta_text else k.missing_text))
            for k in report.kpis]
    alerts = [f"[{a.severity_label}] {a.title}" + (f" — {a.detail}" if a.detail else "") for a in report.alerts]
    notes = []
    likes = sum(d.likes for d in report.feedback.days)
    dislikes = sum(d.dislikes for d in report.feedback.days)
    if likes + dislikes >= MIN_GROUP_SIZE:
        top = sorted(shown.feedback.reasons, key=lambda c: -c.count)[:3]
        notes.append(f"*피드백*: 좋아요 {likes:,} · 싫어요 {dislikes:,}"
                     + (" (싫어요 이유: " + ", ".join(f"{c.label} {c.count:,}" for c in top) + ")" if top else ""))
    for e in shown.ai.experiments:
        notes.append(f"*실험 {e.name}* ({e.metric}): 차이 {e.diff:+.3f} [{e.ci_low:+.3f}, {e.ci_high:+.3f}] — {e.conclusion}")
    for r in report.ai.registry:
        if report.start <= r.at.date() <= report.end:
            notes.append(f"*모델 {r.action_label}*: {r.model} {r.previous_version or '—'} → {r.version}"
                         + (f" ({r.reason})" if r.reason else ""))
    return WeeklySlackReport(title=TITLE, period=report.period_label, kpis=kpis, alerts=alerts, notes=notes,
                             dashboard_url=dashboard_url,
                             footer="집계 수치만 담았어요 · 작은 그룹은 숨겨요 · 지난주 대비 변화는 화살표와 숫자로 표시해요")


def publish_and_notify(report: WeekReport, settings: Settings, *, site: SiteTarget | None = None,
                       work_dir: Path | None = None) -> dict[str, Any]:
    """Publish ``report`` to the site and post/update the Slack message."""
    from dashboard_site.publish import S3Site, publish_week

    site = site or S3Site(settings=settings)
    with tempfile.TemporaryDirectory(prefix="nabiyam-site-") as tmp:
        published = publish_week(report, site, work_dir=work_dir or Path(tmp))
    url = settings.dashboard_url.rstrip("/") + "/" + published.prefix + "index.html"
    message = build_weekly_message(slack_summary(report, url))
    token = resolve_token(settings)
    client = make_client(token, base_url=settings.slack_api_url) if token else None
    key = LedgerKey(report=REPORT, period=report.week, channel=settings.slack_channel)
    posted = publish_report(message, key, client=client, ledger=MessageLedger(settings),
                            payload_dir=settings.report_dir)
    logger.info("weekly report published", extra={"week": report.week, "prefix": published.prefix,
                                                  "slack": posted.action})
    return {"week": report.week, "site_prefix": published.prefix, "site_files": published.files,
            "dashboard_url": url, "slack": posted.model_dump(exclude_none=True)}


def run(run: ScheduledRun) -> dict[str, Any]:
    from dashboard_site.from_metrics import load_week_report

    settings = get_settings()
    week = week_to_report(run)
    report = load_week_report(week, settings)
    return publish_and_notify(report, settings)
