"""`nabiyam serve`: the API under uvicorn on 127.0.0.1:8000, against the local stack.

Loads the runtime once (registry → local artifacts → fallbacks, exactly as Lambda does),
prints what it loaded and example curl commands, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

from nabiyam.cli.main import CliError

EXAMPLES = """\
Try it (Ctrl-C stops the server):

  curl -s http://{host}:{port}/health | python -m json.tool

  curl -s -X POST http://{host}:{port}/chat -H 'Content-Type: application/json' \\
    -d '{{"user_id": "{user}", "message": "만원으로 치킨 먹을 수 있는 곳 있어?", "context": {{"district": "관악구"}}}}'

  curl -s -X POST http://{host}:{port}/feedback -H 'Content-Type: application/json' \\
    -d '{{"event_id": "evt-demo-0001", "conversation_id": "<conversation_id from /chat>", "user_id": "{user}", \\
         "feedback": "like", "satisfaction": 5}}'

  curl -s -X POST http://{host}:{port}/recommendations -H 'Content-Type: application/json' \\
    -d '{{"user_id": "{user}", "nlu": {{"filters": {{"category": "분식", "budget_max": 8000}}}}, "context": {{"district": "관악구"}}}}'

  OpenAPI docs: http://{host}:{port}/docs
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="serve the API with uvicorn on 127.0.0.1:8000 (local stack, local models)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: loopback only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--catalogue", type=Path, default=None,
                        help="catalogue snapshot (.json.gz) or world directory; default: the stack's snapshot")
    parser.add_argument("--nlu-dir", type=Path, default=None, help="NLU model directory; default: registry/artifacts")
    parser.add_argument("--ranker-dir", type=Path, default=None, help="ranker directory; default: registry/artifacts")
    parser.add_argument("--user", default="u_000001", help="user id used in the printed examples")
    parser.set_defaults(func=main)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def main(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be 1..65535, got {args.port}")
    for opt, path in (("--catalogue", args.catalogue), ("--nlu-dir", args.nlu_dir), ("--ranker-dir", args.ranker_dir)):
        if path is not None and not path.exists():
            raise CliError(f"{opt} {path} does not exist")
    if not _port_free(args.host, args.port):
        raise CliError(f"port {args.port} on {args.host} is already in use (another `nabiyam serve`?); "
                       f"pick one with --port")
    import uvicorn

    from nabiyam.api import create_app
    from nabiyam.runtime import DISCOVER, load_runtime, set_runtime
    from nabiyam.settings import get_settings

    settings = get_settings()
    runtime = load_runtime(settings, catalogue=args.catalogue, nlu_dir=args.nlu_dir or DISCOVER,
                           ranker_dir=args.ranker_dir or DISCOVER)
    set_runtime(runtime)
    print(f"nabiyam API ({settings.stage}, auth={settings.auth_mode}) loaded in {runtime.load_ms:.0f} ms")
    for part, version in sorted(runtime.versions.items()):
        print(f"  {part:10s} {version or '-':30s} from {runtime.sources.get(part, '-')}")
    shops = len(runtime.catalogue) if runtime.catalogue is not None else 0
    print(f"  catalogue  {shops} shops from {runtime.sources.get('catalogue', '-')}")
    for part, problem in sorted(runtime.problems.items()):
        print(f"  ! {part}: {problem}")
    print()
    print(EXAMPLES.format(host=args.host, port=args.port, user=args.user))
    uvicorn.run(create_app(runtime, settings), host=args.host, port=args.port, log_level="info", lifespan="off")
    return 0
