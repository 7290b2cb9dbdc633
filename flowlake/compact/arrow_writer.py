"""Compaction's fast path: an hour of plain local text files read and sorted by Arrow.

DuckDB's COPY from text inflates gzip with miniz at about the speed of `zcat`, and parses,
sorts and writes one partition at a time. Here ISA-L inflates (the `isal` package, ~3x faster
than zlib), Arrow's CSV reader parses and Arrow sorts by start, for the next partitions in
threads (the GIL is released in each step) while DuckDB writes the current one from the Arrow
table: the Parquet files are DuckDB's own, as the text path writes them.

Only files whose every line is a plain record go this way. Arrow is told to fail on anything
else: a line with runs of spaces (too many columns), too few columns, a value that is not of
its field's type, bad UTF-8, a blank line, a truncated or corrupt gzip stream. The partition
then goes back to DuckDB's reader, which recovers, counts or reports such lines exactly as
any query does. So a partition written here holds exactly the rows DuckDB would have written.
"""

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flowlake.lake.discovery import Source
from flowlake.lake.view import LINEAGE_COLUMN, duckdb_type

# A partition this big (source bytes) or bigger goes to DuckDB, which spills to disk: Arrow
# holds the hour's table and its sorted copy in memory (~8x the gzip bytes each), two at once.
MAX_PARTITION_BYTES = 32 * 2**20
_ARROW_TYPES = {"INTEGER": "int32", "BIGINT": "int64", "VARCHAR": "string"}


class NotPlain(Exception):
    """A file the fast path does not read exactly as DuckDB would: DuckDB reads it."""


def eligible(source: Source, path: str) -> bool:
    """A local text file with known column types (S3 objects and Parquet go to DuckDB)."""
    return (
        source.kind == "text"
        and "://" not in path
        and all(duckdb_type(c) in _ARROW_TYPES for c in source.fields)
    )


def _read(source: Source, path: str, lineage: int) -> Any:
    """One file as an Arrow table of its registry columns, plus the lineage column."""
    import pyarrow as pa
    import pyarrow.csv as csv
    from isal import igzip

    try:
        with open(path, "rb") as raw:
            data = igzip.decompress(raw.read()) if source.gzip else raw.read()
    except (OSError, EOFError, ValueError) as exc:  # truncated or corrupt gzip
        raise NotPlain(str(exc)) from None
    if not data:
        raise NotPlain("empty file")
    try:
        table = csv.read_csv(
            pa.BufferReader(data),
            read_options=csv.ReadOptions(
                column_names=list(source.fields), skip_rows=1 if source.header else 0
            ),
            parse_options=csv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=csv.ConvertOptions(
                column_types={c: _ARROW_TYPES[duckdb_type(c)] for c in source.fields},
                null_values=["-"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise NotPlain(str(exc).splitlines()[0]) from None
    import pyarrow.compute as pc

    every_row = pc.fill_null(pa.nulls(table.num_rows, pa.int32()), pa.scalar(lineage, pa.int32()))
    return table.append_column(LINEAGE_COLUMN, every_row)


def read_partition(files: list[tuple[Source, str, int]], columns: list[str]) -> Any:
    """Files ((source, path, lineage) of one partition) as one Arrow table sorted by start:
    `columns` in that order, the lineage column last; with its rows per lineage.

    None when a file is not plain: DuckDB then writes the partition.
    """
    import pyarrow as pa

    try:
        tables = [_read(source, path, lineage) for source, path, lineage in files]
    except NotPlain:
        return None
    counts = {lineage: t.num_rows for t, (_, _, lineage) in zip(tables, files, strict=True)}
    schema = pa.schema(
        [pa.field(c, _ARROW_TYPES[duckdb_type(c)]) for c in columns]
        + [pa.field(LINEAGE_COLUMN, pa.int32())]
    )
    # a partition's files may differ in their fields (a format changed mid-hour): every
    # column of the partition, null where a file lacks it, as DuckDB's union by name
    table = pa.concat_tables(
        [t.select([c for c in schema.names if c in t.column_names]) for t in tables],
        promote_options="default",
    )
    for name in schema.names:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, schema.field(name).type))
    table = table.select(schema.names).cast(schema)
    if "start" in columns:
        table = table.sort_by([("start", "ascending")])  # nulls last, as DuckDB's ORDER BY
    return table, counts


Job = tuple[str, list[tuple[Source, str, int]], list[str], Path]
"""(name, files of the partition, columns, target)"""


def write_partitions(jobs: list[Job], con: Any, parquet: str) -> dict[str, dict[int, int] | None]:
    """Each job's partition read by Arrow and written to its target by DuckDB's COPY with the
    options `parquet`, in the table's order (DuckDB's own Parquet: the files read as fast as
    the ones its COPY from text writes, which Arrow's zstd pages are not).

    Arrow reads the next partitions while DuckDB writes one. Returns rows per lineage for
    each job, None for a partition left to DuckDB's text reader.
    """
    from flowlake.lake.view import quote, string_literal

    con.execute("SET preserve_insertion_order = true")  # the files keep the sort
    ahead = max(1, os.cpu_count() or 1)  # partitions read in advance: memory stays bounded
    done: dict[str, dict[int, int] | None] = {}
    with ThreadPoolExecutor(max_workers=ahead) as pool:
        pending: deque[tuple[Job, Future[Any]]] = deque()
        queue = iter(jobs)
        while True:
            while len(pending) < ahead and (job := next(queue, None)):
                pending.append((job, pool.submit(read_partition, job[1], job[2])))
            if not pending:
                return done
            (name, _, columns, target), future = pending.popleft()
            read = future.result()
            if read is None:
                done[name] = None
                continue
            table, counts = read
            names = ", ".join(quote(c) for c in [*columns, LINEAGE_COLUMN])
            con.register("flowlake_partition", table)
            try:
                con.execute(
                    f"COPY (SELECT {names} FROM flowlake_partition) "
                    f"TO {string_literal(str(target))} {parquet}"
                )
            finally:
                con.unregister("flowlake_partition")
            done[name] = counts


__all__ = ["MAX_PARTITION_BYTES", "eligible", "read_partition", "write_partitions"]
