"""`nabiyam local up | status | down` as a developer runs them, and the settings precedence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NABIYAM = str(Path(sys.executable).parent / "nabiyam")


def _env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NABIYAM_"))}
    env.update({"NABIYAM_STATE_DIR": str(state_dir), **extra})
    return env


def _cli(state_dir: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NABIYAM, *argv], capture_output=True, text=True, timeout=120, env=_env(state_dir, **extra),
                          cwd=state_dir.parent, check=False)


def test_up_reuses_status_reports_down_stops(tmp_path: Path) -> None:
    state = tmp_path / "state"
    try:
        first = _cli(state, "local", "up", "--json")
        assert first.returncode == 0, first.stderr
        up = json.loads(first.stdout)
        assert up["reused"] is False and up["endpoint"].startswith("http://127.0.0.1:")
        assert up["env"]["NABIYAM_FEEDBACK_TABLE"] == "nabiyam-dev-feedback"

        second = json.loads(_cli(state, "local", "up", "--json").stdout)
        assert second["reused"] is True and second["endpoint"] == up["endpoint"] and second["pid"] == up["pid"]

        status = _cli(state, "local", "status", "--json")
        assert status.returncode == 0
        assert json.loads(status.stdout)["running"] is True

        # a new process finds the stack through the state file alone (no AWS_ENDPOINT_URL)
        probe = subprocess.run(
            [sys.executable, "-c", "from nabiyam import aws; from nabiyam.settings import get_settings;"
             "print(aws.local_endpoint()); print(get_settings().users_table);"
             "print(len(aws.client('dynamodb').list_tables()['TableNames']))"],
            capture_output=True, text=True, timeout=60, env=_env(state), cwd=tmp_path, check=True)
        assert probe.stdout.split() == [up["endpoint"], "nabiyam-dev-users", "8"]

        down = _cli(state, "local", "down")
        assert down.returncode == 0 and "stopped" in down.stdout
        after = _cli(state, "local", "status")
        assert after.returncode == 1 and "not running" in after.stdout
        assert not (state / "local-stack.json").exists()
        assert _cli(state, "local", "down").stdout.strip() == "local stack was not running"
    finally:
        _cli(state, "local", "down")


def test_stale_state_file_is_replaced(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                              check=True, timeout=60)
    dead_pid = int(finished.stdout)  # a process that has exited: what a crashed stack leaves behind
    (state / "local-stack.json").write_text(json.dumps({"endpoint": "http://127.0.0.1:9", "pid": dead_pid, "env": {}}))
    try:
        status = _cli(state, "local", "status")
        assert status.returncode == 1 and "pid alive: False" in status.stdout
        up = _cli(state, "local", "up", "--json")
        assert up.returncode == 0, up.stderr
        assert json.loads(up.stdout)["reused"] is False
    finally:
        _cli(state, "local", "down")


def test_bad_port_is_a_clear_error(tmp_path: Path) -> None:
    out = _cli(tmp_path / "state", "local", "up", "--port", "70000")
    assert out.returncode == 2 and "--port must be between 1 and 65535" in out.stderr
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = _cli(tmp_path / "state", "local", "up", "--port", str(port))
    assert busy.returncode == 2 and f"port {port} on 127.0.0.1 is not free" in busy.stderr


def test_settings_precedence_env_over_state_file_over_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nabiyam.settings import Settings

    state = tmp_path / "state"
    state.mkdir()
    (state / "local-stack.json").write_text(json.dumps({"endpoint": "http://127.0.0.1:1", "pid": 1, "env": {
        "NABIYAM_USERS_TABLE": "from-state", "NABIYAM_FEEDBACK_TABLE": "from-state-too", "OTHER": "ignored"}}))
    for key in list(os.environ):
        if key.startswith("NABIYAM_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NABIYAM_STATE_DIR", str(state))
    monkeypatch.setenv("NABIYAM_FEEDBACK_TABLE", "from-env")
    s = Settings()
    assert s.feedback_table == "from-env"
    assert s.users_table == "from-state"
    assert s.conversations_table == "nabiyam-dev-conversations"

    (state / "local-stack.json").write_text("{not json")
    assert Settings().users_table == "nabiyam-dev-users"  # a broken state file falls back to defaults
