"""The Korean font for charts, without importing ``koreanize_matplotlib``.

That package imports ``distutils`` at import time, which Python 3.12 (the Lambda runtime)
no longer has, so ``import koreanize_matplotlib`` fails in the jobs. Its NanumGothic font
files are still shipped by the reporting layer: this module finds them without executing
the package and registers them with matplotlib.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

FAMILY = "NanumGothic"


class KoreanFontMissing(RuntimeError):
    """The reporting dependencies (koreanize-matplotlib's fonts) are not installed."""


def korean_font_files() -> list[Path]:
    """NanumGothic*.ttf files of the installed koreanize-matplotlib (regular first)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")  # finds, does not execute, the package
    if spec is None or not spec.submodule_search_locations:
        raise KoreanFontMissing("koreanize-matplotlib is not installed (it ships the NanumGothic font); "
                                "jobs get it from the reporting layer, local installs from requirements/dev.txt")
    fonts_dir = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    files = sorted(fonts_dir.glob("NanumGothic*.ttf"), key=lambda p: (p.stem != FAMILY, p.stem))
    if not files:
        raise KoreanFontMissing(f"no NanumGothic*.ttf in {fonts_dir}")
    return files


def use_korean_font() -> str:
    """Register NanumGothic with matplotlib and make it the default family; returns its name."""
    import matplotlib
    from matplotlib import font_manager

    for path in korean_font_files():
        font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["font.family"] = FAMILY
    matplotlib.rcParams["axes.unicode_minus"] = False  # NanumGothic has no U+2212 minus glyph
    return FAMILY
