"""Open every page of a built site in headless Chromium: errors, failed requests, screenshots.

Uses Debian's ``chromium`` (``/usr/bin/chromium``; ``make browser`` installs it) through
Playwright's Python driver — Playwright never downloads a browser here. Each page is loaded
from a real local HTTP server on 127.0.0.1, at desktop and at phone width (390 px), and
checked for: console errors and uncaught exceptions, failed requests and HTTP errors,
requests that leave 127.0.0.1 (no CDN), images without alt text or that did not load,
text below WCAG AA contrast, horizontal scrolling at phone width.

Command line (``make screenshots``)::

    python -m dashboard_site.browser var/site --screenshots var/screenshots
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # playwright is a dev/test dependency; the jobs never import this module
    from playwright.sync_api import BrowserContext, Route

CHROMIUM = Path(os.environ.get("NABIYAM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


#: WCAG 2 AA: every visible text node's colour against the background it sits on (the first
#: opaque background up the tree) must reach 4.5:1, or 3:1 for large text (≥ 24px, or ≥ 18.66px bold).
CONTRAST_JS = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.99) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const bad = []; const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement; if (!el || seen.has(el) || !n.textContent.trim()) continue; seen.add(el);
    const st = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (st.visibility === 'hidden' || st.display === 'none' || r.width < 2 || r.height < 2) continue;
    if (el.closest('.sr, .skip')) continue;
    const fg = parse(st.color), bg = background(el); if (!fg) continue;
    const l1 = lum(fg), l2 = lum(bg); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) bad.push(`${n.textContent.trim().slice(0, 30)} (${ratio.toFixed(2)}:1 < ${need}:1)`);
  }
  return bad; }"""


class BrowserMissing(RuntimeError):
    """Chromium is not installed where the checks look for it."""


class PageCheck(BaseModel):
    path: str
    viewport: str
    title: str = ""
    console_errors: list[str] = Field(default_factory=list)
    failed_requests: list[str] = Field(default_factory=list)
    external_requests: list[str] = Field(default_factory=list)
    images_without_alt: list[str] = Field(default_factory=list)
    broken_images: list[str] = Field(default_factory=list)
    horizontal_overflow_px: int = 0
    low_contrast: list[str] = Field(default_factory=list, description="text below WCAG AA contrast")
    screenshot: str | None = None

    @property
    def problems(self) -> list[str]:
        out = [f"console: {m}" for m in self.console_errors]
        out += [f"request failed: {m}" for m in self.failed_requests]
        out += [f"external request: {m}" for m in self.external_requests]
        out += [f"image without alt: {m}" for m in self.images_without_alt]
        out += [f"image did not load: {m}" for m in self.broken_images]
        out += [f"low contrast: {m}" for m in self.low_contrast]
        if self.horizontal_overflow_px > 0:
            out.append(f"scrolls sideways by {self.horizontal_overflow_px}px at {self.viewport} width")
        return [f"{self.path} [{self.viewport}] {p}" for p in out]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_dir(root: Path, port: int = 0) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 (``port`` 0: a free one); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def site_pages(root: Path) -> list[str]:
    """Every HTML file of the site, relative to the root (root pages first)."""
    return sorted((p.relative_to(root).as_posix() for p in root.rglob("*.html")), key=lambda s: (s.count("/"), s))


def screenshot_name(rel: str) -> str:
    """``reports/2026-W45/<build>/ai.html`` → ``2026-W45-ai``; root pages keep their name."""
    parts = rel.removesuffix(".html").split("/")
    return f"{parts[1]}-{parts[-1]}" if parts[0] == "reports" and len(parts) == 4 else "-".join(parts)


def check_site(root: Path, *, screenshots: Path | None = None, pages: list[str] | None = None) -> list[PageCheck]:
    """Load each page at desktop and phone width; returns what was seen (see :attr:`PageCheck.problems`)."""
    if not CHROMIUM.exists():
        raise BrowserMissing(f"{CHROMIUM} not found: install Debian's chromium (make browser) or set NABIYAM_CHROMIUM")
    from playwright.sync_api import sync_playwright

    pages = pages or site_pages(root)
    results: list[PageCheck] = []
    with serve_dir(root) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                     timeout=TIMEOUT_MS)
        try:
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(viewport=viewport, locale="ko-KR", timezone_id="Asia/Seoul")
                for rel in pages:
                    redirects = 'http-equiv="refresh"' in (root / rel).read_text(encoding="utf-8")[:2000]
                    results.append(_check_page(context, base, rel, name, screenshots, redirects))
                context.close()
        finally:
            browser.close()
    return results


def _check_page(context: BrowserContext, base: str, rel: str, viewport: str, screenshots: Path | None,
                redirects: bool) -> PageCheck:
    page = context.new_page()
    check = PageCheck(path=rel, viewport=viewport)
    host = urlparse(base).netloc
    page.on("console", lambda m: check.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: check.console_errors.append(str(e)))
    page.on("requestfailed", lambda r: check.failed_requests.append(f"{r.url} ({r.failure})")
            if urlparse(r.url).netloc == host else None)
    page.on("response", lambda r: check.failed_requests.append(f"{r.url} HTTP {r.status}") if r.status >= 400 else None)


    def only_local(route: Route) -> None:  # never let a page reach the network: record and abort
        url = route.request.url
        if urlparse(url).netloc == host or url.startswith("data:"):
            route.continue_()
        else:
            check.external_requests.append(url)
            route.abort("blockedbyclient")

    page.route("**/*", only_local)
    if redirects:  # the root index.html: a meta refresh to the current week; check it lands there
        with page.expect_navigation(url="**/reports/**/index.html", timeout=TIMEOUT_MS, wait_until="load"):
            page.goto(base + rel, wait_until="commit", timeout=TIMEOUT_MS)
    else:
        page.goto(base + rel, wait_until="load", timeout=TIMEOUT_MS)
    # lazy images: scroll through, then wait for every image to finish
    page.evaluate("""async () => { for (const img of document.images) { img.loading = 'eager'; }
        await Promise.all([...document.images].map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
        await document.fonts.ready; }""")
    check.title = page.title()
    info = page.evaluate("""() => ({
        noAlt: [...document.images].filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.getAttribute('src')),
        broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth })""")
    check.low_contrast = page.evaluate(CONTRAST_JS)
    check.images_without_alt = info["noAlt"]
    check.broken_images = info["broken"]
    check.horizontal_overflow_px = max(0, int(info["overflow"]))
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        out = screenshots / f"{screenshot_name(rel)}--{viewport}.png"
        page.screenshot(path=str(out), full_page=True)
        check.screenshot = str(out)
    page.close()
    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard_site.browser", description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site folder (with index.html)")
    parser.add_argument("--screenshots", type=Path, default=None, help="write a PNG of every page here")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        print(f"error: {args.site}/index.html not found: build the site first", file=sys.stderr)
        return 2
    try:
        results = check_site(args.site, screenshots=args.screenshots)
    except BrowserMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = [p for r in results for p in r.problems]
    for r in results:
        print(f"{'FAIL' if r.problems else 'ok  '} {r.viewport:7s} {r.path}" + (f" → {r.screenshot}" if r.screenshot else ""))
    for p in problems:
        print("  " + p)
    print(f"{len(results)} page loads, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
