"""Lambda entry point for the HTTP API: FastAPI (nabiyam.api) behind Mangum.

Everything heavy happens at module scope, once per container: the runtime (NLU, ranker,
catalogue from the model registry, cached in /tmp) and the app. Not in an ASGI lifespan:
Mangum runs with `lifespan="off"` so a warm invocation does no startup work at all.
"""

from __future__ import annotations

import os

# Cold-start traps: libraries that want a writable home or config dir get /tmp (the only
# writable path in Lambda), before anything imports them.
os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")
os.environ.setdefault("HOME", "/tmp")
os.environ.setdefault("NABIYAM_MODEL_CACHE_DIR", "/tmp/nabiyam-models")

from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from mangum import Mangum  # noqa: E402

from nabiyam.api import create_app  # noqa: E402
from nabiyam.observability import logger, metrics  # noqa: E402
from nabiyam.runtime import get_runtime  # noqa: E402

RUNTIME = get_runtime()
app = create_app(RUNTIME, emit_metrics=True)
app.state.services()  # stores, boto clients, dependency guards: built in the init phase, not in a request's budget
asgi_handler = Mangum(app, lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    """API Gateway HTTP API (payload v2) event → HTTP response dict."""
    response = asgi_handler(event, context)
    status = int(response.get("statusCode", 500))
    metrics.add_metric(name="Requests", unit="Count", value=1)
    metrics.add_metric(name="ClientErrors", unit="Count", value=1 if 400 <= status < 500 else 0)
    metrics.add_metric(name="ServerErrors", unit="Count", value=1 if status >= 500 else 0)
    return response
