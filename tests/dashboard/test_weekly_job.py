"""The weekly report's publish-and-notify step against the local stack (moto S3 + DynamoDB)
and a local Slack endpoint: atomic switch, a retry updates instead of posting, a failed
upload leaves the old site, no token writes the payload file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dashboard_site.publish import S3Site
from nabiyam import aws
from nabiyam.jobs.weekly_report import publish_and_notify, week_to_report
from nabiyam.settings import Settings

from notify.slack_server import LocalSlack  # tests/ is on sys.path (rootdir-relative packages)
from .sample import sample_report

pytestmark = pytest.mark.xdist_group("dashboard")
TOKEN = "xoxb-weekly-test"


def _get(settings: Settings, key: str) -> dict[str, Any]:
    return aws.client("s3", settings).get_object(Bucket=settings.site_bucket, Key=key)


def _current_prefix(settings: Settings) -> str:
    html = _get(settings, "index.html")["Body"].read().decode()
    return re.search(r'url=(reports/[^"]+/)index\.html', html)[1]  # type: ignore[index]


def test_publish_switches_the_site_and_a_retry_updates_the_slack_message(clean_stack: Any, tmp_path: Path) -> None:
    with LocalSlack(TOKEN) as slack:
        settings = Settings(slack_bot_token=TOKEN, slack_api_url=slack.base_url, report_dir=tmp_path,
                            dashboard_url="https://dash.example.org/")
        first = publish_and_notify(sample_report("2026-W45"), settings)
        prefix = first["site_prefix"]
        assert _current_prefix(settings) == prefix
        keys = {o["Key"] for o in aws.client("s3", settings).list_objects_v2(
            Bucket=settings.site_bucket, Prefix=prefix)["Contents"]}
        assert {prefix + f for f in ("index.html", "ai.html", "system.html", "style.css", "fonts/nanum-regular.woff",
                                     "charts/system-latency.png")} <= keys
        assert len(keys) == first["site_files"]
        assert _get(settings, prefix + "index.html")["ContentType"] == "text/html; charset=utf-8"
        assert _get(settings, prefix + "charts/activity.png")["ContentType"] == "image/png"
        assert "no-cache" in _get(settings, "index.html")["CacheControl"]
        manifest = json.loads(_get(settings, "manifest.json")["Body"].read())
        assert manifest["current"] == "2026-W45"

        assert first["slack"]["action"] == "posted"
        posted = slack.state.messages[first["slack"]["ts"]]
        button = next(b for b in posted["blocks"] if b["type"] == "actions")["elements"][0]
        assert button["text"]["text"] == "대시보드 보기"
        assert button["url"] == f"https://dash.example.org/{prefix}index.html"
        assert "클릭률" in posted["text"]
        notes = " ".join(b["text"]["text"] for b in posted["blocks"] if b["type"] == "section" and "text" in b)
        assert "*피드백*: 좋아요" in notes and "너무 멀어요 31" in notes
        assert "문을 닫았어요" not in notes  # 4 dislikes with that reason: a small group, hidden as on the site
        assert "*모델 승격*: ranker v3 → v4" in notes and "*실험 ranker-ab*" in notes

        retry = publish_and_notify(sample_report("2026-W45"), settings)
        assert retry["slack"]["action"] == "updated" and retry["slack"]["ts"] == first["slack"]["ts"]
        assert retry["site_prefix"] != prefix and _current_prefix(settings) == retry["site_prefix"]
        assert len(slack.state.calls_to("chat.postMessage")) == 1 and len(slack.state.calls_to("chat.update")) == 1
        updated_button = next(b for b in slack.state.messages[first["slack"]["ts"]]["blocks"]
                              if b["type"] == "actions")["elements"][0]
        assert updated_button["url"].endswith(retry["site_prefix"] + "index.html")

        # an older week republished later joins the archive without moving the front page back
        older = publish_and_notify(sample_report("2026-W44", seed=3), settings)
        assert _current_prefix(settings) == retry["site_prefix"]
        archive = _get(settings, "archive.html")["Body"].read().decode()
        assert older["site_prefix"] in archive and retry["site_prefix"] in archive
        assert len(slack.state.calls_to("chat.postMessage")) == 2  # a new week is a new message


class _FailingSite(S3Site):
    """Dies half-way through uploading a build (a Lambda timeout, a network error)."""

    def put_build(self, prefix: str, build_dir: Path) -> int:
        files = sorted(p for p in build_dir.rglob("*") if p.is_file())
        for path in files[:3]:
            self.s3.put_object(Bucket=self.bucket, Key=prefix + path.relative_to(build_dir).as_posix(), Body=b"x")
        raise ConnectionError("upload interrupted")


def test_a_failed_upload_leaves_the_previous_site_in_place(clean_stack: Any, tmp_path: Path) -> None:
    settings = Settings(slack_bot_token=None, slack_bot_token_secret=None, report_dir=tmp_path)
    good = publish_and_notify(sample_report("2026-W44"), settings)
    with pytest.raises(ConnectionError):
        publish_and_notify(sample_report("2026-W45"), settings, site=_FailingSite(settings=settings))
    assert _current_prefix(settings) == good["site_prefix"]
    assert json.loads(_get(settings, "manifest.json")["Body"].read())["current"] == "2026-W44"


def test_without_a_token_the_payload_is_written_and_said(clean_stack: Any, tmp_path: Path) -> None:
    settings = Settings(slack_bot_token=None, slack_bot_token_secret=None, report_dir=tmp_path)
    result = publish_and_notify(sample_report("2026-W45"), settings)
    assert result["slack"]["action"] == "written"
    assert "no Slack token" in result["slack"]["message"]
    payload = json.loads(Path(result["slack"]["payload_file"]).read_text(encoding="utf-8"))
    assert payload["blocks"][0]["type"] == "header" and payload["text"]


def test_the_scheduled_run_covers_the_week_before() -> None:
    from datetime import datetime

    from nabiyam.domain.hours import KST
    from nabiyam.infra.scheduled import parse_event

    monday = parse_event("weekly_report", {"scheduled_time": datetime(2026, 11, 9, 9, 0, tzinfo=KST).isoformat()})
    assert week_to_report(monday) == "2026-W45"  # Mon 11/09 → the week 11/02–11/08
    manual = parse_event("weekly_report", {"week": "2026-W40"})
    assert week_to_report(manual) == "2026-W40"
