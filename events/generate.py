"""Regenerate the API Gateway v2 (HTTP API) events under events/ with the SAM CLI.

`sam local generate-event apigateway http-api-proxy` gives the payload shape; we then set
what a real request through our HTTP API carries: the route key, a JSON content type,
and, for the JWT variants, authorizer claims with a `sub`. Run: .venv/bin/python events/generate.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAM = HERE.parent / ".venv-sam" / "bin" / "sam"
CONTEXT = {"lat": 37.4842, "lon": 126.9297, "district": "관악구"}

EVENTS: dict[str, dict] = {
    "chat": {"method": "POST", "path": "/chat", "claims": None,
             "body": {"user_id": "u_0001", "message": "만원으로 치킨 먹을 수 있는 곳 있어?", "context": CONTEXT}},
    "chat_jwt": {"method": "POST", "path": "/chat", "claims": {"sub": "u_0001"},
                 "body": {"message": "아이랑 갈만한 건강한 저녁 식당 추천해줘", "context": CONTEXT}},
    "chat_jwt_other_user": {"method": "POST", "path": "/chat", "claims": {"sub": "u_0001"},
                            "body": {"user_id": "u_0002", "message": "떡볶이 먹고 싶어", "context": CONTEXT}},
    "chat_invalid": {"method": "POST", "path": "/chat", "claims": None,
                     "body": {"user_id": "u_0001", "message": "", "context": {"lat": 10.0, "lon": 126.9}}},
    "recommendations": {"method": "POST", "path": "/recommendations", "claims": None,
                        "body": {"user_id": "u_0001", "nlu": {"filters": {"category": "분식", "budget_max": 8000},
                                                              "semantic_query": "떡볶이"},
                                 "context": CONTEXT, "k": 3}},
    "feedback_like": {"method": "POST", "path": "/feedback", "claims": None,
                      "body": {"event_id": "evt-sample-0001", "conversation_id": "c_sample", "user_id": "u_0001",
                               "feedback": "like", "satisfaction": 5}},
    "health": {"method": "GET", "path": "/health", "claims": None, "body": None},
}


def generate(name: str, spec: dict) -> dict:
    body = json.dumps(spec["body"], ensure_ascii=False) if spec["body"] is not None else ""
    out = subprocess.run([str(SAM), "local", "generate-event", "apigateway", "http-api-proxy",
                          "--method", spec["method"], "--path", spec["path"].lstrip("/"), "--body", body,
                          "--dns-suffix", "ap-northeast-2.amazonaws.com"],
                         check=True, capture_output=True, text=True).stdout
    event = json.loads(out)
    route = f"{spec['method']} {spec['path']}"
    event["routeKey"] = route
    event["requestContext"]["routeKey"] = route
    event["requestContext"]["requestId"] = f"req-{name}"
    event["rawQueryString"] = ""
    event.pop("queryStringParameters", None)
    event.pop("pathParameters", None)
    event["headers"] = {"content-type": "application/json", "user-agent": "nabiyam-app/1.0"}
    if spec["body"] is None:
        event["body"], event["isBase64Encoded"] = None, False
        event["headers"].pop("content-type")
    if spec["claims"] is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": {**spec["claims"], "iss": "https://auth.example.com",
                                                                    "aud": "nabiyam-app"}, "scopes": None}}
    return event


def main() -> int:
    for name, spec in EVENTS.items():
        (HERE / f"{name}.json").write_text(json.dumps(generate(name, spec), ensure_ascii=False, indent=2) + "\n")
        print(f"events/{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
