"""Shared fixtures: a real local AWS stack (moto server over HTTP) per xdist worker.

``local_stack`` starts ``python -m moto.server`` on 127.0.0.1 with a free port, creates
every table and bucket by reading template.yaml, and points this process (and children
it starts, through ``os.environ``) at it: ``AWS_ENDPOINT_URL``, dummy credentials, the
region and the resolved ``NABIYAM_*`` names. ``clean_stack`` empties it for one test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REGION = "ap-northeast-2"


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so `--strict-markers` accepts it when xdist is disabled (-p no:xdist).
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker (--dist loadgroup)")


def _reset_caches() -> None:
    from nabiyam import aws
    from nabiyam.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running moto server with the template's resources; yields a ``LocalStack``.

    Attributes: ``endpoint``, ``pid``, ``env`` (NABIYAM_* → name), ``tables`` and
    ``buckets`` (template logical id → name), ``spec`` (the resolved template).
    """
    from nabiyam.infra.local_stack import LocalStack, provision_stack, start_server, stop_process, write_state
    from nabiyam.settings import Settings

    state_dir = tmp_path_factory.mktemp("nabiyam-state")
    proc, endpoint = start_server(log_path=state_dir / "moto.log")
    try:
        settings = Settings(state_dir=state_dir, region=REGION, stage="dev")
        spec, _ = provision_stack(endpoint, settings, stage="dev")
        stack = LocalStack(endpoint=endpoint, pid=proc.pid, env=spec.env, spec=spec, process=proc,
                           log_path=state_dir / "moto.log")
        write_state(settings, stack)
        env = {**stack.process_env(REGION), "NABIYAM_STATE_DIR": str(state_dir)}
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        _reset_caches()
        yield stack
    finally:
        if "saved" in locals():
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        _reset_caches()
        stop_process(proc.pid)


@pytest.fixture()
def clean_stack(local_stack: Any) -> Iterator[Any]:
    """The worker's stack, emptied (items and objects) before the test."""
    import boto3

    from nabiyam.infra.provision import empty

    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    empty(local_stack.spec, session.client("dynamodb", endpoint_url=local_stack.endpoint),
          session.client("s3", endpoint_url=local_stack.endpoint))
    _reset_caches()
    yield local_stack
