"""`nabiyam sentiment "TEXT"` / `nabiyam sentiment -`: the sentiment model on a message.

One JSON line per message: ``{"text": ..., "label": "positive|negative|neutral", "score": p, "probs": {...}}``.
With ``-`` every non-empty line of stdin is one message. The model: ``--model-dir``, else the
registry's production ``sentiment`` (with a local stack up), else ``artifacts/sentiment``.

Example::

    nabiyam sentiment "떡볶이 진짜 맛있었어요!"
    printf '너무 짜요\\n치킨집 알려줘\\n' | nabiyam sentiment -
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sentiment", help="sentiment of a Korean message (positive / negative / neutral)",
                            description="Classify Korean messages with the sentiment model (onnxruntime).")
    parser.add_argument("text", help="the message, or - to read one message per line from stdin")
    parser.add_argument("--model-dir", type=Path, default=None, help="a trained model directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.sentiment.model import SentimentModelError, load_sentiment

    if args.text == "-":
        texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    else:
        texts = [args.text]
    if not texts or not all(t.strip() for t in texts):
        raise CliError("give a non-empty message (or - with one message per line on stdin)")
    try:
        model = load_sentiment(model_dir=args.model_dir)
    except SentimentModelError as exc:
        raise CliError(str(exc)) from exc
    for text, result in zip(texts, model.predict(texts), strict=True):
        print(json.dumps({"text": text, **result.as_json()}, ensure_ascii=False))
    return 0
