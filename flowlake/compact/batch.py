"""Writing one batch of source files as hour-partitioned, zstd Parquet sorted by action and start.

A batch is written as one Parquet file per (account, region, hour) it holds (per kind of
source below: `_0` delivered, `_1` undated):

    AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/
        year=YYYY/month=MM/day=DD/hour=HH/<batch-id>_0.parquet

That is AWS's own Hive-compatible per-hour layout, so every flowlake query, and Athena's DDL for
that layout, reads a compacted lake as it reads a delivered one. Columns keep the registry's
types, which are AWS's Parquet types (INT32 ports and protocol, INT64 counts and times), and
one more, LINEAGE_COLUMN: the source file of each row, which readers leave out.

Source files are of two kinds, each written its own way:

- delivered: the key says the account, region and hour AWS delivered the file for (AWS's file
  name, or a key with an hour level). The file goes whole to that partition, as AWS files it
  (`hour=` in AWS's Hive layout is the delivery hour; discovery lists an hour past --until for
  it). Each partition is one COPY straight from its files, sorted (file_format): no temp table.
- undated: any other file (a folder of captures, one file, a CloudWatch export; a key with a
  day but no hour). Its records are filed by the hour their flow started: DuckDB reads these
  files once into a temp table with each row's partition, and copies each partition from it.

One DuckDB engine reads the batch; its flow_logs view is narrowed to the files of each step,
so lines with runs of spaces are recovered, malformed lines counted and unreadable files
skipped as in any query. Before it, a delivered hour of plain records takes the fast path
(flowlake.compact.arrow_writer): Arrow reads, sorts and writes it the same way.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowlake import registry
from flowlake.compact import arrow_writer
from flowlake.compact.file_format import PARQUET_OPTIONS, order_by
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.errors import LakeError
from flowlake.lake import Lake
from flowlake.lake import layout as aws_layout
from flowlake.lake.discovery import Discovery, Source
from flowlake.lake.store import Store
from flowlake.lake.view import (
    EPOCH_MS_THRESHOLD,
    FILENAME,
    LINEAGE_COLUMN,
    file_list,
    quote,
    string_literal,
)
from flowlake.timewindow import TimeWindow

# A partition value must be a plain path segment; anything else is filed under 'unknown'.
_SAFE_VALUE = re.compile(r"[0-9A-Za-z._-]+")
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z
_BATCH_TABLE = "flowlake_batch"
_FILES_TABLE = "flowlake_batch_files"
# Each kind of source has its own file number: a batch of both may write both to one hour.
_DELIVERED_FILE, _UNDATED_FILE = 0, 1

Partition = tuple[str, str, int]
"""(account, region, hour in Unix hours)"""


@dataclass(frozen=True)
class Resources:
    """What a batch may use: DuckDB spills to `spill_dir` beyond `memory_limit`."""

    memory_limit: str = "512MB"
    spill_dir: Path | None = None
    threads: int | None = None


@dataclass
class BatchOutput:
    files: dict[str, int] = field(default_factory=dict)  # key under the destination -> rows
    rows: dict[str, int] = field(default_factory=dict)  # rows read, per source key
    malformed: dict[str, int] = field(default_factory=dict)  # lines skipped, per source key
    unreadable: dict[str, str] = field(default_factory=dict)  # source key -> why
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_written(self) -> int:
        return sum(self.files.values())


def batch_sources(sources: list[Source], keys: set[str], sizes: dict[str, int]) -> list[Source]:
    """The discovered sources narrowed to `keys` (their formats stay as discovered)."""
    narrowed = []
    for source in sources:
        mine = tuple(k for k in source.keys if k in keys)
        if mine:
            narrowed.append(replace(source, keys=mine, bytes=sum(sizes[k] for k in mine)))
    return narrowed


def _unix_hour(year: int, month: int, day: int, hour: int) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp()) // 3600


def _stamped_hour(name: str) -> int | None:
    """The hour in the delivery stamp of AWS's file name (Unix hours), if it has one."""
    when = aws_layout.delivery_stamp(name)
    return None if when is None else int(when.timestamp()) // 3600


