"""`flowlake compact --verify`: recount both sides and compare them with the manifest.

- each committed batch: its files exist, and the rows in them (from the Parquet footers) are
  the rows the manifest says were written;
- each compacted source: the rows its batch's files hold for it (counted by their lineage
  column, LINEAGE_COLUMN) are the rows the manifest says were written for it (files written
  before that column existed are not counted);
- no data file outside the committed batches (an interrupted run's leftovers are visible to
  queries until the next compaction deletes them);
- each compacted source still in the lake and unchanged: a fresh read gives the rows (and
  malformed lines) the manifest recorded;
- each network-config and CloudTrail file of the lake (flowlake.compact.companions) is in the
  compacted lake with the same size.

New, changed and vanished sources are reported but are not differences: they are work for the
next run, or raw logs that have expired.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flowlake.compact.companions import check_companions, flow_log_days
from flowlake.compact.destination import open_destination
from flowlake.compact.manifest import Batch, batch_of, source_identity
from flowlake.lake import Lake
from flowlake.lake.discovery import Discovery
from flowlake.lake.store import S3Options
from flowlake.lake.view import FILENAME, LINEAGE_COLUMN, file_list
from flowlake.sqltext import string_literal
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


@contextmanager
def duckdb_connection(s3: S3Options | None) -> Iterator[Any]:
    """A DuckDB connection reading local paths, or s3:// with `s3`."""
    from flowlake.engines.duckdb_conn import connect, create_s3_secret

    con = connect(httpfs=s3 is not None)
    try:
        if s3 is not None:
            create_s3_secret(con, s3)
        yield con
    finally:
        con.close()


def parquet_rows(con: Any, paths: list[str]) -> dict[str, int]:
    """Rows per Parquet file, from the footers (s3:// paths need a `duckdb_connection(s3)`)."""
    if not paths:
        return {}
    rows = con.execute(
        f"SELECT file_name, num_rows FROM parquet_file_metadata({file_list(paths)})"
    ).fetchall()
    return {name: int(n) for name, n in rows}


def with_lineage(con: Any, paths: list[str]) -> list[str]:
    """The Parquet files of `paths` that have LINEAGE_COLUMN (files written before it existed
    do not)."""
    if not paths:
        return []
    return [
        name
        for (name,) in con.execute(
            f"SELECT DISTINCT file_name FROM parquet_schema({file_list(paths)}) "
            f"WHERE name = {string_literal(LINEAGE_COLUMN)}"
        ).fetchall()
    ]


def lineage_rows(con: Any, paths: list[str]) -> dict[str, Counter[int | None]]:
    """Rows per source index (LINEAGE_COLUMN) in each Parquet file that has the column; files
    written before it existed are left out."""
    counts: dict[str, Counter[int | None]] = {}
    with_column = with_lineage(con, paths)
    if not with_column:
        return {}
    for name, index, n in con.execute(
        f"SELECT filename, {LINEAGE_COLUMN}, count(*) FROM read_parquet("
        f"{file_list(with_column)}, filename=true, hive_partitioning=false) GROUP BY ALL"
    ).fetchall():
        counts.setdefault(name, Counter())[index] = int(n)
    return counts


def _lineage_differences(batch: Batch, files: list[Counter[int | None] | None]) -> list[str]:
    """Sources whose rows in the batch's files (by lineage) are not the manifest's rows_written.

    Nothing is said of a batch with a file missing (reported as such) or written before the
    lineage column existed (`None` in `files`).
    """
    if any(counted is None for counted in files):
        return []
    found: Counter[int | None] = sum((c for c in files if c is not None), Counter())
    differences = [
        f"{entry.path}: {found[n]:,} rows in the files of batch {batch.id} "
        f"(by {LINEAGE_COLUMN}), the manifest says {entry.rows_written:,}"
        for n, entry in enumerate(batch.sources)
        if found[n] != entry.rows_written
    ]
    strays = sum(n for i, n in found.items() if i is None or not 0 <= i < len(batch.sources))
    if strays:
        differences.append(
            f"batch {batch.id}: {strays:,} rows in its files are of no source of the batch "
            f"(by {LINEAGE_COLUMN})"
        )
    return differences


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
    # every column parsed, as compaction parses them: a count alone leaves DuckDB's CSV reader
    # free to skip the columns, and a line with a bad value in one of them would count
    every_column = "hash(COLUMNS(*)) IS NOT NULL"
    counted = engine.run(
        f"SELECT {FILENAME}, count(*) FROM flow_logs WHERE {every_column} GROUP BY ALL"
    ).rows_data
    rows = {key_of[p]: int(n) for p, n in counted.values}
    malformed = {key_of[p]: n for p, n in engine.malformed.items() if p in key_of}
    return rows, malformed


def verify(lake: Lake, to: str) -> VerifyReport:
    from flowlake.compact import (
        check_same_lake,
        identities,
        scan_sources,
        without_window,
    )

    destination = open_destination(to, lake.s3)
    report = VerifyReport(destination.url)
    manifest = destination.read_manifest()
    check_same_lake(lake, manifest, to)
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
    s3 = lake.s3 if is_s3 else None
    with duckdb_connection(s3) as con:
        counted = {paths[p]: n for p, n in parquet_rows(con, list(paths)).items()}
        lineage = {paths[p]: n for p, n in lineage_rows(con, list(paths)).items()}
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
        report.differences += _lineage_differences(batch, [lineage.get(k) for k in batch.files])

    discovery, objects = scan_sources(lake)
    current = identities(lake, discovery)
    entries = manifest.by_source()
    unchanged = {}
    whole: dict[str, str] | None = None
    for identity, (batch, entry) in entries.items():
        now = current.get(identity)
        if now is None:
            continue
        if entry.same_object(objects[now].size, objects[now].tag):
            unchanged[now] = entry
        else:
            gone = [m.path for m in batch.sources if source_identity(m.path) not in current]
            if gone and not lake.window.is_open:  # outside the window, or gone? as compaction
                if whole is None:  # looks: in the whole lake, listed once
                    whole = identities(lake, scan_sources(without_window(lake))[0])
                gone = [m.path for m in batch.sources if source_identity(m.path) not in whole]
            then = (
                f"its batch cannot be rewritten while {gone[0]} is gone: it stays as compacted"
                if gone
                else "the next run rewrites it"
            )
            report.notes.append(f"{entry.path}: changed since it was compacted ({then})")
    gone = [e.path for i, (_, e) in entries.items() if i not in current]
    if gone and lake.window.is_open:
        report.notes.append(
            f"{len(gone)} compacted source file(s) are no longer in the lake (not recounted)"
        )
    new = [k for i, k in current.items() if i not in entries]
    if new:
        report.notes.append(f"{len(new)} source file(s) not compacted yet")
    days = flow_log_days(manifest)
    companions = check_companions(lake, destination, days)
    report.differences += [
        f"{key}: not the size it has in the lake" for key in companions.different
    ]
    if companions.missing:
        report.notes.append(
            f"{len(companions.missing)} network-config or CloudTrail file(s) not copied yet "
            f"({companions.missing[0]} ...): the next compaction copies them"
        )
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
