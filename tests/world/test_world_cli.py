"""`nabiyam world …` through the real console entry point (in-process and as a subprocess)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from nabiyam.cli.main import main


def test_generate_check_info_plot(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "w"
    assert main(["world", "generate", "--size", "tiny", "--seed", "5", "--out", str(out), "--quiet",
                 "--no-xlsx"]) == 0
    assert "world tiny (seed 5)" in capsys.readouterr().out
    assert not (out / "world.xlsx").exists() and (out / "sessions.csv").exists()

    assert main(["world", "check", str(out)]) == 0
    assert capsys.readouterr().out.startswith("ok: 38 brands, 80 shops")

    assert main(["world", "info", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["counts"]["shops"] == 80 and info["ranking"]["oracle_session_auc"] > 0.7

    png = tmp_path / "img" / "world.png"
    assert main(["world", "plot", str(out), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 300_000


def test_user_errors_are_readable(tmp_path: Path, capsys, tiny_world: Path) -> None:  # noqa: ANN001
    assert main(["world", "generate", "--size", "huge", "--out", str(tmp_path / "x")]) == 2
    assert "unknown size 'huge'" in capsys.readouterr().err
    assert main(["world", "generate", "--size", "tiny", "--seed", "-1", "--out", str(tmp_path / "x")]) == 2
    assert "--seed must be a non-negative integer" in capsys.readouterr().err
    assert main(["world", "info", str(tmp_path / "missing")]) == 2
    assert "world.json not found" in capsys.readouterr().err
    assert main(["world", "load", str(tmp_path / "missing")]) == 2
    assert "no such world directory" in capsys.readouterr().err
    assert main(["world", "load", str(tiny_world), "--only", "catalogue,sessions"]) == 2
    assert "unknown part(s) ['sessions']" in capsys.readouterr().err

    broken = tmp_path / "broken"
    shutil.copytree(tiny_world, broken, ignore=shutil.ignore_patterns("impressions.csv", "sessions.csv"))
    (broken / "brand.csv").unlink()
    assert main(["world", "check", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "sheet 'brand' (brand.csv): missing sheet" in err and "Traceback" not in err


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("nabiyam")
    r = subprocess.run([str(exe), "world", "generate", "--size", "tiny", "--seed", "2", "--out", str(tmp_path / "w"),
                        "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "w" / "world.json").exists()
