"""File storage behind one seam: local disk by default, S3 (through boto3) when S3_BUCKET is set.

Everything else asks plain questions: `put(key, data, type)`, `get(key)`, `delete(key)`, `url(key)`.
Keys start with `t/<tenant id>/`, so a signed URL can only ever serve the city it was made for.
URLs are signed and expire: S3 presigned GETs, or on local disk an HMAC-signed link to our own route
(`platform.media`), checked before a byte is read.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from flask import current_app

URL_LIFETIME_SECONDS = 3600


class StorageError(RuntimeError):
    pass


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def url(self, key: str, expires: int = URL_LIFETIME_SECONDS) -> str: ...


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key:
        raise StorageError(f"refused storage key {key!r}")
    return key


class LocalStorage:
    """Files under UPLOAD_DIR; served by the signed `/media/<key>` route on the city's host."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"no file {key}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(self, key: str, expires: int = URL_LIFETIME_SECONDS) -> str:
        until = int(time.time()) + expires
        return f"/media/{quote(_check_key(key))}?e={until}&s={sign(key, until)}"


class S3Storage:
    def __init__(self, bucket: str, endpoint_url: str | None, region: str):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        # Short timeouts and few retries: an S3 outage must not hold a resident's form for a minute.
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region,
            config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_check_key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise StorageError(f"no object {key}") from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def url(self, key: str, expires: int = URL_LIFETIME_SECONDS) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": _check_key(key)}, ExpiresIn=expires
        )


def sign(key: str, until: int) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"media:{key}:{until}".encode(), hashlib.sha256).hexdigest()[:32]


def signature_valid(key: str, until: str | int, signature: str) -> bool:
    try:
        until_int = int(until)
    except (TypeError, ValueError):
        return False
    if until_int < time.time():
        return False
    return hmac.compare_digest(sign(key, until_int), signature or "")


def local() -> LocalStorage:
    """Local disk, whatever the configured backend (the fallback while S3 is unreachable)."""
    return LocalStorage(current_app.config["CIVIC311"].upload_dir)


def get_storage() -> Storage:
    settings = current_app.config["CIVIC311"]
    if not settings.s3_bucket:
        return local()
    cache = current_app.extensions.setdefault("civic311_storage", {})
    key = (settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    if key not in cache:
        cache[key] = S3Storage(*key)
    return cache[key]


def uses_s3() -> bool:
    return bool(current_app.config["CIVIC311"].s3_bucket)
