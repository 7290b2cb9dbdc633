"""Compaction: a lake of raw flow logs copied, incrementally, into hour-partitioned Parquet.

    report = compact(Lake("s3://logs/flow/"), "s3://logs-compacted/flow/")

A run:
1. takes the destination's lock and reads its manifest (flowlake.compact.manifest);
2. deletes the files a killed run had put in place (marked pending) that no committed batch
   lists: written and not committed, or replaced and not yet deleted;
3. lists the source lake (only the days of the lake's window, if it has one) and keeps the files
   the manifest does not hold yet, or holds with another size or tag (mtime locally, ETag on S3);
4. writes them in batches of about `batch_bytes` (flowlake.compact.batch): staged, checked (rows
   read = rows in the staged Parquet files), put in place, then committed in the manifest;
5. merges small batches of earlier runs that share hour partitions (flowlake.compact.merge), so
   frequent runs do not leave several files in every hour;
6. copies the lake's network-config snapshots and CloudTrail logs that the destination lacks
   (flowlake.compact.companions), so every query answers on the copy as on the lake.

A changed source is recompacted with the rest of its batch: the batch is written again from its
sources as they are now and replaces the old one in the manifest, whose files are then deleted,
so its rows are never counted twice. Batch-mates outside --since/--until are looked for in the
whole lake. When one has gone from the lake (expired raw logs), the batch cannot be rebuilt
without losing that file's rows: the changed source is left as compacted before, and reported.

A source is compacted whole, whatever the window: --since/--until choose files, not rows.
"""

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from flowlake import registry
from flowlake.compact.batch import BatchOutput, Resources, batch_sources, write_batch
from flowlake.compact.companions import CompanionReport, copy_companions, flow_log_days
from flowlake.compact.destination import Destination, open_destination
from flowlake.compact.manifest import (
    Batch,
    Manifest,
    SourceEntry,
    batch_of,
    new_batch_id,
    owners,
    source_identity,
    utc_now,
)
from flowlake.compact.merge import Merged, merge_batches
from flowlake.errors import LakeError, UsageError
from flowlake.lake import Lake
from flowlake.lake.discovery import Discovery, discover
from flowlake.lake.store import ObjectInfo, Store
from flowlake.timewindow import TimeWindow

DEFAULT_BATCH_BYTES = 128 * 2**20
"""Source bytes per batch: ~4M records of gzip text. A batch is the unit of commit; memory is
bounded by DuckDB's limit (undated sources go through a temp table that spills beyond it) and
by the fast path's hours (flowlake.compact.arrow_writer), not by the batch: peak RSS ~500-850
MiB for AWS's files, ~650 MiB for a batch of undated ones."""

# Test hook (the kill tests): where to hold a run (see _pause).
PAUSE_ENV = "FLOWLAKE_COMPACT_PAUSE_AT"


@dataclass
class CompactReport:
    source: str
    destination: str
    batches: list[Batch] = field(default_factory=list)  # committed by this run
    replaced: list[str] = field(default_factory=list)  # batches rewritten for changed sources
    garbage: list[str] = field(default_factory=list)  # uncommitted files deleted at the start
    up_to_date: int = 0  # sources already compacted and unchanged
    pending: list[str] = field(default_factory=list)  # changed sources left as they were, why
    warnings: list[str] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)  # small batches sharing hours, merged
    companions: CompanionReport = field(default_factory=CompanionReport)  # config, CloudTrail

    @property
    def sources(self) -> int:
        return sum(len(b.sources) for b in self.batches)

    @property
    def rows(self) -> int:
        return sum(b.rows_written for b in self.batches)

    @property
    def files(self) -> int:
        return sum(len(b.files) for b in self.batches)

    @property
    def lines_skipped(self) -> int:
        return sum(s.lines_skipped for b in self.batches for s in b.sources)


Scan = tuple[Discovery, dict[str, ObjectInfo]]
"""A listing of the lake: its flow-log files by format, and each file's size and tag."""


