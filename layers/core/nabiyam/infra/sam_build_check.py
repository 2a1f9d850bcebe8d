"""`python -m nabiyam.infra.sam_build_check`: run `sam build` and check every function's size.

AWS limits a function plus all its layers to 250 MB unzipped. This builds the template
without a container (wheels for arm64 / CPython 3.12 come from PyPI), prints each
function's unzipped size with its layers, and exits 1 when one is over the limit.
``sam build`` needs ``python3.12`` on PATH; a pyenv install is found when the shim is not
active. The build directory defaults to ``.aws-sam/build`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nabiyam.infra.template import default_template_path, load_template

LIMIT_MB = 250.0
MB = 1024 * 1024


class BuildCheckError(RuntimeError):
    """sam or python3.12 is missing, or the build failed."""


@dataclass(frozen=True)
class FunctionSize:
    function: str
    code_mb: float
    layers: dict[str, float]
    total_mb: float
    over_limit: bool


def tree_size(path: Path) -> int:
    """Apparent size in bytes of every regular file under ``path`` (what the zip expands to)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _works(python: str) -> bool:
    try:
        return subprocess.run([python, "--version"], capture_output=True, timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_python312() -> Path:
    """Directory holding a working python3.12 (PATH first, then pyenv installs)."""
    found = shutil.which("python3.12")
    if found and _works(found):
        return Path(found).parent
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(pyenv_root.glob("versions/3.12*/bin/python3.12"), reverse=True):
        if _works(str(candidate)):
            return candidate.parent
    raise BuildCheckError("sam build needs python3.12 on PATH (Lambda runtime python3.12); install it, "
                          "e.g. `pyenv install 3.12`")


def find_sam(repo_root: Path) -> Path:
    local = repo_root / ".venv-sam" / "bin" / "sam"
    if local.is_file():
        return local
    found = shutil.which("sam")
    if found:
        return Path(found)
    raise BuildCheckError("the AWS SAM CLI is missing: run `make sam-install` (creates .venv-sam)")


def function_layers(template: dict[str, Any]) -> dict[str, list[str]]:
    """Function logical id → layer logical ids (Globals first, as SAM merges them)."""
    def refs(items: list[Any] | None) -> list[str]:
        return [i["Ref"] for i in items or [] if isinstance(i, dict) and "Ref" in i]

    global_layers = refs(((template.get("Globals") or {}).get("Function") or {}).get("Layers"))
    out = {}
    for logical_id, res in template["Resources"].items():
        if res.get("Type") == "AWS::Serverless::Function":
            out[logical_id] = global_layers + refs((res.get("Properties") or {}).get("Layers"))
    return out


def run_build(template_path: Path, build_dir: Path, *, cached: bool = True, timeout: int = 1800) -> float:
    """Run `sam build`; returns its wall time in seconds."""
    repo_root = template_path.resolve().parent
    sam = find_sam(repo_root)
    py_dir = find_python312()
    env = {**os.environ, "PATH": f"{py_dir}{os.pathsep}{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
    env.pop("AWS_ENDPOINT_URL", None)
    cmd = [str(sam), "build", "--template-file", str(template_path), "--build-dir", str(build_dir),
           "--base-dir", str(repo_root)]
    if cached:
        cmd += ["--cached", "--cache-dir", str(build_dir.parent / "cache")]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=repo_root, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise BuildCheckError(f"sam build failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")
    return elapsed


def measure(template: dict[str, Any], build_dir: Path, limit_mb: float = LIMIT_MB) -> list[FunctionSize]:
    sizes: dict[str, float] = {}

    def size_of(logical_id: str) -> float:
        if logical_id not in sizes:
            path = build_dir / logical_id
            if not path.exists():
                raise BuildCheckError(f"{path} is missing: did sam build produce {logical_id}?")
            sizes[logical_id] = tree_size(path) / MB
        return sizes[logical_id]

    out = []
    for fn, layers in sorted(function_layers(template).items()):
        layer_sizes = {layer: round(size_of(layer), 2) for layer in layers}
        total = size_of(fn) + sum(size_of(layer) for layer in layers)
        out.append(FunctionSize(fn, round(size_of(fn), 2), layer_sizes, round(total, 2), total > limit_mb))
    return out


def format_table(results: list[FunctionSize], limit_mb: float) -> str:
    lines = [f"{'function':<24} {'code MB':>8} {'layers MB':>10} {'total MB':>9}  status (limit {limit_mb:.0f} MB)"]
    for r in results:
        status = "OVER LIMIT" if r.over_limit else "ok"
        layers = " + ".join(f"{k} {v:.1f}" for k, v in r.layers.items())
        lines.append(f"{r.function:<24} {r.code_mb:>8.2f} {sum(r.layers.values()):>10.2f} {r.total_mb:>9.2f}  {status}"
                     f"  ({layers})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nabiyam.infra.sam_build_check", description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=None, help="default: the repository's template.yaml")
    parser.add_argument("--build-dir", type=Path, default=None, help="default: <repo>/.aws-sam/build")
    parser.add_argument("--limit-mb", type=float, default=LIMIT_MB)
    parser.add_argument("--no-cache", action="store_true", help="rebuild every layer from scratch")
    parser.add_argument("--skip-build", action="store_true", help="measure an existing build directory")
    parser.add_argument("--json", type=Path, default=None, help="also write the sizes as JSON here")
    args = parser.parse_args(argv)

    template_path = (args.template or default_template_path()).resolve()
    build_dir = (args.build_dir or template_path.parent / ".aws-sam" / "build").resolve()
    try:
        template = load_template(template_path)
        seconds = None if args.skip_build else run_build(template_path, build_dir, cached=not args.no_cache)
        results = measure(template, build_dir, args.limit_mb)
    except (BuildCheckError, subprocess.TimeoutExpired, ValueError) as exc:
        print(f"sam build check: error: {exc}", file=sys.stderr)
        return 2
    print(format_table(results, args.limit_mb))
    if seconds is not None:
        print(f"sam build: {seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({"build_seconds": seconds, "limit_mb": args.limit_mb,
                                         "functions": [asdict(r) for r in results]}, indent=2))
    over = [r.function for r in results if r.over_limit]
    if over:
        print(f"FAILED: over {args.limit_mb:.0f} MB unzipped: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
