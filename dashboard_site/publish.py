"""Publish a rendered week atomically: a new build prefix first, then the root switches.

Readers never see a half-written week: every file of the new build is written under
``reports/<week>/<build>/`` (a prefix nobody links to yet), and only then are the root's
``archive.html``, ``manifest.json`` and finally ``index.html`` replaced to point at it. A
failed run leaves the previous site untouched; a retried run writes another build.

Two targets with one protocol: :class:`LocalSite` (a folder, for ``make run``) and
:class:`S3Site` (the site bucket of template.yaml, served by CloudFront).

Example::

    published = publish_week(report, S3Site(settings.site_bucket), work_dir=Path("/tmp/site"))
    published.prefix   # 'reports/2026-W45/b20261109T000012345678Z/'
"""

from __future__ import annotations

import mimetypes
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel

from dashboard_site.model import WeekReport
from dashboard_site.render import (SiteManifest, WeekEntry, build_prefix, new_build_id, render_root_pages,
                                   render_week)
from nabiyam import aws
from nabiyam.settings import Settings, get_settings

#: builds never change once written; the root files switch and must not be cached long
IMMUTABLE = "public, max-age=31536000, immutable"
SWITCH = "no-cache, max-age=0"


class SiteTarget(Protocol):
    def read_manifest(self) -> SiteManifest | None: ...
    def put_build(self, prefix: str, build_dir: Path) -> int: ...
    def put_root(self, files: dict[str, str]) -> None: ...


class PublishedWeek(BaseModel):
    week: str
    prefix: str
    files: int
    manifest: SiteManifest


def _content_type(name: str) -> str:
    if name.endswith(".woff"):
        return "font/woff"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return guessed + ("; charset=utf-8" if guessed.startswith("text/") or guessed.endswith("json") else "")


class LocalSite:
    """A site folder on disk (served by any static file server)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read_manifest(self) -> SiteManifest | None:
        path = self.root / "manifest.json"
        return SiteManifest.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else None

    def put_build(self, prefix: str, build_dir: Path) -> int:
        dest = self.root / prefix
        if dest.exists():
            raise FileExistsError(f"build {prefix} already exists; builds are immutable")
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(build_dir, tmp)
        tmp.rename(dest)
        return sum(1 for p in dest.rglob("*") if p.is_file())

    def put_root(self, files: dict[str, str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():  # index.html comes last
            tmp = self.root / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self.root / name)


class S3Site:
    """The site bucket (``Settings.site_bucket``); CloudFront serves it."""

    def __init__(self, bucket: str | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.bucket = bucket or self.settings.site_bucket
        self.s3 = aws.client("s3", self.settings)

    def read_manifest(self) -> SiteManifest | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key="manifest.json")["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        return SiteManifest.model_validate_json(body)

    def put_build(self, prefix: str, build_dir: Path) -> int:
        count = 0
        for path in sorted(p for p in build_dir.rglob("*") if p.is_file()):
            key = prefix + path.relative_to(build_dir).as_posix()
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes(),
                               ContentType=_content_type(path.name), CacheControl=IMMUTABLE)
            count += 1
        return count

    def put_root(self, files: dict[str, str]) -> None:
        for name, text in files.items():  # index.html comes last: the switch
            self.s3.put_object(Bucket=self.bucket, Key=name, Body=text.encode("utf-8"),
                               ContentType=_content_type(name), CacheControl=SWITCH)


def publish_week(report: WeekReport, target: SiteTarget, *, work_dir: Path, build_id: str | None = None,
                 make_current: bool | None = None) -> PublishedWeek:
    """Render ``report`` into ``work_dir``, upload it under a new prefix, then switch the root.

    ``make_current`` defaults to "this week is the newest published week" (re-publishing an
    old week updates the archive without moving the front page back in time).
    """
    build_id = build_id or new_build_id()
    prefix = build_prefix(report.week, build_id)
    build_dir = work_dir / prefix
    if build_dir.exists():
        shutil.rmtree(build_dir)
    render_week(report, build_dir)
    files = target.put_build(prefix, build_dir)
    manifest = target.read_manifest() or SiteManifest(current=report.week, weeks=[])
    if make_current is None:
        make_current = all(w.week <= report.week for w in manifest.weeks)
    entry = WeekEntry(week=report.week, prefix=prefix, start=report.start, end=report.end,
                      published_at=datetime.now(timezone.utc))
    manifest = manifest.with_week(entry, make_current=make_current)
    target.put_root(render_root_pages(manifest))
    return PublishedWeek(week=report.week, prefix=prefix, files=files, manifest=manifest)