@dataclass
class _Planned:
    keys: list[str]
    replaces: Batch | None = None
    found: Scan | None = None  # where its keys were listed, if not in the run's window


class _RecordingStore:
    """A store that remembers every file it listed, with its size and tag."""

    def __init__(self, store: Store):
        self.store = store
        self.url = store.url
        self.seen: dict[str, ObjectInfo] = {}

    def list_dir(self, prefix: str) -> tuple[list[str], list[ObjectInfo]]:
        dirs, files = self.store.list_dir(prefix)
        self.seen.update((f.key, f) for f in files)
        return dirs, files

    def walk(self, prefix: str) -> Iterator[ObjectInfo]:
        for f in self.store.walk(prefix):
            self.seen[f.key] = f
            yield f

    def first_line(self, key: str) -> str:
        return self.store.first_line(key)

    def reader_path(self, key: str) -> str:
        return self.store.reader_path(key)

    def read(self, key: str) -> bytes:
        return self.store.read(key)


def scan_sources(lake: Lake) -> Scan:
    """The lake's flow-log files in its window, grouped by format, and each file's size and tag."""
    recording = _RecordingStore(lake.store)
    fields = lake.fields or list(map(registry.column_name, registry.DEFAULT_FORMAT))
    found = discover(recording, lake.window, fields)
    return found, recording.seen


def source_path(lake: Lake, key: str) -> str:
    """A source's path in the manifest: its key, or its name for a lake that is one file."""
    return key or Path(lake.store.reader_path(key)).name


def check_apart(lake: Lake, destination: str) -> None:
    """The two lakes must not contain each other: a query of one would read the other's files."""
    src, dst = lake.location, destination
    if src.startswith("s3://") and dst.startswith("s3://"):
        a, b = (u.removeprefix("s3://").rstrip("/") + "/" for u in (src, dst))
        overlap = a.startswith(b) or b.startswith(a)
    elif "://" in src or "://" in dst:
        overlap = False
    else:
        a_path, b_path = Path(src).expanduser().resolve(), Path(dst).expanduser().resolve()
        overlap = a_path == b_path or a_path in b_path.parents or b_path in a_path.parents
    if overlap:
        raise UsageError(
            f"--to {dst} and --lake {src} overlap: keep the compacted lake outside the raw one "
            "(and the raw one outside it), or queries of one would read both"
        )


def lake_identity(location: str) -> str:
    """The source lake as the manifest records it: an s3:// URL, or a local absolute path."""
    if "://" in location:
        return location.rstrip("/")
    return str(Path(location).expanduser().resolve())


def check_same_lake(lake: Lake, manifest: Manifest, destination: str) -> None:
    """A destination holds the copy of one lake: sources are matched by their keys, so another
    lake's files with the same keys would look changed and rewrite (drop) the first's rows."""
    mine = lake_identity(lake.location)
    for batch in manifest.batches:
        if batch.lake and lake_identity(batch.lake) != mine:
            raise UsageError(
                f"--to {destination} holds the compacted copy of {batch.lake}, not of "
                f"{lake.location}: compact each lake to its own destination"
            )


def collect_garbage(destination: Destination, manifest: Manifest) -> list[str]:
    """Delete the files of batches marked pending that no committed batch lists: a run was
    killed after putting them in place and before its commit, or after a commit that replaced
    or merged them and before it deleted them."""
    marked = destination.marked()
    garbage: list[str] = []
    if marked:  # else nothing can be garbage: no listing of every data file (on S3, ~9 LIST
        listed = manifest.listed()  # requests for a year of hours, each run)
        garbage = [
            f.key
            for f in destination.data_files()
            if batch_of(f.key) in marked and f.key not in listed
        ]
        destination.delete(garbage)
        for batch in marked:
            destination.unmark(batch)
    destination.clear_staging()
    return garbage


