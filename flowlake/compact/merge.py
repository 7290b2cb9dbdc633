"""Merging the batches of frequent runs, so an hour partition holds one file however often
compaction runs.

Each run writes one file into every hour partition it touches. AWS delivers an hour's flow logs
over about 70 minutes, so hourly runs leave two files in each hour partition, and runs every
10 minutes six or seven, and every reader (DuckDB, Athena) opens each one. So after a run's
batches are committed, consecutive batches (in commit order) that share an hour partition are
merged into one, while their sources add up to no more than the run's batch size: a full batch
is left alone, since merging it would rewrite it whole for a few new files.

The merged batch lists the group's sources, the biggest batch's first. That batch's files stay
as they are where no other file of the group shares their partition: their lineage
(LINEAGE_COLUMN, a row's source as an index in its batch's list) is still right. Every
partition where files meet is rewritten as one file, sorted as compaction sorts (file_format),
each row's lineage moved to its source's place in the merged list. Nothing is committed
before the rows of every partition and of every source (by lineage) are counted as they were.

The commit is a rewrite's (flowlake.compact): the new files marked pending and put in place,
then the manifest replacing the group's batches with the merged one, then the files it no
longer lists deleted. A run killed in between leaves files no committed batch lists; the next
run deletes them (collect_garbage).
"""

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowlake.compact.batch import Resources, apply_resources, ordered_columns
from flowlake.compact.destination import Destination
from flowlake.compact.file_format import PARQUET_OPTIONS, order_by
from flowlake.compact.manifest import Batch, Manifest, new_batch_id, owners, utc_now
from flowlake.compact.verify import (
    duckdb_connection,
    lineage_differences,
    lineage_rows,
    parquet_rows,
)
from flowlake.errors import LakeError
from flowlake.lake.store import S3Options
from flowlake.lake.view import LINEAGE_COLUMN, file_list, quote
from flowlake.sqltext import string_literal

# Where the kill tests hold a run (flowlake.compact.PAUSE_ENV): a merge's files are in place and
# not committed; it is committed and the files it replaced are not deleted yet.
BEFORE_COMMIT, BEFORE_DELETE = "merge", "merge committed"


@dataclass
class Merged:
    """One merge: the batches it replaced and what their files became."""

    batches: list[str]
    into: str
    files_before: int
    files_after: int
    rewritten: int  # partition files written (the others were kept as they were)


def groups(manifest: Manifest, batch_bytes: int) -> list[list[Batch]]:
    """Runs of consecutive committed batches sharing an hour partition with the run so far,
    of at most `batch_bytes` source bytes together (a batch with no files joins any run)."""
    found: list[list[Batch]] = []
    run: list[Batch] = []
    folders: set[str] = set()
    size = 0
    for batch in manifest.batches:
        mine = {posixpath.dirname(key) for key in batch.files}
        bytes_ = sum(s.size for s in batch.sources)
        if run and (not mine or mine & folders) and size + bytes_ <= batch_bytes:
            run.append(batch)
            folders |= mine
            size += bytes_
            continue
        if len(run) > 1:
            found.append(run)
        run, folders, size = [batch], mine, bytes_
    if len(run) > 1:
        found.append(run)
    return found


def merge_batches(
    destination: Destination,
    manifest: Manifest,
    batch_bytes: int,
    s3: S3Options | None,
    resources: Resources,
    say: Callable[[str], None],
    pause: Callable[[str], None] = lambda _: None,
) -> list[Merged]:
    """Merge every group of small batches sharing hour partitions, one commit per group."""
    done = []
    for group in groups(manifest, batch_bytes):
        if not _has_lineage(destination, group, s3):
            continue  # files from before the lineage column: their rows cannot be remapped
        destination.renew()
        done.append(_merge(destination, manifest, group, s3, resources, say, pause))
    return done


def _has_lineage(destination: Destination, group: list[Batch], s3: S3Options | None) -> bool:
    paths = [destination.reader_path(key) for batch in group for key in batch.files]
    if not paths:
        return True
    with duckdb_connection(s3) as con:
        (with_column,) = con.execute(
            f"SELECT count(DISTINCT file_name) FROM parquet_schema({file_list(paths)}) "
            f"WHERE name = {string_literal(LINEAGE_COLUMN)}"
        ).fetchone()
    return int(with_column) == len(set(paths))


