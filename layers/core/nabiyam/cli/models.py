"""`nabiyam models list | show | history | publish | promote | reject | rollback`: the model registry.

Every decision records who made it and why (``--reason``; the actor is ``cli:<login>``
unless ``--actor`` says otherwise), in the same transaction as the change.

Example::

    nabiyam models list ranker
    nabiyam models show ranker candidate
    nabiyam models promote ranker candidate --reason "experiment 2026-W12 won"
    nabiyam models rollback ranker --reason "complaints after the release"
    nabiyam models history ranker
"""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _decision_args(p: argparse.ArgumentParser, default_reason: str) -> None:
    p.add_argument("--reason", default=default_reason, help="why (stored in the audit trail)")
    p.add_argument("--actor", default=None, help="who decides (default: cli:<your login>)")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="model registry: versions in DynamoDB, artifacts in S3")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="models, or the versions of one model (newest first)")
    p.add_argument("model", nargs="?", help="model name (e.g. nlu, ranker)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_list)

    p = actions.add_parser("show", help="one version (a version, or the alias production|candidate; default production)")
    p.add_argument("model")
    p.add_argument("version", nargs="?", default="production")
    p.set_defaults(func=_show)

    p = actions.add_parser("history", help="the audit trail: publications, promotions, rejections, rollbacks")
    p.add_argument("model")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_history)

    p = actions.add_parser("publish", help="upload a directory as a new candidate version")
    p.add_argument("model")
    p.add_argument("directory", type=Path)
    p.add_argument("--metrics", type=Path, default=None,
                   help="JSON file of metrics (default: <directory>/metrics.json if present)")
    p.add_argument("--window", default=None, help="data window it was trained on, FROM..TO (ISO days)")
    p.add_argument("--promote", action="store_true", help="promote the published version to production")
    _decision_args(p, "published by hand")
    p.set_defaults(func=_publish)

    p = actions.add_parser("promote", help="make a version (or the candidate alias) production; the old one becomes previous")
    p.add_argument("model")
    p.add_argument("version", help="a version or 'candidate'")
    p.add_argument("--experiment", default=None, metavar="FROM..TO",
                   help="gate on the live experiment of these days (SRM check + treatment not worse); "
                        "promotes the candidate when it passes, rejects it (with the reason) when not")
    p.add_argument("--share", type=float, default=None, help="the experiment's treatment share (default: settings)")
    _decision_args(p, "promoted by hand")
    p.set_defaults(func=_promote)

    p = actions.add_parser("reject", help="record that a candidate is not promoted, and why")
    p.add_argument("model")
    p.add_argument("version", help="a version or 'candidate'")
    _decision_args(p, "rejected by hand")
    p.set_defaults(func=_reject)

    p = actions.add_parser("rollback", help="retire production and restore the previous version")
    p.add_argument("model")
    _decision_args(p, "rolled back by hand")
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
    aliases = {a: _call(reg.alias, args.model, a) for a in ("production", "candidate")}
    for v in versions:
        marks = ",".join(a for a, target in aliases.items() if target == v.version)
        metrics = ", ".join(f"{k}={val}" for k, val in list(v.metrics.items())[:4] if isinstance(val, (int, float, str)))
        window = str(v.data_window) if v.data_window else "-"
        print(f"{v.version}  {v.status:<11}  {marks or '-':<20}  {v.created_at[:19]}  window {window}  {metrics}")
    return 0


def _resolve(reg: Any, model: str, version: str) -> str:
    """A version, or an alias name resolved to its version (a clear error when unset)."""
    from nabiyam.cli.main import CliError

    if version in ("production", "candidate"):
        target = _call(reg.alias, model, version)
        if target is None:
            raise CliError(f"{model} has no {version} version (`nabiyam models list {model}`)")
        return str(target)
    return version


def _show(args: argparse.Namespace) -> int:
    reg = _registry()
    version = _call(reg.get, args.model, _resolve(reg, args.model, args.version))
    print(json.dumps(version.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def _history(args: argparse.Namespace) -> int:
    events = _call(_registry().history, args.model, args.limit)
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in events], ensure_ascii=False, indent=2))
        return 0
    if not events:
        print(f"{args.model}: no history")
    for e in events:
        replaced = f" (replaced {e.replaced})" if e.replaced else ""
        report = f"  report {e.report_key}" if e.report_key else ""
        print(f"{e.at[:19]}  {e.action:<13} {e.model_version}{replaced}  by {e.actor}: {e.reason}{report}")
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
    window = None
    if args.window:
        from nabiyam.registry import DataWindow

        try:
            window = DataWindow.parse(args.window)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    reg = _registry()
    actor = args.actor or _default_actor()
    version = _call(lambda: reg.publish(args.model, args.directory, metrics, data_window=window, actor=actor,
                                        reason=args.reason))
    print(f"published {args.model} {version} (candidate)")
    if args.promote:
        _call(lambda: reg.promote(args.model, version, actor=actor, reason=args.reason))
        print(f"promoted {args.model} {version} to production")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError

    if args.experiment:
        if args.version != "candidate":
            raise CliError("--experiment decides on the candidate alias: use `models promote MODEL candidate --experiment …`")
        from nabiyam.evaluation.experiment import promote_after_experiment
        from nabiyam.registry import DataWindow
        from nabiyam.settings import get_settings

        try:
            window = DataWindow.parse(args.experiment)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        share = args.share if args.share is not None else get_settings().treatment_share
        if not 0 < share < 1:
            raise CliError(f"--share must be between 0 and 1 (the experiment's treatment share), got {share}")
        try:
            gate, decision = _call(lambda: promote_after_experiment(
                args.model, window.start.isoformat(), window.end.isoformat(), share=share,
                actor=args.actor or _default_actor()))
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        print(f"{decision} {args.model} candidate: {gate.detail}")
        return 0 if decision == "promote" else 1
    reg = _registry()
    version = _resolve(reg, args.model, args.version)
    v = _call(lambda: reg.promote(args.model, version, actor=args.actor or _default_actor(), reason=args.reason))
    print(f"promoted {v.model_name} {v.version} to production")
    return 0


def _reject(args: argparse.Namespace) -> int:
    reg = _registry()
    version = _resolve(reg, args.model, args.version)
    v = _call(lambda: reg.reject(args.model, version, actor=args.actor or _default_actor(), reason=args.reason))
    print(f"rejected {v.model_name} {v.version}: {args.reason}")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    reg = _registry()
    v = _call(lambda: reg.rollback(args.model, actor=args.actor or _default_actor(), reason=args.reason))
    print(f"rolled back {v.model_name}: production is now {v.version}")
    return 0