def plan(
    lake: Lake,
    discovery: Discovery,
    objects: dict[str, ObjectInfo],
    manifest: Manifest,
    batch_bytes: int,
    report: CompactReport,
    whole_lake: Callable[[], Scan] | None = None,
) -> list[_Planned]:
    """Batches to write: changed sources' batches rebuilt, then new sources in key order.

    A changed source's batch-mates not found in the run's window may be outside it rather than
    gone: `whole_lake` lists the lake without the window, once, to look for them (a batch
    merged from many runs spans days, and a scheduled run lists a few)."""
    known = manifest.by_source()
    current: dict[str, str] = {}  # identity -> key, for the files found now
    new: list[str] = []
    changed: dict[str, Batch] = {}
    for key in sorted(k for s in discovery.sources for k in s.keys):
        identity = source_identity(source_path(lake, key))
        if identity in current:
            report.warnings.append(
                f"skipped {key}: the same file as {current[identity]} (compacted once)"
            )
            continue
        current[identity] = key
        info = objects[key]
        if identity not in known:
            new.append(key)
        elif known[identity][1].same_object(info.size, info.tag):
            report.up_to_date += 1
        else:
            changed.setdefault(known[identity][0].id, known[identity][0])

    planned: list[_Planned] = []
    whole: tuple[Scan, dict[str, str]] | None = None
    for batch in changed.values():
        keys = [current.get(source_identity(s.path)) for s in batch.sources]
        found = None
        if None in keys and whole_lake is not None:
            if whole is None:
                scan = whole_lake()
                whole = scan, identities(lake, scan[0])
            found = whole[0]
            keys = [whole[1].get(source_identity(s.path)) for s in batch.sources]
        gone = [s.path for s, k in zip(batch.sources, keys, strict=True) if k is None]
        if gone:
            report.pending.append(
                f"batch {batch.id} has changed sources but cannot be rewritten: "
                f"{len(gone)} of its source file(s) ({gone[0]} ...) are gone from the lake; "
                "it stays as compacted before"
            )
            continue
        planned.append(_Planned([k for k in keys if k is not None], replaces=batch, found=found))

    chunk: list[str] = []
    size = 0
    for key in new:
        if chunk and size + objects[key].size > batch_bytes:
            planned.append(_Planned(chunk))
            chunk, size = [], 0
        chunk.append(key)
        size += objects[key].size
    if chunk:
        planned.append(_Planned(chunk))
    return planned


def identities(lake: Lake, discovery: Discovery) -> dict[str, str]:
    """identity -> key for the files of a listing (the first key of a file listed twice)."""
    found: dict[str, str] = {}
    for key in sorted(k for s in discovery.sources for k in s.keys):
        found.setdefault(source_identity(source_path(lake, key)), key)
    return found


def without_window(lake: Lake) -> Lake:
    whole = Lake(lake.location, TimeWindow(), lake.fields, lake.s3, lake.strict)
    whole.store = lake.store  # one S3 client and credential lookup for the run
    return whole


def _source_entries(
    lake: Lake, keys: list[str], objects: dict[str, ObjectInfo], out: BatchOutput
) -> list[SourceEntry]:
    entries = []
    for key in keys:
        rows = out.rows.get(key, 0)
        entries.append(
            SourceEntry(
                path=source_path(lake, key),
                size=objects[key].size,
                tag=objects[key].tag,
                rows_read=rows,
                rows_written=rows,
                lines_skipped=out.malformed.get(key, 0),
                error=out.unreadable.get(key),
            )
        )
    return entries


def _pause(label: str) -> None:
    """The kill tests' hook: hold the run at a step named by PAUSE_ENV: `batch N` (its files in
    place, not committed), `batch N committed` (the batch it rewrites not deleted yet), `merge`
    and `merge committed` (flowlake.compact.merge)."""
    wanted = os.environ.get(PAUSE_ENV)
    if wanted and wanted.strip() == label:
        print(f"flowlake: paused at {label}", file=sys.stderr, flush=True)
        time.sleep(3600)


