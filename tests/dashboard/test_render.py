"""The rendered week: every tab, charts with alt text, no outside requests, groups suppressed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from dashboard_site.model import MIN_GROUP_SIZE
from dashboard_site.render import PAGES, render_week

from .sample import sample_report

pytestmark = pytest.mark.xdist_group("dashboard")


@pytest.fixture(scope="module")
def week_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "reports" / "2026-W45" / "b1"
    render_week(sample_report(), out)
    return out


def test_every_tab_is_rendered_and_linked(week_dir: Path) -> None:
    for page in PAGES:
        html = (week_dir / page.file).read_text(encoding="utf-8")
        assert f'aria-current="page">{page.title}<' in html
        for other in PAGES:
            assert f'href="{other.file}"' in html
        assert 'href="../../../archive.html"' in html
        assert "마지막 업데이트" in html and "2026-11-09 09:00" in html


def test_charts_exist_have_alt_text_and_are_real_images(week_dir: Path) -> None:
    seen = 0
    for page in PAGES:
        html = (week_dir / page.file).read_text(encoding="utf-8")
        for tag in re.findall(r"<img [^>]*>", html):
            src = re.search(r'src="([^"]+)"', tag)[1]  # type: ignore[index]
            alt = re.search(r'alt="([^"]*)"', tag)
            assert alt and len(alt[1]) > 15, f"{page.file}: {src} needs a real alt text"
            with Image.open(week_dir / src) as img:
                assert img.width >= 500 and img.height >= 100
            seen += 1
    assert seen >= 15


def test_pages_are_light_and_self_contained(week_dir: Path) -> None:
    for path in week_dir.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html, f"{path.name} has JavaScript"
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert not [u for u in urls if re.match(r"^(https?:)?//", u)], f"{path.name} loads from outside: {urls}"
    total = sum(p.stat().st_size for p in week_dir.rglob("*") if p.is_file())
    assert total < 1_500_000, f"a week's site is {total} bytes"
    fonts = list((week_dir / "fonts").glob("*.woff"))
    assert len(fonts) == 2 and all(f.stat().st_size < 200_000 for f in fonts)  # subset, not the 4.7 MB font


def test_small_groups_do_not_reach_the_page(week_dir: Path) -> None:
    report = sample_report()
    small = [c.label for c in report.topics.intents if c.count < MIN_GROUP_SIZE]
    topics = (week_dir / "topics.html").read_text(encoding="utf-8")
    assert "음식 추천" in topics
    for label in small:
        assert label not in topics
    ai = (week_dir / "ai.html").read_text(encoding="utf-8")
    assert "holdout" not in ai  # a variant with 3 conversations
    assert "숨겼어요" in topics


def test_a_chart_that_would_draw_tofu_is_refused(tmp_path: Path) -> None:
    """Korean renders in every chart: a glyph the bundled NanumGothic lacks fails the render."""
    from dashboard_site.charts import MissingGlyphs, bar_counts
    from dashboard_site.model import Counted

    chart = bar_counts(tmp_path, "ok", "음식 분류 — 떡볶이·김밥", [Counted(label="분식", count=12)])
    assert (tmp_path / chart.file).stat().st_size > 1000
    with pytest.raises(MissingGlyphs, match="missing from font"):
        bar_counts(tmp_path, "tofu", "지난주 대비 −5%", [Counted(label="분식", count=12)])  # U+2212 is not in it
