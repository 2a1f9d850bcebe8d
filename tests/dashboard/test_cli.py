"""`nabiyam dashboard build` says what is missing instead of rendering an empty site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nabiyam.cli.main import main

pytestmark = pytest.mark.xdist_group("dashboard")


def test_build_without_traffic_is_a_clear_error(clean_stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "build", "--out", str(tmp_path / "site")]) == 2
    assert "no logged traffic" in capsys.readouterr().err
    assert main(["dashboard", "build", "--out", str(tmp_path / "site"), "--simulate", str(tmp_path)]) == 2
    assert "not a world directory" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_week_argument_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["dashboard", "build", "--out", "x", "--week", "2026-45"])
    assert "not an ISO week" in capsys.readouterr().err


def test_serve_needs_a_built_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "serve", "--dir", str(tmp_path)]) == 2
    assert "index.html not found" in capsys.readouterr().err
