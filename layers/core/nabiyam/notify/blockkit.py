"""Slack Block Kit: build the weekly report message and check it against Slack's limits.

Slack rejects a message whose blocks break its limits (``invalid_blocks``) — after the
job has done all its work. :func:`validate_message` checks the same limits first and names
the block and field at fault, so a bad payload fails in tests, not on Monday morning.

Example::

    >>> msg = build_weekly_message(WeeklySlackReport(
    ...     title="나비얌 주간 리포트", period="2026-W45 (11/02–11/08)",
    ...     kpis=[KpiLine(label="클릭률", value="12.5%", delta="▲ +0.8%p (개선)")],
    ...     alerts=[], dashboard_url="https://example.com/"))
    >>> validate_message(msg)
    >>> msg["blocks"][0]["type"], msg["text"][:10]
    ('header', '나비얌 주간 리포트')
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class BlockKitLimits:
    """Slack's documented Block Kit limits (api.slack.com/reference/block-kit)."""

    MESSAGE_BLOCKS = 50
    MESSAGE_TEXT = 40_000  # chat.postMessage truncates top-level text beyond this
    HEADER_TEXT = 150
    SECTION_TEXT = 3_000
    SECTION_FIELDS = 10
    SECTION_FIELD_TEXT = 2_000
    CONTEXT_ELEMENTS = 10
    CONTEXT_TEXT = 3_000  # per text element, like a section's text
    ACTIONS_ELEMENTS = 25
    BUTTON_TEXT = 75
    BUTTON_URL = 3_000
    ACTION_ID = 255
    BLOCK_ID = 255


class BlockKitError(ValueError):
    """A message that Slack would reject; the message names the block and the limit."""


def _text_len(obj: Any, where: str) -> int:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn") or not isinstance(obj.get("text"), str):
        raise BlockKitError(f"{where}: a text object needs type plain_text|mrkdwn and a string text")
    if not obj["text"]:
        raise BlockKitError(f"{where}: text must not be empty")
    return len(obj["text"])


def _check_len(value: int, limit: int, where: str) -> None:
    if value > limit:
        raise BlockKitError(f"{where}: {value} characters, Slack allows at most {limit}")


def validate_message(message: dict[str, Any]) -> None:
    """Raise :class:`BlockKitError` if ``message`` (``text`` + ``blocks``) breaks a Block Kit limit.

    Checks: a non-empty top-level ``text`` (Slack's fallback for notifications and screen
    readers), at most 50 blocks, unique block ids, header ≤ 150 plain-text characters, section
    text ≤ 3000, ≤ 10 fields of ≤ 2000 each, context ≤ 10 elements, actions ≤ 25 elements,
    button text ≤ 75 plain-text characters with an http(s) url ≤ 3000 and action id ≤ 255.
    """
    L = BlockKitLimits
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BlockKitError("text: the top-level text is required (notification and accessibility fallback)")
    _check_len(len(text), L.MESSAGE_TEXT, "text")
    blocks = message.get("blocks", [])
    if not isinstance(blocks, list):
        raise BlockKitError("blocks: must be a list")
    if len(blocks) > L.MESSAGE_BLOCKS:
        raise BlockKitError(f"blocks: {len(blocks)} blocks, Slack allows at most {L.MESSAGE_BLOCKS} per message")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        where = f"blocks[{i}] ({kind})"
        if kind is None:
            raise BlockKitError(f"blocks[{i}]: a block needs a type")
        if "block_id" in block:
            _check_len(len(block["block_id"]), L.BLOCK_ID, f"{where}.block_id")
            if block["block_id"] in seen_ids:
                raise BlockKitError(f"{where}.block_id: {block['block_id']!r} is used twice")
            seen_ids.add(block["block_id"])
        if kind == "header":
            if block.get("text", {}).get("type") != "plain_text":
                raise BlockKitError(f"{where}.text: a header takes plain_text only")
            _check_len(_text_len(block["text"], f"{where}.text"), L.HEADER_TEXT, f"{where}.text")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                raise BlockKitError(f"{where}: a section needs text or fields")
            if "text" in block:
                _check_len(_text_len(block["text"], f"{where}.text"), L.SECTION_TEXT, f"{where}.text")
            fields = block.get("fields", [])
            if len(fields) > L.SECTION_FIELDS:
                raise BlockKitError(f"{where}.fields: {len(fields)} fields, Slack allows at most {L.SECTION_FIELDS}")
            for j, field in enumerate(fields):
                _check_len(_text_len(field, f"{where}.fields[{j}]"), L.SECTION_FIELD_TEXT, f"{where}.fields[{j}]")
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= L.CONTEXT_ELEMENTS:
                raise BlockKitError(f"{where}.elements: {len(elements)} elements, allowed 1..{L.CONTEXT_ELEMENTS}")
            for j, el in enumerate(elements):
                if el.get("type") in ("plain_text", "mrkdwn"):
                    _check_len(_text_len(el, f"{where}.elements[{j}]"), L.CONTEXT_TEXT, f"{where}.elements[{j}]")
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= L.ACTIONS_ELEMENTS:
                raise BlockKitError(f"{where}.elements: {len(elements)} elements, allowed 1..{L.ACTIONS_ELEMENTS}")
            for j, el in enumerate(elements):
                ew = f"{where}.elements[{j}]"
                if el.get("type") == "button":
                    if el.get("text", {}).get("type") != "plain_text":
                        raise BlockKitError(f"{ew}.text: a button takes plain_text only")
                    _check_len(_text_len(el["text"], f"{ew}.text"), L.BUTTON_TEXT, f"{ew}.text")
                    url = el.get("url")
                    if url is not None:
                        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                            raise BlockKitError(f"{ew}.url: {url!r} is not an http(s) URL")
                        _check_len(len(url), L.BUTTON_URL, f"{ew}.url")
                if "action_id" in el:
                    _check_len(len(el["action_id"]), L.ACTION_ID, f"{ew}.action_id")
        elif kind == "divider":
            pass
        else:
            raise BlockKitError(f"{where}: block type {kind!r} is not one this report uses")