def _merge(
    destination: Destination,
    manifest: Manifest,
    group: list[Batch],
    s3: S3Options | None,
    resources: Resources,
    say: Callable[[str], None],
    pause: Callable[[str], None],
) -> Merged:
    first = max(group, key=lambda b: b.rows_written)  # its files are the most worth keeping
    ordered = [first] + [b for b in group if b is not first]
    offset, start = {}, 0
    for batch in ordered:
        offset[batch.id] = start
        start += len(batch.sources)

    by_folder: dict[str, list[tuple[str, Batch]]] = {}
    for batch in ordered:
        for key in batch.files:
            by_folder.setdefault(posixpath.dirname(key), []).append((key, batch))
    merged_id = new_batch_id()
    kept: list[str] = []
    rewrites: dict[str, list[tuple[str, int]]] = {}  # new key -> (old key, lineage offset)
    for folder, files in sorted(by_folder.items()):
        if len(files) == 1 and files[0][1] is first:
            kept.append(files[0][0])
        else:
            new_key = f"{folder}/{merged_id}_0.parquet"
            rewrites[new_key] = [(key, offset[batch.id]) for key, batch in files]
    say(
        f"merging {len(group)} batch(es) of earlier runs sharing hour partitions: "
        f"{len(rewrites)} partition(s) rewritten as one file each"
    )

    staging = destination.staging(merged_id)
    written = _rewrite(destination, rewrites, staging, s3, resources)
    merged = Batch(
        id=merged_id,
        committed_at=utc_now(),
        lake=first.lake,
        sources=[source for batch in ordered for source in batch.sources],
        files=sorted(kept + list(rewrites)),
        rows_written=sum(b.rows_written for b in group),
    )
    _check(destination, merged, written, staging, s3)

    replaced = set().union(*(owners(b) for b in group))
    destination.mark(merged_id)
    for owner in replaced:
        destination.mark(owner)  # their files go once the merge is committed, even if killed
    destination.publish(staging, list(rewrites))
    pause(BEFORE_COMMIT)
    manifest.replace([b.id for b in group], merged)
    destination.write_manifest(manifest)  # the commit
    pause(BEFORE_DELETE)
    gone = sorted({key for b in group for key in b.files} - set(merged.files))
    destination.delete(gone)
    for owner in replaced | {merged_id}:
        destination.unmark(owner)
    destination.clear_staging()
    return Merged(
        batches=[b.id for b in group],
        into=merged_id,
        files_before=sum(len(b.files) for b in group),
        files_after=len(merged.files),
        rewritten=len(rewrites),
    )


def _rewrite(
    destination: Destination,
    rewrites: dict[str, list[tuple[str, int]]],
    staging: Path,
    s3: S3Options | None,
    resources: Resources,
) -> dict[str, int]:
    """Write each new partition file from its old ones, under `staging`; rows per new key."""
    written = {}
    with duckdb_connection(s3) as con:
        apply_resources(con, resources)
        con.execute("SET preserve_insertion_order = false")  # every write below sorts
        for new_key, inputs in rewrites.items():
            paths = [destination.reader_path(key) for key, _ in inputs]
            target = staging / new_key
            target.parent.mkdir(parents=True, exist_ok=True)
            written[new_key] = _copy(con, paths, [shift for _, shift in inputs], target)
    return written


def _copy(con: Any, paths: list[str], shifts: list[int], target: Path) -> int:
    """One sorted file from `paths`, each file's lineage moved by its shift; rows written."""
    files = f"{file_list(paths)}, union_by_name=true, hive_partitioning=false"
    columns = [
        row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet({files})").fetchall()
    ]
    data = ordered_columns([c for c in columns if c != LINEAGE_COLUMN])
    shift = " ".join(
        f"WHEN {string_literal(path)} THEN {n}" for path, n in zip(paths, shifts, strict=True)
    )
    ((rows,),) = con.execute(
        f"COPY (SELECT {', '.join(quote(c) for c in data)}, "
        f"CAST({LINEAGE_COLUMN} + CASE filename {shift} END AS INTEGER) AS {LINEAGE_COLUMN} "
        f"FROM read_parquet({files}, filename=true){order_by(data)}) "
        f"TO {string_literal(str(target))} {PARQUET_OPTIONS}"
    ).fetchall()
    return int(rows)


def _check(
    destination: Destination,
    merged: Batch,
    written: dict[str, int],
    staging: Path,
    s3: S3Options | None,
) -> None:
    """Rows in the staged files are the rows of their inputs, and every source of the merged
    batch has (by lineage) the rows the manifest gives it: else nothing is committed."""

    def path(key: str) -> str:
        return str(staging / key) if key in written else destination.reader_path(key)

    paths = [path(key) for key in merged.files]
    in_files = parquet_rows(paths, s3)
    by_lineage = lineage_rows(paths, s3)
    counted: list[Counter[int | None] | None] = [by_lineage.get(p) for p in paths]
    problems = lineage_differences(merged, counted)
    if any(c is None for c in counted):
        problems.append("a file has no lineage column")
    if sum(in_files.values()) != merged.rows_written:
        problems.append(f"{sum(in_files.values()):,} rows in the files")
    if any(in_files.get(path(key)) != rows for key, rows in written.items()):
        problems.append("a rewritten file holds other rows than its copy reported")
    if problems:
        raise LakeError(
            f"merging into batch {merged.id}: {problems[0]} (the batches hold "
            f"{merged.rows_written:,} rows): nothing committed"
        )
