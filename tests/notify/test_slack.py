"""Posting the report through slack-sdk to a local Slack endpoint over HTTP, with the
ledger in the local (moto) DynamoDB: post once, update on retry, honour 429 Retry-After,
and fall back to a payload file when there is no token."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from nabiyam.notify.blockkit import KpiLine, WeeklySlackReport, build_weekly_message
from nabiyam.notify.ledger import LedgerKey, MessageLedger
from nabiyam.notify.slack import SlackConfigError, make_client, publish_report, resolve_token
from nabiyam.settings import Settings

from .slack_server import CHANNEL_ID, LocalSlack

TOKEN = "xoxb-local-test-token"
pytestmark = pytest.mark.xdist_group("notify")


@pytest.fixture()
def slack() -> Iterator[LocalSlack]:
    with LocalSlack(TOKEN) as server:
        yield server


def _message(ctr: str = "12.5%") -> dict[str, Any]:
    return build_weekly_message(WeeklySlackReport(
        title="나비얌 주간 리포트", period="2026-W45", kpis=[KpiLine(label="클릭률", value=ctr, delta="▲ +0.8%p")],
        dashboard_url="https://dashboard.example.com/"))


KEY = LedgerKey(report="weekly_report", period="2026-W45", channel="#nabiyam-report")


def test_first_run_posts_and_a_retry_updates_the_same_message(clean_stack: Any, slack: LocalSlack, tmp_path: Path) -> None:
    ledger = MessageLedger(Settings())
    client = make_client(TOKEN, base_url=slack.base_url)
    first = publish_report(_message("12.5%"), KEY, client=client, ledger=ledger, payload_dir=tmp_path)
    assert first.action == "posted" and first.channel_id == CHANNEL_ID
    assert ledger.get(KEY).ts == first.ts  # the ledger is in DynamoDB (moto), not in memory

    # a retried run: a new client and a new ledger object, as in a new Lambda invocation
    second = publish_report(_message("13.0%"), KEY, client=make_client(TOKEN, base_url=slack.base_url),
                            ledger=MessageLedger(Settings()), payload_dir=tmp_path)
    assert second.action == "updated" and second.ts == first.ts
    assert len(slack.state.calls_to("chat.postMessage")) == 1
    assert len(slack.state.calls_to("chat.update")) == 1
    assert slack.state.messages[first.ts]["text"].count("13.0%") == 1  # the one message now says the new figure
    assert ledger.get(KEY).updates == 1

    other_week = KEY.model_copy(update={"period": "2026-W46"})
    third = publish_report(_message(), other_week, client=client, ledger=ledger, payload_dir=tmp_path)
    assert third.action == "posted" and third.ts != first.ts


def test_rate_limited_call_is_retried_after_retry_after(clean_stack: Any, slack: LocalSlack, tmp_path: Path) -> None:
    slack.state.rate_limit_next = 1
    slack.state.retry_after_s = 1
    result = publish_report(_message(), KEY, client=make_client(TOKEN, base_url=slack.base_url),
                            ledger=MessageLedger(Settings()), payload_dir=tmp_path)
    assert result.action == "posted"
    limited, ok = slack.state.calls_to("chat.postMessage", 429), slack.state.calls_to("chat.postMessage", 200)
    assert len(limited) == 1 and len(ok) == 1
    # slack-sdk waited Retry-After (1 s) before retrying; 0.9 s leaves room for clock granularity
    assert ok[0].at - limited[0].at >= 0.9
    assert len(slack.state.messages) == 1  # the 429 did not post anything


def test_a_deleted_message_is_posted_again(clean_stack: Any, slack: LocalSlack, tmp_path: Path) -> None:
    ledger = MessageLedger(Settings())
    client = make_client(TOKEN, base_url=slack.base_url)
    first = publish_report(_message(), KEY, client=client, ledger=ledger, payload_dir=tmp_path)
    slack.state.messages.clear()  # someone deleted it in Slack
    again = publish_report(_message(), KEY, client=client, ledger=ledger, payload_dir=tmp_path)
    assert again.action == "posted" and again.ts != first.ts and ledger.get(KEY).ts == again.ts


def test_no_token_writes_the_payload_file(clean_stack: Any, tmp_path: Path) -> None:
    result = publish_report(_message(), KEY, client=None, ledger=MessageLedger(Settings()), payload_dir=tmp_path)
    assert result.action == "written" and "no Slack token" in result.message
    payload = json.loads(Path(result.payload_file).read_text(encoding="utf-8"))
    assert payload["channel"] == "#nabiyam-report" and payload["blocks"][0]["type"] == "header"
    assert MessageLedger(Settings()).get(KEY) is None  # nothing was posted, nothing recorded


def test_token_comes_from_secrets_manager(local_stack: Any, slack: LocalSlack, tmp_path: Path) -> None:
    sm = boto3.client("secretsmanager", endpoint_url=local_stack.endpoint, region_name="ap-northeast-2",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    name = f"nabiyam-test/slack-{time.monotonic_ns()}"
    sm.create_secret(Name=name, SecretString=json.dumps({"bot_token": TOKEN}))
    settings = Settings(slack_bot_token=None, slack_bot_token_secret=name)
    assert resolve_token(settings) == TOKEN
    # the token read from the secret is the one the local Slack accepts
    result = publish_report(_message(), KEY.model_copy(update={"period": name}), ledger=MessageLedger(settings),
                            client=make_client(resolve_token(settings), base_url=slack.base_url), payload_dir=tmp_path)
    assert result.action == "posted"

    sm.put_secret_value(SecretId=name, SecretString="unset")  # the template's placeholder
    assert resolve_token(settings) is None
    sm.put_secret_value(SecretId=name, SecretString="hunter2")
    with pytest.raises(SlackConfigError, match="does not hold a Slack token"):
        resolve_token(settings)
    assert resolve_token(Settings(slack_bot_token=None, slack_bot_token_secret="nabiyam-test/missing")) is None


def test_wrong_token_is_an_error_not_a_silent_success(clean_stack: Any, slack: LocalSlack, tmp_path: Path) -> None:
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError, match="invalid_auth"):
        publish_report(_message(), KEY, client=make_client("xoxb-wrong", base_url=slack.base_url),
                       ledger=MessageLedger(Settings()), payload_dir=tmp_path)
    assert MessageLedger(Settings()).get(KEY) is None
