"""`nabiyam nlu "TEXT"` / `nabiyam nlu -`: the NLU JSON for one utterance, or one per stdin line.

Works offline from the local artifacts directory; answers with the rules when no model is there.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("nlu", help="Korean text → intent, entities and filters (JSON)",
                            description="Parse Korean text with the NLU model (rules when no model is trained).")
    parser.add_argument("text", help='the utterance, or "-" to read one utterance per line from stdin')
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="trained NLU artifacts (default: Settings.artifacts_dir/nlu)")
    parser.add_argument("--rules", action="store_true", help="skip the model: rules only")
    parser.add_argument("--indent", type=int, default=None, help="pretty-print (not with '-')")
    parser.set_defaults(func=run)


def _logs_to_stderr() -> None:
    """Powertools logs to stdout; the CLI's stdout is the JSON, so move log lines to stderr."""
    from nabiyam.observability import SERVICE

    for name in (SERVICE, *[n for n in logging.root.manager.loggerDict if n.startswith(SERVICE + ".")]):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)


def run(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.nlu import NluService

    if args.model_dir is not None and not args.rules and not args.model_dir.exists():
        raise CliError(f"--model-dir {args.model_dir} does not exist (train one with `nabiyam train nlu --out DIR`)")
    _logs_to_stderr()
    service = NluService(None) if args.rules else NluService.load(args.model_dir)
    _logs_to_stderr()
    if args.text == "-":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            print(service.parse(line).model_dump_json(), flush=True)
        return 0
    if not args.text.strip():
        raise CliError('empty text: pass an utterance, e.g. nabiyam nlu "만원으로 치킨 먹을 수 있는 곳 있어?"')
    result = service.parse(args.text)
    if args.indent:
        import json

        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=args.indent))
    else:
        print(result.model_dump_json())
    return 0