def _delivery_hour(key: str) -> int | None:
    """The hour a file was delivered (Unix hours), from its name or its key's date: where its
    records are filed when they carry no start time."""
    stamped = _stamped_hour(key)
    if stamped is not None:
        return stamped
    date = aws_layout.date_in_key(key)
    if date:
        year, month, day, hour = date
        return _unix_hour(year, month, day, hour or 0)
    return None


def _key_hour(name: str) -> int | None:
    """The hour level of a key (AWS's per-hour prefixes) in Unix hours, if it has one."""
    date = aws_layout.date_in_key(name)
    if date is None:
        return None
    year, month, day, hour = date
    return None if hour is None else _unix_hour(year, month, day, hour)


def delivered_partition(name: str) -> Partition | None:
    """The partition of a file whose key says the account, region and hour AWS delivered it
    for (its file name, or the key's levels); None for a file to file by start hour."""
    account, region = aws_layout.account_region(name) or (None, None)
    stamped = _stamped_hour(name)
    hour = stamped if stamped is not None else _key_hour(name)
    account, region = _safe(account), _safe(region)
    if account and region and hour is not None:
        return account, region, hour
    return None


def _safe(value: str | None) -> str | None:
    return value if value and _SAFE_VALUE.fullmatch(value) else None


def _partition_columns(columns: list[str]) -> str:
    """SQL for the partition of each row: account, region and the hour (Unix hours) its flow
    started.

    The key's account and region come first: AWS files a flow log's records under the account
    that owns the flow log, while a record's account-id is the interface's owner (another
    account in a shared VPC, or 'unknown' for some AWS-managed interfaces). The columns are the
    fallback for files whose key does not say (a plain folder of captures).
    """

    def fallback(column: str) -> str:
        if column not in columns:
            return "'unknown'"
        value = f"b.{quote(column)}"
        return (
            f"CASE WHEN regexp_full_match({value}, '{_SAFE_VALUE.pattern}') "
            f"AND {value} <> 'unknown' THEN {value} ELSE 'unknown' END"
        )

    hour = "f.delivered_hour, 0"
    if "start" in columns:
        start = f"CASE WHEN b.start >= {EPOCH_MS_THRESHOLD} THEN b.start // 1000 ELSE b.start END"
        # a start beyond year 9999 (or before 1970) is no date to file a record under
        hour = f"CASE WHEN {start} BETWEEN 0 AND {_LAST_SECOND} THEN {start} // 3600 END, {hour}"
    return (
        f"coalesce(f.part_account, {fallback('account_id')}) AS part_account, "
        f"coalesce(f.part_region, {fallback('region')}) AS part_region, "
        f"coalesce({hour}) AS part_hour"
    )


def ordered_columns(columns: list[str]) -> list[str]:
    """Registry order (AWS's field order), unknown fields after; derived columns left out."""
    order = {f.column: n for n, f in enumerate(registry.fields())}
    data = [c for c in columns if c not in ("start_time", "end_time", FILENAME)]
    return sorted(data, key=lambda c: (order.get(c, len(order)), data.index(c)))


def partition_key(account: str, region: str, hour: int, batch_id: str, number: int = 0) -> str:
    """The destination key of a batch's file `number` for one partition (`hour` in Unix hours)."""
    when = datetime.fromtimestamp(hour * 3600, UTC)
    return (
        f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
        f"year={when:%Y}/month={when:%m}/day={when:%d}/hour={when:%H}/{batch_id}_{number}.parquet"
    )


def _staged(staging: Path, key: str) -> Path:
    """Where a partition file is written before it is published: its key under `staging`."""
    target = staging / key
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _source_name(store: Store, key: str) -> str:
    """What a source's partition is read from: its key, or its name for a lake that is one
    file."""
    return key or store.reader_path(key).rsplit("/", 1)[-1]