class KpiLine(BaseModel):
    """One KPI as Slack shows it: the value and its week-over-week delta, already worded.

    ``delta`` carries an arrow *and* a number (▲ +0.8%p), never colour alone.
    """

    label: str
    value: str
    delta: str = Field("", description="e.g. '▲ +0.8%p (개선)'; empty when there is no previous week")


class WeeklySlackReport(BaseModel):
    """What the weekly Slack message says; :func:`build_weekly_message` lays it out."""

    title: str
    period: str
    kpis: list[KpiLine]
    alerts: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="short lines under the KPIs (feedback, AI performance)")
    dashboard_url: str
    footer: str = ""


BUTTON_LABEL = "대시보드 보기"
FIELDS_PER_SECTION = BlockKitLimits.SECTION_FIELDS
MAX_ALERT_LINES = 10


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_weekly_message(report: WeeklySlackReport) -> dict[str, Any]:
    """Block Kit for the weekly report: header, period, KPI fields (≤ 10 per section),
    alerts, notes, a "대시보드 보기" button to the site, and the required top-level ``text``.

    Long inputs are clipped to the limits (a KPI label never breaks the post); the result
    always passes :func:`validate_message`.
    """
    L = BlockKitLimits
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(report.title, L.HEADER_TEXT), "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(f"기간: {report.period}", L.CONTEXT_TEXT)}]},
    ]
    for start in range(0, len(report.kpis), FIELDS_PER_SECTION):
        chunk = report.kpis[start:start + FIELDS_PER_SECTION]
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": _clip(f"*{k.label}*\n{k.value}" + (f"  {k.delta}" if k.delta else ""),
                                             L.SECTION_FIELD_TEXT)}
            for k in chunk]})
    blocks.append({"type": "divider"})
    if report.alerts:
        shown = report.alerts[:MAX_ALERT_LINES]
        more = len(report.alerts) - len(shown)
        lines = "\n".join(f"• {a}" for a in shown) + (f"\n• 그 밖에 {more}건 (대시보드 참고)" if more else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(f":warning: *알림 {len(report.alerts)}건*\n{lines}",
                                                                                 L.SECTION_TEXT)}})
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": ":white_check_mark: 이번 주 알림 없음"}})
    if report.notes:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _clip("\n".join(report.notes), L.SECTION_TEXT)}})
    blocks.append({"type": "actions", "block_id": "dashboard", "elements": [
        {"type": "button", "action_id": "open_dashboard", "style": "primary", "url": report.dashboard_url,
         "text": {"type": "plain_text", "text": BUTTON_LABEL, "emoji": True}}]})
    if report.footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(report.footer, L.CONTEXT_TEXT)}]})

    kpi_text = ", ".join(f"{k.label} {k.value}" + (f" ({k.delta})" if k.delta else "") for k in report.kpis)
    alert_text = f" 알림 {len(report.alerts)}건." if report.alerts else " 알림 없음."
    text = _clip(f"{report.title} {report.period}: {kpi_text}.{alert_text} {BUTTON_LABEL}: {report.dashboard_url}",
                 L.MESSAGE_TEXT)
    message = {"text": text, "blocks": blocks}
    validate_message(message)
    return message