def compact(
    lake: Lake,
    to: str,
    *,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    resources: Resources | None = None,
    progress: Callable[[str], None] | None = None,
) -> CompactReport:
    """Compact `lake`'s new and changed files into the Parquet lake at `to` (folder or s3://)."""
    from flowlake.compact.verify import duckdb_connection, parquet_rows

    if batch_bytes <= 0:
        raise UsageError("--batch-bytes must be positive")
    check_apart(lake, to)
    say = progress or (lambda _: None)
    destination = open_destination(to, lake.s3)
    report = CompactReport(lake.store.url, destination.url)
    with destination.lock():
        manifest = destination.read_manifest()
        check_same_lake(lake, manifest, to)
        report.garbage = collect_garbage(destination, manifest)
        if report.garbage:
            say(f"removed {len(report.garbage)} uncommitted file(s) left by an interrupted run")
        discovery, objects = scan_sources(lake)
        for reason in discovery.skipped:
            if lake.strict:
                raise LakeError(reason)
            report.warnings.append(f"skipped {reason}")

        def whole_lake() -> Scan:
            say("a changed file's batch holds files outside --since/--until: listing the lake")
            return scan_sources(without_window(lake))

        work = plan(
            lake, discovery, objects, manifest, batch_bytes, report,
            None if lake.window.is_open else whole_lake,
        )  # fmt: skip
        resources = resources or Resources()
        if resources.spill_dir is None:
            resources = replace(resources, spill_dir=destination.spill_dir())
        for number, planned in enumerate(work, start=1):
            destination.renew()
            batch_id = new_batch_id()
            staging = destination.staging(batch_id)
            listed, infos = planned.found or (discovery, objects)
            sizes = {k: infos[k].size for k in planned.keys}
            sources = batch_sources(listed.sources, set(planned.keys), sizes)
            mib = sum(s.bytes for s in sources) / 2**20
            what = f", rewriting batch {planned.replaces.id}" if planned.replaces else ""
            say(f"batch {number}/{len(work)}: {len(planned.keys)} file(s), {mib:,.1f} MiB{what}")
            out = write_batch(lake, planned.keys, sources, staging, batch_id, resources, sizes)
            report.warnings += out.warnings
            read = sum(out.rows.values())
            with duckdb_connection(None) as con:
                staged = parquet_rows(con, [str(staging / k) for k in out.files])
            if read != out.rows_written or sum(staged.values()) != read:
                raise LakeError(
                    f"batch {batch_id}: read {read} rows but wrote {out.rows_written} "
                    f"({sum(staged.values())} in the staged files): nothing committed"
                )
            destination.mark(batch_id)
            destination.publish(staging, list(out.files))
            _pause(f"batch {number}")
            batch = Batch(
                id=batch_id,
                committed_at=utc_now(),
                lake=lake_identity(lake.location),
                sources=_source_entries(lake, planned.keys, infos, out),
                files=sorted(out.files),
                rows_written=out.rows_written,
            )
            replaced = planned.replaces
            for owner in owners(replaced) if replaced else ():
                destination.mark(owner)  # its files go once the new batch is committed
            manifest.replace([replaced.id] if replaced else [], batch)
            destination.write_manifest(manifest)  # the commit
            _pause(f"batch {number} committed")
            if replaced:
                destination.delete(replaced.files)
                for owner in owners(replaced):
                    destination.unmark(owner)
                report.replaced.append(replaced.id)
            destination.unmark(batch_id)
            destination.clear_staging()
            report.batches.append(batch)
            say(
                f"batch {number}/{len(work)}: committed {batch.rows_written:,} rows in "
                f"{len(batch.files)} Parquet file(s)"
            )
        s3 = lake.s3 if destination.url.startswith("s3://") else None
        report.merged, unmerged = merge_batches(
            destination, manifest, batch_bytes, s3, resources, say, _pause
        )
        report.warnings += unmerged
        destination.renew()
        days = flow_log_days(manifest)
        report.companions = copy_companions(lake, destination, days, say)
        report.warnings += report.companions.warnings
    return report


__all__ = ["DEFAULT_BATCH_BYTES", "CompactReport", "Resources", "compact", "scan_sources"]
