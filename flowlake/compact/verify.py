"""`flowlake compact --verify`: recount both sides and compare them with the manifest.

- each committed batch: its files exist, and the rows in them (from the Parquet footers) are
  the rows the manifest says were written;
- no data file outside the committed batches (an interrupted run's leftovers are visible to
  queries until the next compaction deletes them);
- each compacted source still in the lake and unchanged: a fresh read gives the rows (and
  malformed lines) the manifest recorded.

New, changed and vanished sources are reported but are not differences: they are work for the
next run, or raw logs that have expired.
"""

from dataclasses import dataclass, field
from typing import Any

from flowlake.compact.destination import open_destination
from flowlake.compact.manifest import batch_of, source_identity
from flowlake.lake import Lake
from flowlake.lake.discovery import Discovery
from flowlake.lake.store import S3Options
from flowlake.lake.view import FILENAME
from flowlake.timewindow import TimeWindow


@dataclass
class VerifyReport:
    destination: str
    batches: int = 0
    files: int = 0
    rows: int = 0  # rows counted in the compacted files
    sources_checked: int = 0
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def parquet_rows(paths: list[str], s3: S3Options | None = None) -> dict[str, int]:
    """Rows per Parquet file, from the footers (local paths, or s3:// with `s3`)."""
    from flowlake.engines.duckdb_conn import connect, create_s3_secret
    from flowlake.lake.view import file_list

    if not paths:
        return {}
    con = connect(httpfs=s3 is not None)
    try:
        if s3 is not None:
            create_s3_secret(con, s3)
        rows = con.execute(
            f"SELECT file_name, num_rows FROM parquet_file_metadata({file_list(paths)})"
        ).fetchall()
    finally:
        con.close()
    return {name: int(n) for name, n in rows}


def _recount(
    lake: Lake, discovery: Discovery, keys: set[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Rows and malformed lines per source key, read afresh."""
    from flowlake.compact.batch import batch_sources
    from flowlake.engines.duckdb import DuckDBEngine

    sources = batch_sources(discovery.sources, keys, {k: 0 for k in keys})
    fresh = Lake(lake.location, TimeWindow(), lake.fields, lake.s3, strict=False)
    fresh.store = lake.store
    fresh.discovery = Discovery(sources=sources)
    engine = DuckDBEngine(fresh, filename=True)
    key_of = {lake.store.reader_path(k): k for k in keys}
    table: Any = engine.run(f"SELECT {FILENAME}, count(*) AS n FROM flow_logs GROUP BY ALL").table
    rows = {
        key_of[p]: int(n)
        for p, n in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)
    }
    malformed = {key_of[p]: n for p, n in engine.malformed.items() if p in key_of}
    return rows, malformed


def verify(lake: Lake, to: str) -> VerifyReport:
    from flowlake.compact import scan_sources, source_path

    destination = open_destination(to, lake.s3)
    report = VerifyReport(destination.url)
    manifest = destination.read_manifest()
    committed = manifest.batch_ids()
    report.batches = len(manifest.batches)

    present = {f.key for f in destination.data_files()}
    listed = {key for b in manifest.batches for key in b.files}
    marked = destination.marked()
    for key in sorted(present - listed):
        owner = batch_of(key)
        if owner in marked and owner not in committed:
            report.differences.append(
                f"{key}: not committed (left by an interrupted run; the next compaction deletes it)"
            )
        elif owner in committed:
            report.differences.append(f"{key}: not listed in its batch {owner}")
        elif owner is not None:
            report.differences.append(
                f"{key}: not written by a committed batch of this destination (left alone)"
            )
    is_s3 = destination.url.startswith("s3://")
    paths = {destination.reader_path(k): k for k in sorted(listed & present)}
    counted = {
        paths[p]: n for p, n in parquet_rows(list(paths), lake.s3 if is_s3 else None).items()
    }
    report.files = len(counted)
    report.rows = sum(counted.values())
    for batch in manifest.batches:
        for key in batch.files:
            if key not in present:
                report.differences.append(f"batch {batch.id}: {key} is missing")
        found = sum(counted.get(k, 0) for k in batch.files)
        expected = sum(s.rows_written for s in batch.sources)
        if found != batch.rows_written or expected != batch.rows_written:
            report.differences.append(
                f"batch {batch.id}: {found:,} rows in its files, the manifest says "
                f"{batch.rows_written:,} ({expected:,} from its sources)"
            )

    discovery, objects = scan_sources(lake)
    current = {source_identity(source_path(lake, k)): k for s in discovery.sources for k in s.keys}
    entries = {source_identity(s.path): s for b in manifest.batches for s in b.sources}
    unchanged = {}
    for identity, entry in entries.items():
        now = current.get(identity)
        if now is None:
            continue
        if entry.same_object(objects[now].size, objects[now].tag):
            unchanged[now] = entry
        else:
            report.notes.append(
                f"{entry.path}: changed since it was compacted (the next run rewrites it)"
            )
    gone = [e.path for i, e in entries.items() if i not in current]
    if gone and lake.window.is_open:
        report.notes.append(
            f"{len(gone)} compacted source file(s) are no longer in the lake (not recounted)"
        )
    new = [k for i, k in current.items() if i not in entries]
    if new:
        report.notes.append(f"{len(new)} source file(s) not compacted yet")
    rows, malformed = _recount(lake, discovery, set(unchanged))
    report.sources_checked = len(unchanged)
    for key, entry in sorted(unchanged.items()):
        if entry.error:
            continue  # unreadable when compacted: nothing was written for it
        if rows.get(key, 0) != entry.rows_read or malformed.get(key, 0) != entry.lines_skipped:
            report.differences.append(
                f"{entry.path}: a fresh read gives {rows.get(key, 0):,} rows and "
                f"{malformed.get(key, 0)} malformed line(s), the manifest says "
                f"{entry.rows_read:,} and {entry.lines_skipped}"
            )
    return report
