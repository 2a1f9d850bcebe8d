"""Schema-driven fuzzing (schemathesis) of the running app over real HTTP: no 5xx, and every
response matches the OpenAPI schema the app serves (status codes, content type, bodies)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import requests
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_and_schema_conformance(live_api: Any, mode: GenerationMode) -> None:
    """Every operation, valid and invalid generated inputs (schemathesis' pytest plugin does
    not run under this pytest version, so the operations are driven with hypothesis directly)."""
    schema = schemathesis.openapi.from_url(f"{live_api.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    statuses: list[int] = []
    with requests.Session() as session:
        for operation in operations:
            if mode is GenerationMode.NEGATIVE and operation.path == "/health":
                continue  # /health takes no input to get wrong

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=60, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                response = case.call(base_url=live_api.base_url, session=session)
                statuses.append(response.status_code)
                case.validate_response(response, checks=CHECKS)

            run()
    assert len(statuses) >= 60
    assert all(code < 500 for code in statuses)
    if mode is GenerationMode.NEGATIVE:
        assert sum(400 <= code < 500 for code in statuses) >= 30  # invalid input really was rejected
    else:
        assert statuses.count(200) >= 30  # valid input really was served


def test_openapi_is_complete_with_korean_examples(live_api: Any) -> None:
    import httpx

    spec = httpx.get(f"{live_api.base_url}/openapi.json").json()
    assert set(spec["paths"]) == {"/chat", "/recommendations", "/feedback", "/health"}
    schemas = spec["components"]["schemas"]
    # Dev (auth_mode=body) models require user_id; their names say so.
    for name in ("DevChatRequest", "ChatResponse", "DevResponseFeedback", "DevLikeFeedback", "DevInteractionFeedback",
                 "DevRecommendationsRequest", "ErrorResponse", "FeedbackAccepted"):
        assert schemas[name].get("examples"), name
    assert "치킨" in str(schemas["DevChatRequest"]["examples"])
    assert "user_id" in schemas["DevChatRequest"]["required"]
    assert set(spec["paths"]["/recommendations"]) == {"get", "post"}
    for path in ("/chat", "/feedback", "/recommendations"):
        responses = spec["paths"][path]["post"]["responses"]
        assert {"200", "400", "415", "422", "503"} <= set(responses), path
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")
