"""The local AWS stack: a moto server on loopback plus the template's tables and buckets.

`nabiyam local up` and the tests' ``local_stack`` fixture both use :func:`start_server` and
:func:`provision_stack`; the CLI additionally records the stack in a state file
(``<state_dir>/local-stack.json``: endpoint, pid, env) that ``Settings`` and
``nabiyam.aws`` read, so every later process finds the stack without configuration.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nabiyam.infra.provision import provision
from nabiyam.infra.template import StackSpec, stack_spec
from nabiyam.settings import Settings, get_settings

HOST = "127.0.0.1"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class LocalStackError(RuntimeError):
    """The moto server could not be started, reached or stopped."""


@dataclass
class LocalStack:
    """A running local stack: where it listens, who runs it, the resolved names."""

    endpoint: str
    pid: int | None
    env: dict[str, str] = field(default_factory=dict)
    spec: StackSpec | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    @property
    def tables(self) -> dict[str, str]:
        """Template logical id (e.g. ``FeedbackTable``) → resolved table name."""
        return {t.logical_id: t.name for t in self.spec.tables} if self.spec else {}

    @property
    def buckets(self) -> dict[str, str]:
        """Template logical id (e.g. ``ArtifactsBucket``) → resolved bucket name."""
        return {b.logical_id: b.name for b in self.spec.buckets} if self.spec else {}

    def process_env(self, region: str) -> dict[str, str]:
        """Variables a child process needs to use this stack (boto3 and Settings)."""
        return {**self.env, **LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": region, "AWS_REGION": region}

    def state(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "pid": self.pid, "env": self.env,
                "log": str(self.log_path) if self.log_path else None, "started_at": time.time()}


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_reachable(endpoint: str, timeout: float = 1.0) -> bool:
    """True when a moto server answers at ``endpoint`` (its /moto-api/ page)."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=timeout) as resp:  # noqa: S310
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """In the child (Linux): get SIGTERM when the parent dies, so a killed test run leaks no server."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_server(port: int | None = None, *, log_path: Path | None = None, startup_timeout: float = 30.0,
                 detach: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m moto.server`` on 127.0.0.1 and wait until it answers.

    A free port is chosen when none is given; if another process grabs it first, the start
    is retried on a new port (at most three times). ``detach`` (the CLI) lets the server
    outlive this process; otherwise (tests) it is stopped when this process dies.
    """
    if port:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError as exc:
                raise LocalStackError(f"port {port} on {HOST} is not free ({exc.strerror}); "
                                      "choose another --port or leave it out for a free one") from exc
    attempts = 1 if port else 3
    last_error = ""
    for _ in range(attempts):
        chosen = port or free_port()
        endpoint = f"http://{HOST}:{chosen}"
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        env = {**os.environ, **LOCAL_CREDENTIALS, "MOTO_ALLOW_NONEXISTENT_REGION": "false"}
        env.pop("AWS_ENDPOINT_URL", None)
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(chosen)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=detach, preexec_fn=None if detach or sys.platform != "linux" else _die_with_parent,
            )
        finally:
            if log_path:
                out.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"moto server exited with code {proc.returncode} on port {chosen}"
                break
            if is_reachable(endpoint, timeout=0.5):
                return proc, endpoint
            time.sleep(0.1)
        else:
            stop_process(proc.pid)
            last_error = f"moto server did not answer on {endpoint} within {startup_timeout:.0f}s"
    hint = f" (log: {log_path})" if log_path else ""
    raise LocalStackError(last_error + hint)


def is_moto_process(pid: int) -> bool:
    """Guard against killing an unrelated process that reused a recorded pid."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return pid_alive(pid)  # no /proc (macOS): trust the state file
    try:
        return b"moto.server" in cmdline.read_bytes()
    except OSError:
        return False


def stop_process(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for existence instead
            finished = 0 if pid_alive(pid) else pid
        if finished == pid or not pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def provision_stack(endpoint: str, settings: Settings, stage: str | None = None) -> tuple[StackSpec, dict[str, list[str]]]:
    """Create the template's resources at ``endpoint``; boto3 clients built just for it."""
    import boto3  # local: only the CLI and tests provision

    spec = stack_spec(stage or settings.stage, region=settings.region)
    session = boto3.session.Session(region_name=settings.region, aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    s3 = session.client("s3", endpoint_url=endpoint)
    return spec, provision(spec, ddb, s3, settings.region)


# ---------------------------------------------------------------- state file (CLI)


def read_state(settings: Settings | None = None) -> dict[str, Any] | None:
    settings = settings or get_settings()
    try:
        state = json.loads(settings.state_file.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_state(settings: Settings, stack: LocalStack) -> None:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.state_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(stack.state(), indent=2, ensure_ascii=False))
    tmp.replace(settings.state_file)


def status(settings: Settings | None = None) -> dict[str, Any]:
    """What the state file says and whether the server really answers."""
    settings = settings or get_settings()
    state = read_state(settings)
    if state is None:
        return {"running": False, "state_file": str(settings.state_file), "reason": "no state file"}
    endpoint = state.get("endpoint", "")
    alive = pid_alive(state.get("pid"))
    reachable = bool(endpoint) and is_reachable(endpoint)
    return {"running": alive and reachable, "endpoint": endpoint, "pid": state.get("pid"), "pid_alive": alive,
            "reachable": reachable, "state_file": str(settings.state_file), "env": state.get("env", {})}


def up(settings: Settings | None = None, port: int | None = None) -> tuple[LocalStack, bool]:
    """Start the stack (or reuse the running one) and (re)create the template's resources.

    Returns the stack and whether it was reused. Re-provisioning a reused stack is cheap
    and picks up tables added to the template since it started.
    """
    settings = settings or get_settings()
    current = status(settings)
    if current["running"] and (port is None or current["endpoint"].endswith(f":{port}")):
        spec, _ = provision_stack(current["endpoint"], settings)
        stack = LocalStack(endpoint=current["endpoint"], pid=current["pid"], env=spec.env, spec=spec)
        write_state(settings, stack)
        return stack, True
    if current.get("pid_alive") and current.get("pid") and is_moto_process(int(current["pid"])):
        stop_process(int(current["pid"]))  # stale or on the wrong port
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.state_dir / "moto.log"
    proc, endpoint = start_server(port, log_path=log_path, detach=True)
    try:
        spec, _ = provision_stack(endpoint, settings)
    except Exception:
        stop_process(proc.pid)
        raise
    stack = LocalStack(endpoint=endpoint, pid=proc.pid, env=spec.env, spec=spec, log_path=log_path)
    write_state(settings, stack)
    return stack, False


def down(settings: Settings | None = None) -> bool:
    """Stop the recorded server and remove the state file. False when nothing was running."""
    settings = settings or get_settings()
    state = read_state(settings)
    if state is None:
        return False
    pid = state.get("pid")
    was_running = bool(pid) and pid_alive(pid) and is_moto_process(int(pid))
    if was_running:
        stop_process(int(pid))
    settings.state_file.unlink(missing_ok=True)
    return was_running
