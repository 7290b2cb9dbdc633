"""Listing and reading a lake's objects, on a local folder or S3, behind one small interface.

Keys are '/'-separated and relative to the lake's root; directories end with '/'.
"""

import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flowlake.errors import LakeError

HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    tag: str | None = None
    """Changes when the object's content may have: mtime in ns locally, the ETag on S3."""


@dataclass(frozen=True)
class S3Options:
    """How to reach S3: the boto3 credential chain, optionally narrowed by these."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


class Store(Protocol):
    url: str

    def list_dir(self, prefix: str) -> tuple[list[str], list[ObjectInfo]]:
        """Immediate sub-directories and files under `prefix` (one listing level)."""
        ...

    def walk(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every file under `prefix`, recursively."""
        ...

    def first_line(self, key: str) -> str:
        """The first line of a (possibly gzipped) text object."""
        ...

    def reader_path(self, key: str) -> str:
        """The path DuckDB reads the object by."""
        ...

    def read(self, key: str) -> bytes:
        """The whole object, as stored (compaction's fast path reads files this way)."""
        ...


def first_line_of(head: bytes, name: str) -> str:
    """Decode the first line of an object from its first bytes, gunzipping when needed."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, HEAD_BYTES)
        except zlib.error as exc:
            raise LakeError(f"{name}: not a valid gzip file ({exc})") from None
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()


class LocalStore:
    def __init__(self, root: Path):
        if not root.exists():
            raise LakeError(f"lake folder {root} does not exist")
        self.root = root
        self.url = str(root)

    def _path(self, key: str) -> Path:
        return self.root / key if key else self.root

    def list_dir(self, prefix: str) -> tuple[list[str], list[ObjectInfo]]:
        if self.root.is_file():  # a lake that is one file
            stat = self.root.stat()
            return [], [ObjectInfo("", stat.st_size, str(stat.st_mtime_ns))] if not prefix else []
        dirs, files = [], []
        if not self._path(prefix).is_dir():
            return [], []  # a date prefix with no deliveries
        with os.scandir(self._path(prefix)) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith("."):
                    continue  # temporary and hidden files are never part of the lake
                if entry.is_dir():
                    dirs.append(f"{prefix}{entry.name}/")
                elif entry.is_file():
                    stat = entry.stat()
                    files.append(
                        ObjectInfo(prefix + entry.name, stat.st_size, str(stat.st_mtime_ns))
                    )
        return dirs, files

    def walk(self, prefix: str) -> Iterator[ObjectInfo]:
        if not self._path(prefix).is_dir():
            return
        dirs, files = self.list_dir(prefix)
        yield from files
        for sub in dirs:
            yield from self.walk(sub)

    def first_line(self, key: str) -> str:
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                return first_line_of(f.read(HEAD_BYTES), str(path))
        except OSError as exc:
            raise LakeError(f"cannot read {path}: {exc.strerror}") from None

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def reader_path(self, key: str) -> str:
        # string joining: this runs for every file of every statement (pathlib cost ~50 us)
        if not key:
            return self.url
        return key if self.url == "." else f"{self.url.rstrip('/')}/{key}"


# Storage classes whose objects a GET refuses until they are restored.
_ARCHIVED = ("GLACIER", "DEEP_ARCHIVE")


class S3Store:
    def __init__(self, url: str, options: S3Options):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise LakeError(f"invalid S3 location {url!r}: expected s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.options = options
        self.url = f"s3://{bucket}/{self.prefix}"
        self._client: Any = None
        self._single_object: ObjectInfo | None = None
        if prefix and not prefix.endswith("/") and "." in prefix.rsplit("/", 1)[-1]:
            self._single_object = self._head(prefix)

    @property
    def client(self) -> Any:
        if self._client is None:
            from flowlake.lake.aws import s3_client

            self._client = s3_client(self.options)
        return self._client

    def _head(self, key: str) -> ObjectInfo | None:
        from flowlake.lake.aws import s3_errors

        with s3_errors(self.url):
            try:
                response = self.client.head_object(Bucket=self.bucket, Key=key)
            except Exception as exc:  # a 404 on HEAD: the prefix is a folder after all
                if getattr(exc, "response", {}).get("Error", {}).get("Code") in (
                    "404",
                    "NoSuchKey",
                ):
                    return None
                raise
        self.prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
        return ObjectInfo(
            key.rsplit("/", 1)[-1], response["ContentLength"], _etag(response.get("ETag"))
        )

    def archived(self, key: str) -> str | None:
        """The storage class of an object that must be restored before it can be read (S3
        Glacier Flexible Retrieval or Deep Archive, not restored), else None."""
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception:  # noqa: BLE001 - asked only to explain another failure
            return None
        storage = response.get("StorageClass")
        restored = 'ongoing-request="false"' in response.get("Restore", "")
        return storage if storage in _ARCHIVED and not restored else None

    def list_dir(self, prefix: str) -> tuple[list[str], list[ObjectInfo]]:
        if self._single_object:
            return [], [self._single_object] if not prefix else []
        from flowlake.lake.aws import s3_errors

        dirs: list[str] = []
        files: list[ObjectInfo] = []
        base = len(self.prefix)
        with s3_errors(self.url):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix, Delimiter="/"
            )
            for page in pages:
                dirs += [p["Prefix"][base:] for p in page.get("CommonPrefixes", [])]
                files += [
                    ObjectInfo(o["Key"][base:], o["Size"], _etag(o.get("ETag")))
                    for o in page.get("Contents", [])
                    if not o["Key"].endswith("/")
                ]
        return dirs, files

    def walk(self, prefix: str) -> Iterator[ObjectInfo]:
        if self._single_object:
            yield from self.list_dir(prefix)[1]
            return
        from flowlake.lake.aws import s3_errors

        base = len(self.prefix)
        with s3_errors(self.url):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            for page in pages:
                for o in page.get("Contents", []):
                    if not o["Key"].endswith("/"):
                        yield ObjectInfo(o["Key"][base:], o["Size"], _etag(o.get("ETag")))

    def first_line(self, key: str) -> str:
        from flowlake.lake.aws import s3_errors

        with s3_errors(self.url):
            response = self.client.get_object(
                Bucket=self.bucket, Key=self.prefix + key, Range=f"bytes=0-{HEAD_BYTES - 1}"
            )
            head = response["Body"].read()
        return first_line_of(head, self.reader_path(key))

    def read(self, key: str) -> bytes:
        from flowlake.lake.aws import s3_errors

        with s3_errors(self.url):
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            body: bytes = response["Body"].read()
        return body

    def reader_path(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None


def open_store(location: str, s3: S3Options | None = None) -> Store:
    if location.startswith("s3://"):
        return S3Store(location, s3 or S3Options())
    if "://" in location:
        raise LakeError(
            f"unsupported lake location {location!r}: use a folder or s3://bucket/prefix"
        )
    return LocalStore(Path(location).expanduser())


def gzip_ok(path: str) -> bool:
    """Whether a local gzip file decompresses to the end (used to name a corrupt file)."""
    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 20):
                pass
        return True
    except (OSError, EOFError, zlib.error):
        return False