def write_batch(
    lake: Lake,
    keys: list[str],
    sources: list[Source],
    staging: Path,
    batch_id: str,
    resources: Resources = Resources(),
    sizes: dict[str, int] | None = None,
) -> BatchOutput:
    """Read `sources`, the batch's files `keys` (all rows, whatever the lake's window), and
    write them under `staging`. A row's LINEAGE_COLUMN is its file's index in `keys`.
    `sizes` (bytes per key) lets small hours take the fast path (see arrow_writer)."""
    delivered = {
        key: partition
        for key in keys
        if (partition := delivered_partition(_source_name(lake.store, key)))
    }
    undated = [key for key in keys if key not in delivered]
    out = BatchOutput()
    if delivered:
        delivered = _write_plain_partitions(
            lake, keys, sources, sizes or {}, delivered, staging, batch_id, resources, out
        )
    if not delivered and not undated:
        return out  # every file went the fast path: no DuckDB engine needed
    with _engine(lake, sources, resources) as engine:
        if delivered:
            _write_by_delivery_hour(engine, keys, delivered, staging, batch_id, out)
        if undated:
            engine.narrow(undated)
            _write_by_start_hour(engine, keys, undated, staging, batch_id, out)
        _problems(engine, keys, out)
    return out


def _write_plain_partitions(
    lake: Lake,
    keys: list[str],
    sources: list[Source],
    sizes: dict[str, int],
    delivered: dict[str, Partition],
    staging: Path,
    batch_id: str,
    resources: Resources,
    out: BatchOutput,
) -> dict[str, Partition]:
    """The delivered partitions whose files are all plain text, read by Arrow (see
    flowlake.compact.arrow_writer); returns the files left for DuckDB."""
    source_of = {key: source for source in sources for key in source.keys}
    plain = {id(source) for source in sources if arrow_writer.eligible(source)}
    lineage = {key: n for n, key in enumerate(keys)}
    jobs = []
    for partition, group in sorted(_by_partition(delivered).items()):
        if not all(id(source_of[k]) in plain and k in sizes for k in group):
            continue
        size = sum(sizes[k] for k in group)
        if size >= arrow_writer.MAX_PARTITION_BYTES:
            continue
        group.sort(key=lineage.__getitem__)
        fields: list[str] = []  # the union of the files' fields, as DuckDB's view has them
        used = {id(source_of[k]) for k in group}
        for source in (s for s in sources if id(s) in used):
            fields += [f for f in source.fields if f not in fields]
        files = [(source_of[k], k, lineage[k]) for k in group]
        key = partition_key(*partition, batch_id, _DELIVERED_FILE)
        jobs.append((key, files, ordered_columns(fields), _staged(staging, key), size))
    if not jobs:
        return delivered
    cut_short: list[str] = []
    written = arrow_writer.write_partitions(
        lake.store, jobs, cut_short, resources.spill_dir, resources.threads
    )
    for key in sorted(set(cut_short)):
        problem = f"{lake.store.reader_path(key)}: its gzip stream is cut short (a partial copy?)"
        if lake.strict:
            raise LakeError(problem)
        out.warnings.append(
            f"{problem}: the lines before the cut are compacted; once the file is whole, its new "
            "size has it compacted again"
        )
    left = dict(delivered)
    for key, counts in written.items():
        if counts is None:
            continue
        if sum(counts.values()):
            out.files[key] = sum(counts.values())
        else:  # every file of the partition without records, as DuckDB writes none
            (staging / key).unlink(missing_ok=True)
        for n, rows in counts.items():
            out.rows[keys[n]] = rows
            del left[keys[n]]
    return left


def _by_partition(delivered: dict[str, Partition]) -> dict[Partition, list[str]]:
    """The delivered files of each partition."""
    groups: dict[Partition, list[str]] = defaultdict(list)
    for key, partition in delivered.items():
        groups[partition].append(key)
    return groups


