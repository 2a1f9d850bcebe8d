"""The Lambda handler (Mangum + Powertools) with real API Gateway v2 payloads from events/
(made by `sam local generate-event apigateway http-api-proxy`): identity from JWT claims
in AWS mode, from the body in dev mode."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nabiyam.storage.conversations import ConversationStore

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the Lambda context object."""

    function_name: str = "nabiyam-dev-api"
    memory_limit_in_mb: int = 1769
    invoked_function_arn: str = "arn:aws:lambda:ap-northeast-2:123456789012:function:nabiyam-dev-api"
    aws_request_id: str = "test-request"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def with_body(evt: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(evt)
    out["body"] = base64.b64encode(json.dumps(body, ensure_ascii=False).encode()).decode()
    out["isBase64Encoded"] = True
    return out


def load_handler(auth_mode: str, runtime: Any) -> ModuleType:
    """Import functions/api/app.py afresh with the given auth mode (module scope = cold start)."""
    from nabiyam import runtime as runtime_mod
    from nabiyam.settings import get_settings

    os.environ["NABIYAM_AUTH_MODE"] = auth_mode
    get_settings.cache_clear()
    runtime_mod.set_runtime(runtime)
    spec = importlib.util.spec_from_file_location(f"api_app_{auth_mode}_{uuid.uuid4().hex[:6]}",
                                                  REPO / "functions" / "api" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def handlers(api_runtime: Any) -> Iterator[dict[str, ModuleType]]:
    from nabiyam import runtime as runtime_mod
    from nabiyam.settings import get_settings

    saved = os.environ.get("NABIYAM_AUTH_MODE")
    try:
        yield {"body": load_handler("body", api_runtime), "jwt": load_handler("jwt", api_runtime)}
    finally:
        if saved is None:
            os.environ.pop("NABIYAM_AUTH_MODE", None)
        else:
            os.environ["NABIYAM_AUTH_MODE"] = saved
        get_settings.cache_clear()
        runtime_mod.set_runtime(None)


def invoke(module: ModuleType, evt: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    out = module.handler(evt, LambdaContext())
    body = out.get("body") or ""
    if out.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return out["statusCode"], {k.lower(): v for k, v in out.get("headers", {}).items()}, json.loads(body)


def test_dev_mode_reads_the_user_from_the_body(handlers: dict[str, ModuleType]) -> None:
    status, headers, body = invoke(handlers["body"], event("chat"))
    assert status == 200, body
    assert headers["x-correlation-id"] == "req-chat"  # the API Gateway request id
    assert body["recommendations"] and body["nlu"]["filters"]["budget_max"] == 10000
    assert ConversationStore().get(body["conversation_id"]).user_id == "u_0001"


def test_jwt_mode_reads_the_user_from_the_claims(handlers: dict[str, ModuleType]) -> None:
    status, _, body = invoke(handlers["jwt"], event("chat_jwt"))
    assert status == 200, body
    assert ConversationStore().get(body["conversation_id"]).user_id == "u_0001"


def test_jwt_mode_refuses_to_act_for_another_user(handlers: dict[str, ModuleType]) -> None:
    status, _, body = invoke(handlers["jwt"], event("chat_jwt_other_user"))
    assert status == 403
    assert body["error"]["fields"] == [{"field": "user_id", "problem": body["error"]["message"]}]


def test_jwt_mode_without_claims_is_401(handlers: dict[str, ModuleType]) -> None:
    status, _, body = invoke(handlers["jwt"], event("chat"))
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_dev_mode_ignores_claims_and_needs_a_body_user(handlers: dict[str, ModuleType]) -> None:
    status, _, body = invoke(handlers["body"], event("chat_jwt"))
    assert status == 422 and body["error"]["fields"][0]["field"] == "user_id"


def test_invalid_event_body_names_the_fields(handlers: dict[str, ModuleType]) -> None:
    status, _, body = invoke(handlers["body"], event("chat_invalid"))
    assert status == 422
    assert {f["field"] for f in body["error"]["fields"]} >= {"message", "context.lat"}


def test_health_and_recommendations_events(handlers: dict[str, ModuleType]) -> None:
    status, _, body = invoke(handlers["body"], event("health"))
    assert status == 200 and body["catalogue"]["loaded"]
    status, _, body = invoke(handlers["body"], event("recommendations"))
    assert status == 200 and body["user_id"] == "u_0001"
    assert all(r["price_hint"]["price"] <= 8000 and r["category"] == "분식" for r in body["recommendations"])


def test_feedback_in_jwt_mode_belongs_to_the_signed_in_user(handlers: dict[str, ModuleType]) -> None:
    jwt = handlers["jwt"]
    _, _, turn = invoke(jwt, event("chat_jwt"))
    base = event("feedback_like")
    base["requestContext"]["authorizer"] = event("chat_jwt")["requestContext"]["authorizer"]
    mine = {"event_id": "evt-" + uuid.uuid4().hex, "conversation_id": turn["conversation_id"], "feedback": "like"}
    status, headers, body = invoke(jwt, with_body(base, mine))
    assert status == 200 and headers["idempotent-replay"] == "false", body
    status, headers, again = invoke(jwt, with_body(base, mine))
    assert status == 200 and again == body and headers["idempotent-replay"] == "true"
    other = copy.deepcopy(base)
    other["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "u_9999"
    status, _, body = invoke(jwt, with_body(other, {**mine, "event_id": "evt-" + uuid.uuid4().hex}))
    assert status == 403 and body["error"]["fields"][0]["field"] == "conversation_id"


def test_cold_import_of_the_handler_stays_light(tmp_path: Path) -> None:
    """A fresh process importing the Lambda module (runtime loaded at module scope) never pulls
    torch/transformers/peft or the reporting stack (pandas, matplotlib), and sets MPLCONFIGDIR."""
    import subprocess
    import sys

    code = (
        "import importlib.util, json, os, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(REPO / 'functions' / 'api' / 'app.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "heavy = sorted({n.split('.')[0] for n in sys.modules} & {'torch', 'transformers', 'peft', 'pandas', "
        "'matplotlib', 'sklearn'})\n"
        "print(json.dumps({'heavy': heavy, 'mpl': os.environ.get('MPLCONFIGDIR'), 'nlu': m.RUNTIME.nlu is not None}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NABIYAM_"))}
    env.update({"NABIYAM_STATE_DIR": str(tmp_path / "state"), "NABIYAM_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
                "NABIYAM_MODEL_CACHE_DIR": str(tmp_path / "cache"), "POWERTOOLS_LOG_LEVEL": "CRITICAL"})
    env.pop("MPLCONFIGDIR", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=True, cwd=tmp_path)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"heavy": [], "mpl": "/tmp/matplotlib", "nlu": True}


def test_handler_emits_emf_metrics_per_stage(handlers: dict[str, ModuleType], capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    status, _, _ = invoke(handlers["body"], event("chat"))
    assert status == 200
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{") and "_aws" in line]
    names = {m["Name"] for blob in blobs for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"Latency_nlu", "Latency_recommend", "Latency_total", "NluConfidence", "ResultCount", "Requests",
            "ServerErrors"} <= names
    blob = next(b for b in blobs if "ResultCount" in b)
    assert blob["ResultCount"][0] >= 1 and blob["ServerErrors"] == [0.0] and blob["ConversationLogFailures"] == [0.0]
