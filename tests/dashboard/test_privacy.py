"""End to end on simulated traffic: the weekly-report job (the scheduled path) publishes the
site to the site bucket and posts to a local Slack; then every generated file — each object
in the site bucket and the Block Kit payload — is searched for every user message, free-text
reason, user id, session id and conversation id of the week's log. None may appear."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from nabiyam import aws
from nabiyam.domain.hours import KST
from nabiyam.infra.scheduled import run_scheduled_job
from nabiyam.lake.reader import read_range
from nabiyam.settings import Settings, get_settings
from notify.slack_server import LocalSlack  # tests/ is on sys.path (rootdir-relative packages)

from .conftest import SimulatedLog

pytestmark = pytest.mark.xdist_group("dashboard-sim")
TOKEN = "xoxb-privacy-test"
#: Messages shorter than this are single words ("치킨", "안녕") that may rightly be a topic label;
#: anything this long is a sentence a child typed and must never be shown.
MIN_SENTENCE_CHARS = 6


@pytest.fixture(scope="module")
def weekly_run(simulated_log: SimulatedLog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One run of the job for both tests (a run renders 18 charts: once is enough)."""
    with LocalSlack(TOKEN) as slack, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("NABIYAM_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("NABIYAM_SLACK_API_URL", slack.base_url)
        monkeypatch.setenv("NABIYAM_REPORT_DIR", str(tmp_path_factory.mktemp("reports")))
        get_settings.cache_clear()
        # the Monday-09:00-KST scheduler payload: the job covers the week that just ended (2026-W45)
        event = {"job": "weekly_report", "scheduled_time": datetime(2026, 11, 9, 9, 0, tzinfo=KST).isoformat(),
                 "execution_id": "privacy-test", "attempt": "1"}
        result = run_scheduled_job("weekly_report", event)
        yield {"result": result, "slack": slack, "settings": Settings()}
    get_settings.cache_clear()


def _site_objects(settings: Settings) -> dict[str, bytes]:
    s3 = aws.client("s3", settings)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.site_bucket)
            for o in page.get("Contents", [])]
    return {k: s3.get_object(Bucket=settings.site_bucket, Key=k)["Body"].read() for k in keys}


def _secrets_of_the_log(simulated_log: SimulatedLog) -> dict[str, set[str]]:
    start, end = simulated_log.start, "2026-11-08"
    conversations = read_range("conversations", start, end)
    feedback = read_range("feedback", start, end)
    return {
        "message": {c.message.strip() for c in conversations if len(c.message.strip()) >= MIN_SENTENCE_CHARS},
        "reason_text": {f.reason_text.strip() for f in feedback  # type: ignore[attr-defined]
                        if f.reason_text and len(f.reason_text.strip()) >= MIN_SENTENCE_CHARS},  # type: ignore[attr-defined]
        "user_id": {c.user_id for c in conversations} | {f.user_id for f in feedback},  # type: ignore[attr-defined]
        "session_id": {c.session_id for c in conversations if c.session_id},
        "conversation_id": {c.conversation_id for c in conversations},
    }


def _leaks(files: dict[str, bytes], secrets: dict[str, set[str]]) -> list[str]:
    found = []
    for name, data in files.items():
        for kind, values in secrets.items():
            for value in values:
                if value.encode("utf-8") in data:
                    found.append(f"{kind} {value!r} in {name}")
    return found


def test_no_user_text_or_id_reaches_any_generated_file(weekly_run: dict[str, Any], simulated_log: SimulatedLog) -> None:
    result = weekly_run["result"]
    assert result["status"] == "ok", result
    assert result["result"]["week"] == "2026-W45" and result["result"]["slack"]["action"] == "posted"
    files = _site_objects(weekly_run["settings"])
    slack = weekly_run["slack"].state
    files["slack-message.json"] = json.dumps(list(slack.messages.values()), ensure_ascii=False).encode("utf-8")
    assert sum(name.endswith(".html") for name in files) >= 9 and sum(name.endswith(".png") for name in files) >= 10

    secrets = _secrets_of_the_log(simulated_log)
    assert len(secrets["message"]) >= 20 and len(secrets["user_id"]) >= 10  # the search has something to find
    assert _leaks(files, secrets) == []

    # the search does find a leak when there is one (it can fail)
    planted = dict(files)
    page = next(name for name in files if name.endswith("topics.html"))
    message, user = sorted(secrets["message"])[0], sorted(secrets["user_id"])[0]
    planted[page] = files[page] + f"<p>{message} {user}</p>".encode()
    assert len(_leaks(planted, secrets)) >= 2


def test_the_site_shows_the_logged_week(weekly_run: dict[str, Any], simulated_log: SimulatedLog) -> None:
    """Numbers on the page agree with a count made here from the same lake rows."""
    conversations = read_range("conversations", simulated_log.start, "2026-11-08")
    feedback = read_range("feedback", simulated_log.start, "2026-11-08")
    showed = {c.conversation_id for c in conversations if c.result_count > 0}
    clicked = {f.conversation_id for f in feedback if f.kind == "interaction" and f.feedback_type == "clicked"}  # type: ignore[attr-defined]
    ctr = len(showed & clicked) / len(showed)
    files = _site_objects(weekly_run["settings"])
    overview = next(v for k, v in files.items() if k.endswith("/index.html")).decode("utf-8")
    assert f'<p class="kpi-value">{len(conversations):,}</p>' in overview
    assert f'<p class="kpi-value">{ctr * 100:.1f}%</p>' in overview
    message = next(iter(weekly_run["slack"].state.messages.values()))
    assert f"대화 수 {len(conversations):,}" in message["text"] and f"클릭률 {ctr * 100:.1f}%" in message["text"]