class _BatchEngine(DuckDBEngine):
    """A DuckDB engine over a batch's files whose flow_logs can be narrowed to some of them.

    A statement binds a reader over every file of the view (~40 us a file), so a statement
    per partition over the whole batch would cost files x partitions: batches of many small
    files would spend more time planning than reading.
    """

    def __init__(self, lake: Lake, sources: list[Source]):
        super().__init__(lake, filename=True)
        self.all_sources = sources
        # each key's (source, place in it): narrowing to a partition's few files must not
        # walk the batch's thousands (a month of 5-minute files)
        self._place = {k: (n, i) for n, s in enumerate(sources) for i, k in enumerate(s.keys)}

    def narrow(self, keys: list[str]) -> None:
        """flow_logs over the files `keys` only, in the batch's order (malformed lines and
        unreadable files met so far stay counted)."""
        by_source: dict[int, list[str]] = defaultdict(list)
        for key in sorted(keys, key=self._place.__getitem__):
            by_source[self._place[key][0]].append(key)
        self.set_sources(
            [
                replace(self.all_sources[n], keys=tuple(mine), bytes=0)
                for n, mine in by_source.items()
            ]
        )


@contextmanager
def _engine(lake: Lake, sources: list[Source], resources: Resources) -> Iterator[_BatchEngine]:
    """An engine whose flow_logs holds every row of `sources`."""
    batch_lake = Lake(lake.location, TimeWindow(), lake.fields, lake.s3, lake.strict)
    batch_lake.store = lake.store  # one S3 client and credential lookup for the whole run
    batch_lake.discovery = Discovery(sources=sources)
    engine = _BatchEngine(batch_lake, sources)
    con = engine.connect()
    try:
        apply_resources(con, resources)
        con.execute("SET preserve_insertion_order = false")  # every write below sorts
        yield engine
    finally:
        con.close()


def apply_resources(con: Any, resources: Resources) -> None:
    con.execute(f"SET memory_limit = {string_literal(resources.memory_limit)}")
    if resources.spill_dir:
        resources.spill_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {string_literal(str(resources.spill_dir))}")
    if resources.threads:
        con.execute(f"SET threads = {int(resources.threads)}")


def _problems(engine: DuckDBEngine, keys: list[str], out: BatchOutput) -> None:
    """Malformed lines and unreadable files met by `engine`, per source key, into `out`."""
    assert engine.lake
    path_of = {engine.lake.store.reader_path(k): k for k in keys}
    warnings = engine.all_warnings()
    out.warnings += warnings
    out.malformed = {path_of[p]: n for p, n in engine.malformed.items() if p in path_of}
    out.unreadable = {
        path_of[p]: next((w for w in warnings if p in w), "unreadable")
        for p in engine.unreadable
        if p in path_of
    }


def _write_by_delivery_hour(
    engine: _BatchEngine,
    keys: list[str],
    delivered: dict[str, Partition],
    staging: Path,
    batch_id: str,
    out: BatchOutput,
) -> None:
    """Each partition by one COPY from its files, rows per source counted in the files written."""
    assert engine.lake
    store = engine.lake.store
    lineage = {key: n for n, key in enumerate(keys)}
    written_files = []
    for (account, region, hour), group in sorted(_by_partition(delivered).items()):
        engine.narrow(group)
        data = ordered_columns(engine.columns())
        order = order_by(data)
        source = " ".join(
            f"WHEN {string_literal(store.reader_path(k))} THEN {lineage[k]}" for k in group
        )
        key = partition_key(account, region, hour, batch_id, _DELIVERED_FILE)
        target = _staged(staging, key)
        # run() scans again when it recovers lines with runs of spaces: the COPY then
        # rewrites the file with them
        result = engine.run(
            f"COPY (SELECT {', '.join(quote(c) for c in data)}, "
            f"CAST(CASE {FILENAME} {source} END AS INTEGER) AS {LINEAGE_COLUMN} "
            f"FROM flow_logs{order}) TO {string_literal(str(target))} {PARQUET_OPTIONS}"
        )
        ((written,),) = result.rows_data.values  # a COPY's one row: the rows it wrote
        if written:
            out.files[key] = written
            written_files.append(str(target))
        else:  # every file of the partition empty or unreadable
            target.unlink(missing_ok=True)
    out.rows.update(_rows_per_source(engine, written_files, keys, batch_id))


