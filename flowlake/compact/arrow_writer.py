"""Compaction's fast path: an hour of plain text files (local or S3) read by Arrow.

DuckDB's COPY from text inflates gzip with miniz at about the speed of `zcat`, and parses,
sorts and writes one partition at a time. Here ISA-L inflates (the `isal` package, ~3x faster
than zlib) and Arrow's CSV reader parses, an hour per core, in threads (the GIL is released in
each). An hour of up to a row group is sorted and written by Arrow as DuckDB's COPY would write
it (flowlake.compact.file_format): a month of 5-minute files is mostly per-hour costs, where
DuckDB's COPY took ~20 ms an hour and Arrow takes ~10. A bigger hour is sorted and written by
DuckDB's COPY from the Arrow table, whose files DuckDB reads faster (decision 0008).

Only files whose every line is a plain record go this way. Arrow is told to fail on anything
else: a line with runs of spaces (too many columns), too few columns, a value that is not of
its field's type, bad UTF-8, a blank line, a corrupt gzip stream or one cut inside a line, a
file it cannot fetch. The partition then goes back to DuckDB's reader, which recovers, counts or
reports such lines exactly as any query does. So a partition written here holds exactly the
rows DuckDB would have written.
"""

import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from flowlake.compact.file_format import (
    PARQUET_OPTIONS,
    ROW_GROUP_ROWS,
    order_by,
    sort_table,
    write_table,
)
from flowlake.errors import LakeError
from flowlake.lake.discovery import Source
from flowlake.lake.store import Store
from flowlake.lake.view import LINEAGE_COLUMN, duckdb_type

# A partition this big (source bytes) or bigger goes to DuckDB's text reader, which spills to
# disk: Arrow holds an hour's table in memory (~4x the gzip bytes) while it is written, an hour
# per core at once.
MAX_PARTITION_BYTES = 32 * 2**20
# A month of 5-minute files is hours of 0.4-1.2 MiB of gzip. glibc's allocator reuses one such
# hour's freed buffers for the next, where mimalloc (pyarrow's default) hands them back to the
# kernel and faults in fresh pages: on the 10M-record 30-day lake glibc's was faster in 4 of 5
# interleaved runs (~8%: 10.7-12.7 s against 11.3-14.9 s), with less system time and 175 MB
# against 220-245 MB. Batches with a bigger hour keep mimalloc: on hours of 200k records
# glibc's was no faster and held 60-80 MB more.
SMALL_HOURS_BYTES = 4 * 2**20
# DuckDB's memory for sorting and writing an hour of more than a row group (~1.1M records sort
# in ~170 MB): the Arrow tables live beside it.
SORT_MEMORY = "256MB"
_PARSE_BYTES = 8 * 2**20  # text parsed per call: many small files at once, a big one alone
_ARROW_TYPES = {"INTEGER": "int32", "BIGINT": "int64", "VARCHAR": "string"}


class NotPlain(Exception):
    """A file the fast path does not read exactly as DuckDB would: DuckDB reads it."""


def eligible(source: Source) -> bool:
    """A text file with known column types (Parquet files go to DuckDB), one of them a number:
    Arrow reads a blank line as a row of empty strings, which only a number column refuses."""
    types = [duckdb_type(c) for c in source.fields]
    return (
        source.kind == "text"
        and all(t in _ARROW_TYPES for t in types)
        and any(t != "VARCHAR" for t in types)
    )


def _records(store: Store, source: Source, key: str, cut_short: list[str]) -> tuple[bytes, int]:
    """A file's text, inflated and ending with a newline, and where its records start (after
    its header line). An offset rather than a slice: a copy of a whole file costs as much as
    counting its lines, and every new buffer that size is fresh memory the kernel zeroes.

    A gzip stream that stops between two lines (a partial copy, a file still being written) is
    read up to the cut and added to `cut_short`: DuckDB's reader takes such a file's lines
    without a word. Cut inside a line, the file goes to DuckDB's reader, which names it."""
    try:
        data = store.read(key)
        if source.gzip:
            data, cut = _inflate(data)
            if cut and not data.endswith(b"\n"):
                raise NotPlain("gzip stream cut short inside a line")
            if cut:
                cut_short.append(key)
    except NotPlain:
        raise
    except Exception as exc:  # unreadable, missing, denied or corrupt gzip: DuckDB's reader
        raise NotPlain(str(exc)) from None  # meets it again and says what it is
    if not data:
        raise NotPlain("empty file")
    if not data.endswith(b"\n"):
        data += b"\n"
    return data, data.find(b"\n") + 1 if source.header else 0


