"""`nabiyam serve` end to end: a real subprocess on a free loopback port against the worker's
moto stack; prints what it loaded and example curls, answers /health and /chat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


NABIYAM = str(Path(sys.executable).parent / "nabiyam")  # the console script, as a developer runs it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_prints_examples_and_answers(local_stack: Any, api_catalogue: Any, tmp_path: Path) -> None:
    snapshot = api_catalogue.to_snapshot(tmp_path / "catalogue.json.gz")
    port = _free_port()
    env = {**os.environ, "NABIYAM_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
           "NABIYAM_MODEL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([NABIYAM, "serve", "--port", str(port),
                                 "--catalogue", str(snapshot)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # bounded: 30 s
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"nabiyam serve did not come up:\n{log.read_text()[-3000:]}")
        health = httpx.get(f"{base}/health").json()
        assert health["catalogue"] == {"shops": 10, "loaded": True}
        r = httpx.post(f"{base}/chat", json={"user_id": "u_cli", "message": "떡볶이 먹고 싶어",
                                             "context": {"district": "관악구"}}, timeout=10)
        assert r.status_code == 200 and r.json()["response"]
        # A second server on the same port is refused with a readable error, not a traceback.
        second = subprocess.run([NABIYAM, "serve", "--port", str(port)], env=env,
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert second.returncode == 2 and "already in use" in second.stderr and "Traceback" not in second.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    text = log.read_text()
    assert "curl -s -X POST http://127.0.0.1:" in text and "/chat" in text and "/feedback" in text
    assert "catalogue  10 shops" in text
