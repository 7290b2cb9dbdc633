"""Where a compacted lake is written: a local folder or an S3 prefix, behind one interface.

The order of writes is what makes a batch atomic for compaction: a marker names the batch as
pending, its data files are made durable and put in place (a rename of a staged file locally,
a PUT on S3), the manifest naming them is written last (a temporary file renamed over the old
one, or one PUT of the whole document). A run killed before its manifest write leaves files of
a pending batch no manifest lists; the next run deletes them before it starts. Files of batches
never marked are never deleted (they were not written by compaction into this destination).

One run writes to a destination at a time: a lock (flock locally, released by the kernel when
a run dies; on S3 a lease object taken with a conditional PUT, which a dead run's successor
takes over once it has expired).
"""

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from flowlake.compact.manifest import MANIFEST_KEY, Manifest, new_batch_id
from flowlake.errors import LakeError
from flowlake.lake.store import LocalStore, ObjectInfo, S3Options, S3Store

DATA_ROOT = "AWSLogs/"
LOCK_KEY = "_flowlake/lock"
PENDING_DIR = "_flowlake/pending/"
STAGING_DIR = "_flowlake/staging"
# An S3 lease outlives a batch by far; a run renews it before each batch.
LEASE_SECONDS = 15 * 60


class Destination(Protocol):
    url: str

    def lock(self) -> AbstractContextManager[None]:
        """Hold the destination for one run; fails if another run holds it."""
        ...

    def renew(self) -> None:
        """Keep holding the lock (before each batch)."""
        ...

    def read_manifest(self) -> Manifest: ...

    def write_manifest(self, manifest: Manifest) -> None:
        """Commit: after this returns, the manifest is durable."""
        ...

    def data_files(self) -> list[ObjectInfo]:
        """Every file under the data root (AWSLogs/)."""
        ...

    def files(self, prefix: str) -> list[ObjectInfo]:
        """Every file under `prefix` (none when it does not exist)."""
        ...

    def mark(self, batch_id: str) -> None:
        """Record, durably, that `batch_id`'s files may be in place without being committed."""
        ...

    def unmark(self, batch_id: str) -> None: ...

    def marked(self) -> set[str]:
        """Batches marked and not unmarked: written, or being replaced, by an unfinished run."""
        ...

    def staging(self, batch_id: str) -> Path:
        """An empty local folder to write one batch's files into before they are published."""
        ...

    def publish(self, staging: Path, keys: list[str]) -> None:
        """Make the staged files durable and put them at their keys."""
        ...

    def delete(self, keys: list[str]) -> None: ...

    def clear_staging(self) -> None:
        """Remove what a run staged (and DuckDB spilled): nothing there is committed."""
        ...

    def spill_dir(self) -> Path:
        """A local folder for DuckDB to spill to when a batch outgrows its memory limit."""
        ...

    def reader_path(self, key: str) -> str: ...


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalDestination:
    def __init__(self, root: Path):
        if root.exists() and not root.is_dir():
            raise LakeError(f"--to {root} is a file, not a folder")
        above = next((p for p in root.parents if p.exists()), None)
        if above is not None and not above.is_dir():
            raise LakeError(f"--to {root}: {above} is a file, not a folder")
        self.root = root
        self.url = str(root)

    @contextmanager
    def lock(self) -> Iterator[None]:
        import fcntl

        path = self.root / LOCK_KEY
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LakeError(
                    f"another flowlake compact is writing to {self.root}; try again when it ends"
                ) from None
            yield  # the kernel drops the lock when the file closes or the process dies

    def renew(self) -> None:
        pass

    def read_manifest(self) -> Manifest:
        path = self.root / MANIFEST_KEY
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return Manifest()
        except OSError as exc:
            raise LakeError(f"cannot read {path}: {exc.strerror}") from None
        return Manifest.from_json(data, str(path))

    def write_manifest(self, manifest: Manifest) -> None:
        path = self.root / MANIFEST_KEY
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(manifest.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync(path.parent)  # the rename itself must survive a crash

    def data_files(self) -> list[ObjectInfo]:
        return self.files(DATA_ROOT)

    def files(self, prefix: str) -> list[ObjectInfo]:
        if not (self.root / prefix).is_dir():
            return []
        return list(LocalStore(self.root).walk(prefix))

    def mark(self, batch_id: str) -> None:
        folder = self.root / PENDING_DIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / batch_id).touch()
        _fsync(folder)

    def unmark(self, batch_id: str) -> None:
        (self.root / PENDING_DIR / batch_id).unlink(missing_ok=True)

    def marked(self) -> set[str]:
        folder = self.root / PENDING_DIR
        return {p.name for p in folder.iterdir()} if folder.is_dir() else set()

    def staging(self, batch_id: str) -> Path:
        folder = self.root / STAGING_DIR / batch_id
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def publish(self, staging: Path, keys: list[str]) -> None:
        # Every file durable before any is renamed. The fsyncs run side by side: one at a time,
        # a month of hourly files waited ~2.5 ms each for the disk (~40% of compacting it).
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_fsync, [staging / key for key in keys]))
        folders: set[Path] = set()
        for key in keys:
            target = self.root / key
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / key, target)  # same file system: staging is under the destination
            folders.add(target.parent)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_fsync, folders))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self.root / key
            path.unlink(missing_ok=True)
            # drop partition folders left empty, up to the data root
            folder = path.parent
            while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent

    def clear_staging(self) -> None:
        shutil.rmtree(self.root / STAGING_DIR, ignore_errors=True)

    def spill_dir(self) -> Path:
        return self.root / STAGING_DIR / "spill"

    def reader_path(self, key: str) -> str:
        return str(self.root / key)