def _inflate(data: bytes) -> tuple[bytes, bool]:
    """gzip data inflated, and whether its stream stops before its end (what is there kept)."""
    from isal import igzip, isal_zlib

    try:
        return igzip.decompress(data), False
    except EOFError:  # "ended before the end-of-stream marker": inflate up to the cut
        parts = []
        while data:  # member by member, as gzip files may be concatenated
            member = isal_zlib.decompressobj(wbits=31)
            parts.append(member.decompress(data))
            if not member.eof:
                break
            data = member.unused_data
        return b"".join(parts), True


def _read(
    store: Store, source: Source, members: list[tuple[str, int]], cut_short: list[str]
) -> tuple[Any, list[int]]:
    """Files of one format ((key, lineage) pairs) as one Arrow table of their columns plus the
    lineage column; and the rows of each file. Small files are parsed together (a month of
    5-minute files is mostly per-call costs), up to _PARSE_BYTES of text at a time."""
    import pyarrow as pa

    tables, lines = [], []
    chunk: list[tuple[bytes, int, int]] = []
    size = 0
    for n, (key, lineage) in enumerate(members):
        text, start = _records(store, source, key, cut_short)
        chunk.append((text, start, lineage))
        size += len(text) - start
        if n == len(members) - 1 or size >= _PARSE_BYTES:
            table, rows = _parse(source, chunk)
            tables.append(table)
            lines += rows
            chunk, size = [], 0
    return pa.concat_tables(tables), lines


