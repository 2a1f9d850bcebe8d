"""`nabiyam local up | down | status`: the local AWS stack (moto server + template resources)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("local", help="local AWS stack: moto server with the template's tables and buckets")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    p_up = actions.add_parser("up", help="start the stack (reuses a running one) and create the resources")
    p_up.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    p_up.add_argument("--json", action="store_true", help="print the state as JSON")
    p_up.set_defaults(func=_up)

    p_down = actions.add_parser("down", help="stop the stack (its data is in memory and is lost)")
    p_down.set_defaults(func=_down)

    p_status = actions.add_parser("status", help="is the stack running, where, with which names")
    p_status.add_argument("--json", action="store_true", help="print the status as JSON")
    p_status.set_defaults(func=_status)


def _up(args: argparse.Namespace) -> int:
    from nabiyam.cli.main import CliError
    from nabiyam.infra.local_stack import LocalStackError, up
    from nabiyam.infra.template import TemplateError
    from nabiyam.settings import get_settings

    if args.port is not None and not (1 <= args.port <= 65535):
        raise CliError(f"--port must be between 1 and 65535, got {args.port}")
    settings = get_settings()
    try:
        stack, reused = up(settings, port=args.port)
    except (LocalStackError, TemplateError) as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps({"endpoint": stack.endpoint, "pid": stack.pid, "reused": reused, "env": stack.env},
                         ensure_ascii=False, indent=2))
        return 0
    verb = "reused" if reused else "started"
    print(f"local stack {verb}: {stack.endpoint} (pid {stack.pid})")
    if stack.spec is not None:
        print(f"  {len(stack.spec.tables)} tables, {len(stack.spec.buckets)} buckets from template.yaml")
    print(f"  state: {settings.state_file}")
    print(f"  use from a shell: export AWS_ENDPOINT_URL={stack.endpoint}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from nabiyam.infra.local_stack import down
    from nabiyam.settings import get_settings

    settings = get_settings()
    stopped = down(settings)
    print("local stack stopped" if stopped else "local stack was not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    from nabiyam.infra.local_stack import status
    from nabiyam.settings import get_settings

    info = status(get_settings())
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    elif info["running"]:
        print(f"running: {info['endpoint']} (pid {info['pid']})")
        for key, value in sorted(info.get("env", {}).items()):
            print(f"  {key}={value}")
    elif "endpoint" in info:
        print(f"not running: state file {info['state_file']} names {info['endpoint']} "
              f"(pid alive: {info['pid_alive']}, reachable: {info['reachable']}); run `nabiyam local up`")
    else:
        print("not running: run `nabiyam local up`")
    return 0 if info["running"] else 1
