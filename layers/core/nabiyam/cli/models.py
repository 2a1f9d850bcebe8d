"""`nabiyam models list | show | publish | promote | rollback`: the model registry."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="model registry: versions in DynamoDB, artifacts in S3")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="models, or the versions of one model (newest first)")
    p.add_argument("model", nargs="?", help="model name (e.g. nlu, ranker)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = actions.add_parser("show", help="one version (default: production) with metrics and files")
    p.add_argument("model")
    p.add_argument("version", nargs="?")
    p.set_defaults(func=_show)

    p = actions.add_parser("publish", help="upload a directory as a new candidate version")
    p.add_argument("model")
    p.add_argument("directory", type=Path)
    p.add_argument("--metrics", type=Path, default=None,
                   help="JSON file of metrics (default: <directory>/metrics.json if present)")
    p.add_argument("--promote", action="store_true", help="promote the published version to production")
    p.set_defaults(func=_publish)

    p = actions.add_parser("promote", help="make a version production (the old one becomes previous)")
    p.add_argument("model")
    p.add_argument("version")
    p.set_defaults(func=_promote)

    p = actions.add_parser("rollback", help="retire production and restore the previous version")
    p.add_argument("model")
    p.set_defaults(func=_rollback)


def _registry() -> Any:
    from nabiyam.cli.main import CliError
    from nabiyam.registry import Registry

    try:
        return Registry()
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _call(fn: Any, *args: Any) -> Any:
    """Run a registry call, turning registry and AWS errors into readable CLI errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    from nabiyam.cli.main import CliError
    from nabiyam.registry import RegistryError

    try:
        return fn(*args)
    except RegistryError as exc:
        raise CliError(str(exc)) from exc
    except (BotoCoreError, ClientError) as exc:
        raise CliError(f"AWS call failed ({exc}); is the local stack up? (`nabiyam local up`)") from exc


def _list(args: argparse.Namespace) -> int:
    reg = _registry()
    if not args.model:
        names = _call(reg.list_models)
        print(json.dumps(names) if args.json else ("\n".join(names) or "no models registered"))
        return 0
    versions = _call(reg.list_versions, args.model)
    if args.json:
        print(json.dumps([v.model_dump(mode="json") for v in versions], ensure_ascii=False, indent=2))
        return 0
    if not versions:
        print(f"{args.model}: no versions")
    for v in versions:
        metrics = ", ".join(f"{k}={val}" for k, val in list(v.metrics.items())[:4] if isinstance(val, (int, float, str)))
        print(f"{v.version}  {v.status:<11}  {v.created_at[:19]}  {metrics}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError

    reg = _registry()
    if args.version:
        version = _call(reg.get, args.model, args.version)
    else:
        version = _call(reg.production, args.model)
        if version is None:
            raise CliError(f"{args.model} has no production version; give a version (`nabiyam models list {args.model}`)")
    print(json.dumps(version.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def _publish(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError

    metrics_path = args.metrics or (args.directory / "metrics.json")
    metrics: dict[str, Any] = {}
    if args.metrics is not None or metrics_path.is_file():
        try:
            metrics = json.loads(metrics_path.read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read metrics {metrics_path}: {exc}") from exc
        if not isinstance(metrics, dict):
            raise CliError(f"metrics {metrics_path} must be a JSON object")
    reg = _registry()
    version = _call(reg.publish, args.model, args.directory, metrics)
    print(f"published {args.model} {version}")
    if args.promote:
        _call(reg.promote, args.model, version)
        print(f"promoted {args.model} {version} to production")
    return 0


def _promote(args: argparse.Namespace) -> int:
    v = _call(_registry().promote, args.model, args.version)
    print(f"promoted {v.model_name} {v.version} to production")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    v = _call(_registry().rollback, args.model)
    print(f"rolled back {v.model_name}: production is now {v.version}")
    return 0
