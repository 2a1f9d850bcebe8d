"""Post (or, on a retry, update) a report message in Slack with slack-sdk.

* The bot token comes from Secrets Manager (``Settings.slack_bot_token_secret``, declared in
  template.yaml as ``SlackBotTokenSecret``); ``NABIYAM_SLACK_BOT_TOKEN`` overrides it for
  local runs. No token → :func:`publish_report` writes the Block Kit payload to a file and
  says so in its result.
* Idempotent: the :class:`~nabiyam.notify.ledger.MessageLedger` keeps the ``ts`` of the
  message; a second run for the same (report, period, channel) calls ``chat.update``.
* HTTP 429: slack-sdk's :class:`RateLimitErrorRetryHandler` sleeps for ``Retry-After`` and
  retries (``RATE_LIMIT_RETRIES`` times).

Example (a local Slack endpoint, as in tests)::

    client = make_client("xoxb-test", base_url="http://127.0.0.1:8765/api/")
    result = publish_report(message, key, client=client, ledger=MessageLedger())
    result.action   # "posted" the first time, "updated" after that
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from nabiyam import aws
from nabiyam.notify.blockkit import validate_message
from nabiyam.notify.ledger import LedgerKey, MessageLedger
from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings

logger = get_logger("notify.slack")

RATE_LIMIT_RETRIES = 3
TIMEOUT_S = 10
#: chat.update errors that mean "the recorded message is gone": post a new one.
MESSAGE_GONE = ("message_not_found", "cant_update_message", "channel_not_found")


class SlackConfigError(RuntimeError):
    """The Slack token secret exists but cannot be read or has no token in it."""


class PublishResult(BaseModel):
    action: Literal["posted", "updated", "written"]
    channel: str
    ts: str | None = None
    channel_id: str | None = None
    payload_file: str | None = None
    message: str = ""


def make_client(token: str, *, base_url: str | None = None) -> WebClient:
    """A WebClient that honours 429 Retry-After and retries a dropped connection once."""
    kwargs: dict[str, Any] = {"token": token, "timeout": TIMEOUT_S, "retry_handlers": [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(**kwargs)


def _token_from_secret_string(secret: str, secret_id: str) -> str | None:
    secret = secret.strip()
    if not secret:
        return None
    if secret.startswith("{"):
        try:
            data = json.loads(secret)
        except ValueError as exc:
            raise SlackConfigError(f"secret {secret_id} looks like JSON but does not parse: {exc}") from exc
        token = data.get("bot_token") or data.get("token") if isinstance(data, dict) else None
        if token is None:
            raise SlackConfigError(f"secret {secret_id} is JSON without a 'bot_token' field")
        secret = str(token).strip()
    if not secret or secret == "unset":
        return None  # the template's placeholder: no token configured yet
    if not secret.startswith("xox"):
        raise SlackConfigError(f"secret {secret_id} does not hold a Slack token (tokens start with 'xox')")
    return secret


def resolve_token(settings: Settings | None = None) -> str | None:
    """The bot token: ``NABIYAM_SLACK_BOT_TOKEN`` if set, else the Secrets Manager secret, else None."""
    settings = settings or get_settings()
    if settings.slack_bot_token:
        return settings.slack_bot_token
    secret_id = settings.slack_bot_token_secret
    if not secret_id:
        return None
    client = aws.client("secretsmanager", settings)
    try:
        value = client.get_secret_value(SecretId=secret_id)
    except client.exceptions.ResourceNotFoundException:
        logger.warning("slack token secret not found; the report is written to a file", extra={"secret": secret_id})
        return None
    return _token_from_secret_string(value.get("SecretString") or "", secret_id)


def write_payload(message: dict[str, Any], key: LedgerKey, out_dir: Path) -> Path:
    """Write the Block Kit payload (what would be posted) to ``out_dir``; returns the file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    safe_channel = "".join(c if c.isalnum() or c in "-_" else "_" for c in key.channel)
    path = out_dir / f"slack-{key.report}-{key.period}-{safe_channel}.json"
    path.write_text(json.dumps({"channel": key.channel, **message}, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def publish_report(message: dict[str, Any], key: LedgerKey, *, client: WebClient | None,
                   ledger: MessageLedger, payload_dir: Path) -> PublishResult:
    """Post the message, or update the one already posted for ``key``; without a client, write a file.

    The payload is validated against Block Kit limits first (:class:`BlockKitError` names the
    block at fault). A recorded message that Slack no longer has is posted afresh.
    """
    validate_message(message)
    if client is None:
        path = write_payload(message, key, payload_dir)
        note = f"no Slack token configured: the Block Kit payload was written to {path}"
        logger.warning(note)
        return PublishResult(action="written", channel=key.channel, payload_file=str(path), message=note)
    entry = ledger.get(key)
    if entry is not None:
        try:
            resp = client.chat_update(channel=entry.channel_id, ts=entry.ts, text=message["text"],
                                      blocks=message.get("blocks"))
        except SlackApiError as exc:
            if exc.response.get("error") not in MESSAGE_GONE:
                raise
            logger.warning("the recorded Slack message is gone; posting a new one",
                           extra={"ledger_id": key.id, "error": exc.response.get("error")})
        else:
            ledger.touch(entry)
            return PublishResult(action="updated", channel=key.channel, ts=str(resp["ts"]),
                                 channel_id=str(resp["channel"]), message=f"updated the message {entry.ts}")
    resp = client.chat_postMessage(channel=key.channel, text=message["text"], blocks=message.get("blocks"),
                                   unfurl_links=False, unfurl_media=False)
    ledger.record(key, channel_id=str(resp["channel"]), ts=str(resp["ts"]))
    return PublishResult(action="posted", channel=key.channel, ts=str(resp["ts"]), channel_id=str(resp["channel"]),
                         message=f"posted to {key.channel}")
