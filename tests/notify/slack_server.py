"""A local HTTP endpoint that speaks the part of Slack's Web API the report uses.

``chat.postMessage`` and ``chat.update`` over real HTTP on 127.0.0.1 (slack-sdk's WebClient
is pointed at it with ``base_url``). It checks the bearer token, keeps every message it was
sent, answers like Slack (``ok``, ``channel``, ``ts``; ``message_not_found`` for an unknown
ts) and can answer the next N calls with HTTP 429 + ``Retry-After``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CHANNEL_ID = "C0NABIYAM"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    at: float
    status: int


@dataclass
class SlackState:
    token: str
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> message
    rate_limit_next: int = 0
    retry_after_s: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Any = field(default_factory=lambda: itertools.count(1))

    def calls_to(self, method: str, status: int | None = 200) -> list[Call]:
        return [c for c in self.calls if c.method == method and (status is None or c.status == status)]


def _handler(state: SlackState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            method = self.path.rsplit("/", 1)[-1]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw or b"{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            with state.lock:
                if state.rate_limit_next > 0:
                    state.rate_limit_next -= 1
                    state.calls.append(Call(method, body, time.monotonic(), 429))
                    self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(state.retry_after_s)})
                    return
                state.calls.append(Call(method, body, time.monotonic(), 200))
                if self.headers.get("Authorization") != f"Bearer {state.token}":
                    self._send(200, {"ok": False, "error": "invalid_auth"})
                    return
                if not body.get("text") and not body.get("blocks"):
                    self._send(200, {"ok": False, "error": "no_text"})
                    return
                if method == "chat.postMessage":
                    ts = f"{1_700_000_000 + next(state._ts)}.000100"
                    state.messages[ts] = {"channel": body["channel"], "text": body.get("text"), "blocks": body.get("blocks")}
                    self._send(200, {"ok": True, "channel": CHANNEL_ID, "ts": ts, "message": state.messages[ts]})
                elif method == "chat.update":
                    ts = body.get("ts")
                    if body.get("channel") != CHANNEL_ID or ts not in state.messages:
                        self._send(200, {"ok": False, "error": "message_not_found"})
                        return
                    state.messages[ts].update(text=body.get("text"), blocks=body.get("blocks"))
                    self._send(200, {"ok": True, "channel": CHANNEL_ID, "ts": ts, "text": body.get("text")})
                else:
                    self._send(200, {"ok": False, "error": "unknown_method"})

    return Handler


class LocalSlack:
    """``with LocalSlack("xoxb-test") as slack: slack.base_url`` → ``http://127.0.0.1:PORT/api/``."""

    def __init__(self, token: str) -> None:
        self.state = SlackState(token=token)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def __enter__(self) -> LocalSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
