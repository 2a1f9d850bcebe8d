"""Fixtures for the API tests: the real app served by uvicorn on a free loopback port,
backed by the worker's moto server (`local_stack`), a small hand-written catalogue and
the real NLU and recommender code (rules / funnel-blend paths unless a model is given)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from . import catalogue_data

REPO = Path(__file__).resolve().parents[2]
CONTEXT = {"lat": catalogue_data.CENTRE[0], "lon": catalogue_data.CENTRE[1], "district": "관악구"}
# A Wednesday lunchtime in Seoul: every ALWAYS shop is open, the NEVER shop is closed.
AT = "2025-06-04T12:30:00+09:00"


@dataclass
class LiveServer:
    base_url: str
    server: Any
    thread: threading.Thread

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30.0, **kwargs)


def start_live_server(app: Any) -> LiveServer:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this: without it, uvicorn's separate header/body writes meet
    # Nagle + delayed ACK and every request costs ~40 ms (a pre-bound socket skips asyncio's own setting).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                            lifespan="off", timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # bounded: 10 s
        if server.started:
            break
        time.sleep(0.02)
    else:
        raise RuntimeError("uvicorn did not start within 10 s")
    return LiveServer(f"http://127.0.0.1:{port}", server, thread)


def stop_live_server(live: LiveServer) -> None:
    live.server.should_exit = True
    live.thread.join(timeout=10)


@pytest.fixture(scope="session")
def api_catalogue() -> Any:
    return catalogue_data.catalogue()


@pytest.fixture(scope="session")
def api_runtime(local_stack: Any, api_catalogue: Any) -> Any:
    from nabiyam.runtime import load_runtime
    from nabiyam.settings import get_settings

    rt = load_runtime(get_settings(), catalogue=api_catalogue, nlu_dir=None, ranker_dir=None)
    assert rt.nlu is not None, rt.problems  # the NLU engineer's service, rules path (no model given)
    return rt


@pytest.fixture(scope="session")
def live_api(api_runtime: Any) -> Iterator[LiveServer]:
    from nabiyam.api import create_app
    from nabiyam.settings import get_settings

    live = start_live_server(create_app(api_runtime, get_settings()))
    yield live
    stop_live_server(live)


@pytest.fixture()
def http(live_api: LiveServer) -> Iterator[httpx.Client]:
    with live_api.client() as client:
        yield client


def chat(client: httpx.Client, user_id: str, message: str, **context: Any) -> httpx.Response:
    return client.post("/chat", json={"user_id": user_id, "message": message,
                                      "context": {**CONTEXT, "at": AT, **context}})
