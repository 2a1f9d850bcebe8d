"""`nabiyam` entry point. Each command group lives in its own module with a
``register(subparsers)`` function; heavy imports stay inside the command bodies so that
`nabiyam --help` is instant and never loads torch."""

from __future__ import annotations

import argparse
import importlib
import sys

# Command-group modules (nabiyam.cli.<name>), in --help order.
COMMAND_MODULES: tuple[str, ...] = (
    "local",
    "train",
    "models",
    "world",
    "nlu",
    "sentiment",
    "recommend",
    "serve",
    "jobs",
    "simulate",
    "dashboard",
    "teach",
)


class CliError(Exception):
    """A readable error for the user: printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nabiyam", description="Nabiyam: meal-card food recommendations")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"nabiyam.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except CliError as exc:
        print(f"nabiyam: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    # Run the imported module's main, so commands raising `nabiyam.cli.main.CliError` are
    # caught (under `python -m` this file is also `__main__`, a second copy of the class).
    from nabiyam.cli.main import main as _main

    sys.exit(_main())