def _rows_per_source(
    engine: DuckDBEngine, files: list[str], keys: list[str], batch_id: str
) -> dict[str, int]:
    """Rows per source key in the Parquet files written, from their lineage column."""
    if not files:
        return {}
    rows = {}
    for index, count in engine.con.execute(
        f"SELECT {LINEAGE_COLUMN}, count(*) FROM read_parquet({file_list(files)}, "
        "hive_partitioning=false) GROUP BY ALL"
    ).fetchall():
        if index is None:
            raise LakeError(f"batch {batch_id}: {count} row(s) read from a file not in the batch")
        rows[keys[index]] = int(count)
    return rows


def _write_by_start_hour(
    engine: DuckDBEngine,
    keys: list[str],
    undated: list[str],
    staging: Path,
    batch_id: str,
    out: BatchOutput,
) -> None:
    """Every row into a temp table with its partition, then each partition copied from it."""
    assert engine.lake
    store = engine.lake.store
    db = engine.con
    lineage = {key: n for n, key in enumerate(keys)}
    db.execute(
        f"CREATE OR REPLACE TEMP TABLE {_FILES_TABLE} (file_id INTEGER, {FILENAME} VARCHAR, "
        "part_account VARCHAR, part_region VARCHAR, delivered_hour BIGINT)"
    )
    files = []
    for key in undated:
        name = _source_name(store, key)
        account, region = aws_layout.account_region(name) or (None, None)
        files.append(
            (lineage[key], store.reader_path(key), _safe(account), _safe(region),
             _delivery_hour(name))
        )  # fmt: skip
    db.executemany(f"INSERT INTO {_FILES_TABLE} VALUES (?, ?, ?, ?, ?)", files)

    columns = engine.columns()
    data = ordered_columns(columns)
    # the file as a small integer (its lineage): a path on every row would double the table
    engine.materialize(
        _BATCH_TABLE,
        f"SELECT {', '.join(f'b.{quote(c)}' for c in data)}, f.file_id, "
        f"{_partition_columns(columns)} "
        f"FROM flow_logs b LEFT JOIN {_FILES_TABLE} f USING ({FILENAME})",
    )
    for file_id, count in db.execute(
        f"SELECT file_id, count(*) FROM {_BATCH_TABLE} GROUP BY ALL"
    ).fetchall():
        if file_id is None:
            raise LakeError(f"batch {batch_id}: {count} row(s) read from a file not in the batch")
        out.rows[keys[file_id]] = count

    partitions = db.execute(
        f"SELECT part_account, part_region, part_hour FROM {_BATCH_TABLE} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    order = order_by(data)
    names = ", ".join(quote(c) for c in data)
    for account, region, hour in partitions:
        key = partition_key(account, region, hour, batch_id, _UNDATED_FILE)
        target = _staged(staging, key)
        written = db.execute(
            f"COPY (SELECT {names}, file_id AS {LINEAGE_COLUMN} FROM {_BATCH_TABLE} "
            f"WHERE part_account = {string_literal(account)} "
            f"AND part_region = {string_literal(region)} "
            f"AND part_hour = {int(hour)}{order}) "
            f"TO {string_literal(str(target))} {PARQUET_OPTIONS}"
        ).fetchone()[0]
        out.files[key] = int(written)
    db.execute(f"DROP TABLE {_BATCH_TABLE}")


__all__ = [
    "LINEAGE_COLUMN",
    "BatchOutput",
    "Resources",
    "batch_sources",
    "delivered_partition",
    "partition_key",
    "write_batch",
]
