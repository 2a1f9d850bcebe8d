"""An S3 bucket as a blob store: bytes, JSON, files, listing with pagination."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from nabiyam import aws
from nabiyam.settings import Settings, get_settings

MAX_PAGES = 100_000


class BlobNotFound(KeyError):
    """No object at that key."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"s3://{bucket}/{key} does not exist")
        self.bucket, self.key = bucket, key

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


class BlobStore:
    """One bucket. Keys are plain strings; nothing here knows about layout."""

    def __init__(self, bucket: str, settings: Settings | None = None) -> None:
        if not bucket:
            raise ValueError("a bucket name is required")
        self.bucket = bucket
        self.settings = settings or get_settings()

    @property
    def s3(self) -> Any:
        return aws.client("s3", self.settings)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> str:
        """Store ``data``; returns the object's ETag."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": data, "ContentType": content_type}
        if metadata:
            kwargs["Metadata"] = metadata
        return str(self.s3.put_object(**kwargs).get("ETag", "")).strip('"')

    def get_bytes(self, key: str) -> bytes:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise BlobNotFound(self.bucket, key) from exc
            raise
        with body:
            return bytes(body.read())

    def put_json(self, key: str, value: Any) -> str:
        data = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        return self.put_bytes(key, data, "application/json; charset=utf-8")

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def put_text(self, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> str:
        return self.put_bytes(key, text.encode("utf-8"), content_type)

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def upload_file(self, path: Path, key: str, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else None
        self.s3.upload_file(str(path), self.bucket, key, ExtraArgs=extra)

    def download_file(self, key: str, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.s3.download_file(self.bucket, key, str(path))
        except ClientError as exc:
            if _missing(exc):
                raise BlobNotFound(self.bucket, key) from exc
            raise
        return path

    def list(self, prefix: str = "", *, page_size: int = 1000) -> Iterator[BlobInfo]:
        """Objects under ``prefix`` in key order, following every page."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": page_size}
        for _ in range(MAX_PAGES):
            response = self.s3.list_objects_v2(**kwargs)
            for obj in response.get("Contents", []):
                yield BlobInfo(obj["Key"], int(obj["Size"]), str(obj.get("ETag", "")).strip('"'), obj["LastModified"])
            if not response.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = response["NextContinuationToken"]

    def list_prefixes(self, prefix: str = "", delimiter: str = "/") -> list[str]:
        """The "folders" directly under ``prefix`` (e.g. the dt=... partitions)."""
        out: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "Delimiter": delimiter}
        for _ in range(MAX_PAGES):
            response = self.s3.list_objects_v2(**kwargs)
            out.extend(p["Prefix"] for p in response.get("CommonPrefixes", []))
            if not response.get("IsTruncated"):
                return out
            kwargs["ContinuationToken"] = response["NextContinuationToken"]
        return out