class S3Destination:
    def __init__(self, url: str, options: S3Options):
        self.store = S3Store(url, options)
        self.url = self.store.url
        self._local = Path(tempfile.mkdtemp(prefix="flowlake-compact-"))
        self._lease_etag: str | None = None
        self._manifest_etag: str | None = None

    @property
    def _client(self) -> Any:
        return self.store.client

    def _key(self, key: str) -> str:
        return self.store.prefix + key

    def _errors(self) -> AbstractContextManager[None]:
        from flowlake.lake.aws import s3_errors

        return s3_errors(self.url)

    def _get(self, key: str) -> tuple[bytes, str] | None:
        with self._errors():
            try:
                response = self._client.get_object(Bucket=self.store.bucket, Key=self._key(key))
            except self._client.exceptions.NoSuchKey:
                return None
            return response["Body"].read(), response["ETag"]

    def _put(self, key: str, body: bytes, **conditions: str) -> str | None:
        """PUT `body`; None when a condition (IfMatch/IfNoneMatch) did not hold."""
        import botocore.exceptions

        with self._errors():
            try:
                response = self._client.put_object(
                    Bucket=self.store.bucket, Key=self._key(key), Body=body, **conditions
                )
            except botocore.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in (
                    "PreconditionFailed",
                    "ConditionalRequestConflict",
                ):
                    return None
                raise
        return str(response["ETag"])

    @contextmanager
    def lock(self) -> Iterator[None]:
        with self._errors():
            self._client.head_bucket(Bucket=self.store.bucket)
        self._take_lease()
        try:
            yield
        finally:
            with self._errors():
                self._client.delete_object(Bucket=self.store.bucket, Key=self._key(LOCK_KEY))
            self._lease_etag = None
            shutil.rmtree(self._local, ignore_errors=True)

    def _lease(self) -> bytes:
        lease = {"run": new_batch_id(), "expires": time.time() + LEASE_SECONDS}
        return json.dumps(lease).encode()

    def _take_lease(self) -> None:
        etag = self._put(LOCK_KEY, self._lease(), IfNoneMatch="*")
        if etag is None:  # held: by a live run, or by one that died (then it has expired)
            held = self._get(LOCK_KEY)
            expires = json.loads(held[0]).get("expires", 0) if held else 0
            if held and expires > time.time():
                raise LakeError(
                    f"another flowlake compact is writing to {self.url} (its lock "
                    f"{LOCK_KEY} expires in {int(expires - time.time())} s); try again later"
                )
            conditions = {"IfMatch": held[1]} if held else {"IfNoneMatch": "*"}
            etag = self._put(LOCK_KEY, self._lease(), **conditions)
            if etag is None:
                raise LakeError(f"another flowlake compact took the lock on {self.url} first")
        self._lease_etag = etag

    def renew(self) -> None:
        if self._lease_etag is None:
            return
        etag = self._put(LOCK_KEY, self._lease(), IfMatch=self._lease_etag)
        if etag is None:
            raise LakeError(f"lost the lock on {self.url} to another flowlake compact: stopped")
        self._lease_etag = etag

    def read_manifest(self) -> Manifest:
        found = self._get(MANIFEST_KEY)
        if found is None:
            self._manifest_etag = None
            return Manifest()
        data, self._manifest_etag = found
        return Manifest.from_json(data, self.store.reader_path(MANIFEST_KEY))

    def write_manifest(self, manifest: Manifest) -> None:
        # conditional on the manifest this run read: a second writer is detected, not overwritten
        conditions = (
            {"IfMatch": self._manifest_etag} if self._manifest_etag else {"IfNoneMatch": "*"}
        )
        etag = self._put(MANIFEST_KEY, manifest.to_json(), **conditions)
        if etag is None:
            raise LakeError(f"{self.url}: the manifest was changed by another writer: stopped")
        self._manifest_etag = etag

    def data_files(self) -> list[ObjectInfo]:
        return self.files(DATA_ROOT)

    def files(self, prefix: str) -> list[ObjectInfo]:
        return list(self.store.walk(prefix))

    def mark(self, batch_id: str) -> None:
        self._put(PENDING_DIR + batch_id, b"")

    def unmark(self, batch_id: str) -> None:
        self.delete([PENDING_DIR + batch_id])

    def marked(self) -> set[str]:
        return {f.key.rsplit("/", 1)[-1] for f in self.store.walk(PENDING_DIR)}

    def staging(self, batch_id: str) -> Path:
        folder = self._local / "staging" / batch_id
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def publish(self, staging: Path, keys: list[str]) -> None:
        def upload(key: str) -> None:
            # a PUT is durable when it returns
            self._client.upload_file(str(staging / key), self.store.bucket, self._key(key))

        with self._errors(), ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(upload, keys))

    def delete(self, keys: list[str]) -> None:
        with self._errors():
            for start in range(0, len(keys), 1000):
                objects = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
                self._client.delete_objects(
                    Bucket=self.store.bucket, Delete={"Objects": objects, "Quiet": True}
                )

    def clear_staging(self) -> None:
        shutil.rmtree(self._local / "staging", ignore_errors=True)

    def spill_dir(self) -> Path:
        return self._local / "spill"

    def reader_path(self, key: str) -> str:
        return self.store.reader_path(key)


def open_destination(location: str, s3: S3Options | None = None) -> Destination:
    if location.startswith("s3://"):
        return S3Destination(location, s3 or S3Options())
    if "://" in location:
        raise LakeError(f"unsupported destination {location!r}: use a folder or s3://bucket/prefix")
    return LocalDestination(Path(location).expanduser())