def _parse(source: Source, files: list[tuple[bytes, int, int]]) -> tuple[Any, list[int]]:
    """Record lines of files of one format ((text, where its records start, lineage)) parsed
    as one table; and the rows of each file."""
    import pyarrow as pa
    import pyarrow.csv as csv

    views = [memoryview(text)[start:] for text, start, _ in files]
    try:
        table = csv.read_csv(
            pa.BufferReader(pa.py_buffer(views[0] if len(views) == 1 else b"".join(views))),
            # one thread: the pool parses an hour a core already, and Arrow's own threads
            # cost ~20% more CPU for an hour of 5-minute files
            read_options=csv.ReadOptions(column_names=list(source.fields), use_threads=False),
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
    if len(files) == 1 and files[0][0].find(b"\r") < 0:  # "\n" ends every line: a line a row
        lines = [table.num_rows]
    else:
        lines = [text.count(b"\n", start) for text, start, _ in files]
        if table.num_rows != sum(lines):  # a line ending DuckDB might not split the same way
            raise NotPlain(f"{table.num_rows} records in {sum(lines)} lines")
    lineage = pa.chunked_array(
        [
            pa.repeat(pa.scalar(file, pa.int32()), n)
            for (_, _, file), n in zip(files, lines, strict=True)
        ],
        type=pa.int32(),
    )
    return table.append_column(LINEAGE_COLUMN, lineage), lines


def read_partition(
    store: Store, files: list[tuple[Source, str, int]], columns: list[str], cut_short: list[str]
) -> Any:
    """Files ((source, key, lineage) of one partition) as one Arrow table: `columns` in that
    order, the lineage column last; with its rows per lineage. Files whose gzip stream is cut
    short are added to `cut_short`.

    None when a file is not plain: DuckDB then writes the partition.
    """
    import pyarrow as pa

    by_format: dict[int, tuple[Source, list[tuple[str, int]]]] = {}  # by id: keys are many
    for source, key, lineage in files:
        by_format.setdefault(id(source), (source, []))[1].append((key, lineage))
    tables, counts = [], dict[int, int]()
    try:
        for source, members in by_format.values():
            table, lines = _read(store, source, members, cut_short)
            tables.append(table)
            counts.update((lineage, n) for (_, lineage), n in zip(members, lines, strict=True))
    except NotPlain:
        return None
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
    return table.select(schema.names).cast(schema), counts


Job = tuple[str, list[tuple[Source, str, int]], list[str], Path, int]
"""(name, files of the partition as (source, key, lineage), columns, target, their bytes)"""


def write_partitions(
    store: Store,
    jobs: list[Job],
    cut_short: list[str],
    spill_dir: Path | None = None,
    threads: int | None = None,
) -> dict[str, dict[int, int] | None]:
    """Each job's partition read by Arrow, sorted and written to its target (file_format),
    in `threads` threads (a core each by default): each reads, sorts and writes an hour, with
    Arrow up to a row group, with a DuckDB connection of its own beyond, which spills to a
    folder of its own under `spill_dir` (or where connect() puts it). A batch of small hours
    only (SMALL_HOURS_BYTES) allocates with glibc's allocator, then gives back pyarrow's own.

    Returns rows per lineage for each job, None for a partition left to DuckDB's text reader;
    files whose gzip stream is cut short are added to `cut_short`.
    """
    import duckdb
    import pyarrow as pa

    from flowlake.engines.duckdb_conn import connect
    from flowlake.lake.view import quote, string_literal

    def write(job: Job) -> dict[int, int] | None:
        _, files, columns, target, _ = job
        read = read_partition(store, files, columns, cut_short)
        if read is None:
            return None
        table, counts = read
        if not table.num_rows:  # no file for an hour without records, as DuckDB writes none
            return counts
        try:
            if table.num_rows <= ROW_GROUP_ROWS:
                write_table(sort_table(table), str(target))
            else:
                copy_with_duckdb(table, columns, target)
        except (OSError, duckdb.Error) as exc:  # a full disk, a staging folder gone
            raise LakeError(f"cannot write {target}: {str(exc).splitlines()[0]}") from None
        return counts

    def copy_with_duckdb(table: Any, columns: list[str], target: Path) -> None:
        con = getattr(local, "con", None)
        if con is None:
            with registering:
                con = local.con = connect()
                cleanup.callback(con.close)
            if spill_dir is not None:  # on the destination's disk, beside the staged files
                # a folder a connection, as connect() gives: two databases spilling into one
                # folder overwrite each other's files (they crashed with signal 11)
                spill = spill_dir / f"worker-{threading.get_ident()}"
                spill.mkdir(parents=True, exist_ok=True)
                con.execute(f"SET temp_directory = {string_literal(str(spill))}")
            con.execute(f"SET memory_limit = {string_literal(SORT_MEMORY)}")
            con.execute("SET preserve_insertion_order = false")  # the COPY sorts
            con.execute("SET threads = 1")  # each worker thread has its own: a core each
            # DuckDB keeps the blocks of one hour's sort for the next rather than handing them
            # back to the kernel and faulting in fresh zeroed pages: ~10% of compaction's time
            # at 10M records (13.2-15.4 s became 12.3-13.9 s, interleaved)
            con.execute(f"SET block_allocator_memory = {string_literal(SORT_MEMORY)}")
            con.execute("SET allocator_flush_threshold = '1GB'")
        names = ", ".join(quote(c) for c in [*columns, LINEAGE_COLUMN])
        con.register("flowlake_partition", table)
        try:
            con.execute(
                f"COPY (SELECT {names} FROM flowlake_partition{order_by(columns)}) "
                f"TO {string_literal(str(target))} {PARQUET_OPTIONS}"
            )
        finally:
            con.unregister("flowlake_partition")

    local = threading.local()  # a DuckDB connection per thread, made when first needed
    registering = threading.Lock()  # workers add their connections to `cleanup`

    # an hour a core, and as many queued: memory stays bounded, and a failed write stops the
    # run without waiting for the rest of the batch
    workers = threads or max(1, os.cpu_count() or 1)
    done: dict[str, dict[int, int] | None] = {}
    with ExitStack() as cleanup, ThreadPoolExecutor(max_workers=workers) as pool:
        if jobs and max(job[4] for job in jobs) <= SMALL_HOURS_BYTES:
            cleanup.callback(pa.set_memory_pool, pa.default_memory_pool())
            pa.set_memory_pool(pa.system_memory_pool())
        pending: deque[tuple[str, Future[dict[int, int] | None]]] = deque()
        queue = iter(jobs)
        while True:
            while len(pending) < 2 * workers and (job := next(queue, None)):
                pending.append((job[0], pool.submit(write, job)))
            if not pending:
                return done
            name, future = pending.popleft()
            done[name] = future.result()


__all__ = ["MAX_PARTITION_BYTES", "eligible", "read_partition", "write_partitions"]
