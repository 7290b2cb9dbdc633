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
before the rewritten files' rows, source by source (by lineage), are counted as they were.
A group with a file that cannot be read (deleted by hand) is left as it is, with a warning.

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
from flowlake.compact.verify import duckdb_connection, lineage_rows, parquet_rows, with_lineage
from flowlake.engines.duckdb_conn import duckdb_module
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
) -> tuple[list[Merged], list[str]]:
    """Merge every group of small batches sharing hour partitions, one commit per group;
    returns the merges and warnings (a group whose files cannot be read is left as it is)."""
    plans = [_plan(group) for group in groups(manifest, batch_bytes)]
    if not plans:
        return [], []
    done, warnings = [], []
    with duckdb_connection(s3) as con:
        apply_resources(con, resources)
        con.execute("SET preserve_insertion_order = false")  # every write sorts
        for plan in plans:
            destination.renew()
            staging = destination.staging(plan.batch.id)
            try:
                inputs = {destination.reader_path(k) for k in plan.inputs()}
                if len(set(with_lineage(con, sorted(inputs)))) < len(inputs):
                    continue  # files from before the lineage column: rows cannot be renumbered
                say(
                    f"merging {len(plan.group)} batch(es) of earlier runs sharing hour "
                    f"partitions: {len(plan.rewrites)} partition(s) rewritten as one file each"
                )
                written = _rewrite(con, destination, plan.rewrites, staging)
            except duckdb_module().Error as exc:  # a file deleted or unreadable: not merged
                first = str(exc).strip().splitlines()[0]
                warnings.append(
                    f"batches {', '.join(b.id for b in plan.group)} not merged: {first} "
                    "(flowlake compact --verify lists what differs)"
                )
                destination.clear_staging()
                continue
            _check(con, destination, plan, written, staging)
            _commit(destination, manifest, plan, staging, pause)
            done.append(
                Merged(
                    batches=[b.id for b in plan.group],
                    into=plan.batch.id,
                    files_before=sum(len(b.files) for b in plan.group),
                    files_after=len(plan.batch.files),
                    rewritten=len(plan.rewrites),
                )
            )
    return done, warnings


@dataclass
class _Plan:
    group: list[Batch]
    batch: Batch  # the merged batch
    rewrites: dict[str, list[tuple[str, int]]]  # new file -> its old files, lineage shift

    def inputs(self) -> list[str]:
        return [key for files in self.rewrites.values() for key, _ in files]


def _plan(group: list[Batch]) -> _Plan:
    """The merged batch: sources in order, the files kept and the files to write."""
    first = max(group, key=lambda b: b.rows_written)  # its files are the most worth keeping
    ordered = [first] + [b for b in group if b is not first]
    shift, start = {}, 0
    for batch in ordered:
        shift[batch.id] = start
        start += len(batch.sources)

    by_folder: dict[str, list[tuple[str, Batch]]] = {}
    for batch in ordered:
        for key in batch.files:
            by_folder.setdefault(posixpath.dirname(key), []).append((key, batch))
    merged_id = new_batch_id()
    kept: list[str] = []
    rewrites = {}
    for folder, files in sorted(by_folder.items()):
        if len(files) == 1 and files[0][1] is first:
            kept.append(files[0][0])
        else:
            new_key = f"{folder}/{merged_id}_0.parquet"
            rewrites[new_key] = [(key, shift[batch.id]) for key, batch in files]
    merged = Batch(
        id=merged_id,
        committed_at="",  # set at the commit
        lake=first.lake,
        sources=[source for batch in ordered for source in batch.sources],
        files=sorted(kept + list(rewrites)),
        rows_written=sum(b.rows_written for b in group),
    )
    return _Plan(group, merged, rewrites)


def _rewrite(
    con: Any,
    destination: Destination,
    rewrites: dict[str, list[tuple[str, int]]],
    staging: Path,
) -> dict[str, int]:
    """Write each new partition file from its old ones, under `staging`; rows per new key."""
    written = {}
    for new_key, inputs in rewrites.items():
        paths = [destination.reader_path(key) for key, _ in inputs]
        target = staging / new_key
        target.parent.mkdir(parents=True, exist_ok=True)
        written[new_key] = _copy(con, paths, [shift for _, shift in inputs], target)
    return written


def _shifted(paths: list[str], shifts: list[int]) -> str:
    """SQL for a row's lineage in the merged batch, from the file it is read from."""
    cases = " ".join(
        f"WHEN {string_literal(path)} THEN {n}" for path, n in zip(paths, shifts, strict=True)
    )
    return f"CAST({LINEAGE_COLUMN} + CASE filename {cases} END AS INTEGER)"


def _copy(con: Any, paths: list[str], shifts: list[int], target: Path) -> int:
    """One sorted file from `paths`, each file's lineage moved by its shift; rows written."""
    files = f"{file_list(paths)}, union_by_name=true, hive_partitioning=false"
    columns = [
        row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet({files})").fetchall()
    ]
    data = ordered_columns([c for c in columns if c != LINEAGE_COLUMN])
    ((rows,),) = con.execute(
        f"COPY (SELECT {', '.join(quote(c) for c in data)}, "
        f"{_shifted(paths, shifts)} AS {LINEAGE_COLUMN} "
        f"FROM read_parquet({files}, filename=true){order_by(data)}) "
        f"TO {string_literal(str(target))} {PARQUET_OPTIONS}"
    ).fetchall()
    return int(rows)


def _check(
    con: Any, destination: Destination, plan: _Plan, written: dict[str, int], staging: Path
) -> None:
    """The staged files hold their old files' rows, source by source (by lineage, shifted):
    else nothing is committed. The kept files are not read: they do not change."""
    old, shifts = [], []
    for inputs in plan.rewrites.values():
        old += [destination.reader_path(key) for key, _ in inputs]
        shifts += [shift for _, shift in inputs]
    new = [str(staging / key) for key in plan.rewrites]
    before: Counter[int | None] = Counter()
    for index, n in con.execute(
        f"SELECT {_shifted(old, shifts)}, count(*) FROM read_parquet({file_list(old)}, "
        "filename=true, hive_partitioning=false) GROUP BY ALL"
    ).fetchall():
        before[index] = int(n)
    after: Counter[int | None] = sum(lineage_rows(con, new).values(), Counter())
    in_footers = parquet_rows(con, new)
    problem = None
    if after != before:
        problem = f"{after.total():,} rows by lineage where the old files hold {before.total():,}"
    elif any(in_footers.get(str(staging / key)) != n for key, n in written.items()):
        problem = "a rewritten file holds other rows than its copy reported"
    if problem:
        raise LakeError(f"merging into batch {plan.batch.id}: {problem}: nothing committed")


def _commit(
    destination: Destination,
    manifest: Manifest,
    plan: _Plan,
    staging: Path,
    pause: Callable[[str], None],
) -> None:
    """Put the new files in place, commit the merged batch, delete what it replaced."""
    replaced = set().union(*(owners(b) for b in plan.group))
    destination.mark(plan.batch.id)
    for owner in replaced:
        destination.mark(owner)  # their files go once the merge is committed, even if killed
    destination.publish(staging, list(plan.rewrites))
    pause(BEFORE_COMMIT)
    plan.batch.committed_at = utc_now()
    manifest.replace([b.id for b in plan.group], plan.batch)
    destination.write_manifest(manifest)  # the commit
    pause(BEFORE_DELETE)
    merged = set(plan.batch.files)
    destination.delete(sorted({key for b in plan.group for key in b.files} - merged))
    for owner in replaced | {plan.batch.id}:
        destination.unmark(owner)
    destination.clear_staging()
