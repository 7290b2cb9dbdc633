"""The manifest of a compacted lake: which source files each committed batch holds.

`DEST/_flowlake/manifest.json` is one JSON document. A batch is committed when it is listed
there, and only then: its Parquet files are written and in place before the manifest that names
them is (see flowlake.compact.destination). Data files whose batch is not listed were left by a
run that did not finish; the next run deletes them.

    {"format": "flowlake-compact-manifest", "version": 1, "batches": [
      {"id": "20240501T120304Z-1a2b3c4d", "committed_at": "2024-05-01T12:03:09Z",
       "lake": "s3://logs/flow/",
       "sources": [{"path": "AWSLogs/.../x.log.gz", "size": 123, "tag": "9b2cf535f27731c9",
                    "rows_read": 1000, "rows_written": 1000, "lines_skipped": 0, "error": null}],
       "files": ["AWSLogs/aws-account-id=.../hour=10/20240501T120304Z-1a2b3c4d_0.parquet"],
       "rows_written": 1000}]}
"""

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flowlake.errors import LakeError
from flowlake.lake import layout

MANIFEST_KEY = "_flowlake/manifest.json"
FORMAT = "flowlake-compact-manifest"
VERSION = 1

# `<batch-id>_<n>.parquet`: the only data files compaction writes, and the only ones it deletes.
BATCH_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
DATA_FILE = re.compile(r"(?:^|/)(?P<batch>\d{8}T\d{6}Z-[0-9a-f]{8})_\d+\.parquet$")


def new_batch_id(now: datetime | None = None) -> str:
    """Sortable by creation time, unique across runs and machines."""
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def batch_of(key: str) -> str | None:
    """The batch a data file belongs to, from its name; None for files compaction never wrote."""
    match = DATA_FILE.search(key)
    return match["batch"] if match else None


def source_identity(path: str) -> str:
    """What makes two source keys the same file.

    AWS's file names are unique (account, region, flow log, time, hash), so an AWS-named file
    is known by its name alone: pointing --lake at the bucket root one day and at
    `AWSLogs/<account>/` the next must not compact the same file twice. Other files are known
    by their key under the lake.
    """
    name = path.rsplit("/", 1)[-1]
    return name if layout.FILE_NAME.search(name) else path


@dataclass
class SourceEntry:
    """One source file as it was when compacted."""

    path: str  # key relative to the source lake
    size: int
    tag: str | None  # mtime in ns (local) or ETag (S3): with size, tells a changed file
    rows_read: int  # records read from it (lines with runs of spaces included)
    rows_written: int  # of those, rows written to the batch's Parquet files
    lines_skipped: int  # malformed lines skipped
    error: str | None = None  # why the file could not be read at all (it is then skipped)

    def same_object(self, size: int, tag: str | None) -> bool:
        return self.size == size and self.tag == tag


@dataclass
class Batch:
    id: str
    committed_at: str
    lake: str  # the source lake's location when this batch was written
    sources: list[SourceEntry]
    files: list[str]  # data files written, relative to the destination
    rows_written: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Batch":
        return cls(
            id=data["id"],
            committed_at=data["committed_at"],
            lake=data.get("lake", ""),
            sources=[SourceEntry(**s) for s in data["sources"]],
            files=list(data["files"]),
            rows_written=int(data.get("rows_written", 0)),
        )


@dataclass
class Manifest:
    batches: list[Batch] = field(default_factory=list)

    def batch_ids(self) -> set[str]:
        return {b.id for b in self.batches}

    def by_source(self) -> dict[str, tuple[Batch, SourceEntry]]:
        """Every compacted source by its identity, with the batch holding it."""
        return {source_identity(s.path): (b, s) for b in self.batches for s in b.sources}

    def listed(self) -> set[str]:
        """Every data file a committed batch lists."""
        return {key for b in self.batches for key in b.files}

    def replace(self, old_ids: list[str], batch: Batch) -> None:
        """Commit `batch` in memory, dropping the batches it rewrites or merges."""
        self.batches = [b for b in self.batches if b.id not in old_ids] + [batch]

    def to_json(self) -> bytes:
        """The manifest as JSON, one batch a line.

        Written at every commit: json's C encoder (no `indent`) and plain dicts keep that to
        milliseconds for tens of thousands of sources, where indented output through asdict
        took ~0.7 s a commit.
        """
        head = json.dumps({"format": FORMAT, "version": VERSION})[:-1]
        batches = ",\n".join(
            json.dumps(_batch_dict(b), separators=(",", ":")) for b in self.batches
        )
        return f'{head}, "batches": [\n{batches}\n]}}\n'.encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> "Manifest":
        try:
            document = json.loads(data)
            if document.get("format") != FORMAT:
                raise ValueError("not a flowlake compaction manifest")
            if document.get("version") != VERSION:
                raise ValueError(f"manifest version {document.get('version')} is not {VERSION}")
            return cls([Batch.from_json(b) for b in document["batches"]])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LakeError(f"{where}: unreadable manifest ({exc})") from None


def owners(batch: Batch) -> set[str]:
    """The batches named by `batch`'s files: itself, and those whose files it kept when it
    merged them (flowlake.compact.merge). Marking them all before `batch` is replaced lets an
    interrupted run's successor delete every file the replacement no longer lists."""
    return {batch.id} | {owner for key in batch.files if (owner := batch_of(key))}


def _batch_dict(batch: Batch) -> dict[str, Any]:
    data = dict(vars(batch))
    data["sources"] = [dict(vars(s)) for s in batch.sources]
    return data


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
