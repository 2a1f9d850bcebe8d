"""Charts can draw Korean with the reporting layer's font, without koreanize_matplotlib's import."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

from nabiyam.infra.fonts import FAMILY, korean_font_files, use_korean_font


def test_font_files_are_found_without_importing_koreanize() -> None:
    code = ("import sys; from nabiyam.infra.fonts import korean_font_files; files = korean_font_files();"
            "print(files[0].name, 'koreanize_matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["NanumGothic.ttf", "False"]
    assert all(p.suffix == ".ttf" for p in korean_font_files())


def _glyph_warnings(path: Path, family: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("주간 리포트: 만족도 -5%", family=family)
    ax.plot([1, 2], [-1, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(path)
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_korean_text_renders_with_no_missing_glyphs(tmp_path: Path) -> None:
    from matplotlib import font_manager

    assert _glyph_warnings(tmp_path / "control.png", "DejaVu Sans")  # the control: no Korean glyphs there
    assert use_korean_font() == FAMILY
    assert Path(font_manager.findfont(FAMILY, fallback_to_default=False)).name.startswith("NanumGothic")
    assert _glyph_warnings(tmp_path / "chart.png", FAMILY) == []
    assert (tmp_path / "chart.png").stat().st_size > 1000
