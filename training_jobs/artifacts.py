"""What every training job does with its output directory: build it beside the target, then swap it in.

A job writes into a temporary sibling directory and calls :func:`swap_in` last, so a reader (the
registry's publish, `make run`, a serving process) never sees a half-written artifact, and a failed
run leaves the previous artifact in place.

Example::

    tmp = out.with_name(out.name + ".tmp")
    ...  # write model.onnx, metrics.json, manifest.json into tmp
    swap_in(tmp, out)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by the finished directory ``tmp`` (the old one is moved aside, then removed)."""
    old = out.with_name(out.name + ".old")
    if out.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
