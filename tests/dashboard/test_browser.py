"""Every page of a published site opens in headless Chromium (Debian's package, installed by
`make browser`, a dependency of `make test`) at desktop and phone width: no console errors,
no failed or outside requests, every image loads and has alt text, nothing scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard_site.browser import check_site, site_pages
from dashboard_site.publish import LocalSite, publish_week
from dashboard_site.render import PAGES

from .sample import sample_report

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published")
    target = LocalSite(root / "site")
    for week, seed in (("2026-W44", 1), ("2026-W45", 2)):
        publish_week(sample_report(week, seed), target, work_dir=root / "work")
    return root / "site"


def test_every_page_opens_cleanly_in_headless_chromium(site: Path, tmp_path: Path) -> None:
    pages = [p for p in site_pages(site) if "2026-W44" not in p]  # the root pages + every tab of the newest week
    assert len(pages) == 2 + len(PAGES)
    results = check_site(site, screenshots=tmp_path, pages=pages)
    assert len(results) == 2 * len(pages)  # desktop and phone
    problems = [p for r in results for p in r.problems]
    assert problems == []
    assert all(r.title for r in results)
    # the root index.html redirects to the newest week, whose tabs all have a screenshot
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "2026-W45-index--phone.png" in shots and len(shots) == len(results)


def test_the_checker_catches_a_broken_page(site: Path, tmp_path: Path) -> None:
    """The checks can fail: a missing chart, an outside script and a too-wide table are reported."""
    broken = site / "broken.html"
    broken.write_text('<!doctype html><html lang="ko"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
                      '<meta name="viewport" content="width=device-width"><title>x</title></head><body>'
                      '<img src="missing.png"><img src="missing.png" alt="차트">'
                      '<script src="http://203.0.113.1/cdn.js"></script>'
                      '<script>console.error("boom")</script><div style="width:2000px">wide</div>'
                      '<p style="color:#aaaaaa">흐린 글씨</p></body></html>',
                      encoding="utf-8")
    try:
        results = check_site(site, pages=["broken.html"])
    finally:
        broken.unlink()
    desktop, phone = results
    text = "\n".join(desktop.problems + phone.problems)
    assert "image without alt: missing.png" in text
    assert "image did not load" in text
    assert "external request: http://203.0.113.1/cdn.js" in text
    assert "console: boom" in text
    assert "scrolls sideways" in text
    assert "low contrast: 흐린 글씨 (2.32:1 < 4.5:1)" in text
