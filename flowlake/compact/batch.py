"""Writing one batch of source files as hour-partitioned, start-sorted zstd Parquet.

One scan of the sources: DuckDB copies every row of the batch (with the file it came from)
into a temp table, lines with runs of spaces recovered, malformed lines counted. From that
table come the rows per source file, and the Parquet files, one per (account, region, hour)
the batch holds:

    AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/
        year=YYYY/month=MM/day=DD/hour=HH/<batch-id>_0.parquet

That is AWS's own Hive-compatible per-hour layout, so every flowlake query, and Athena's DDL for
that layout, reads a compacted lake as it reads a delivered one. Columns keep the registry's
types, which are AWS's Parquet types (INT32 ports and protocol, INT64 counts and times).
"""

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowlake import registry
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.errors import LakeError
from flowlake.lake import Lake
from flowlake.lake import layout as aws_layout
from flowlake.lake.discovery import Discovery, Source
from flowlake.lake.view import EPOCH_MS_THRESHOLD, FILENAME, quote, string_literal
from flowlake.timewindow import TimeWindow

# A partition value must be a plain path segment; anything else is filed under 'unknown'.
_SAFE_VALUE = re.compile(r"[0-9A-Za-z._-]+")
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z
_BATCH_TABLE = "flowlake_batch"
_FILES_TABLE = "flowlake_batch_files"


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


def _delivery_hour(key: str) -> int | None:
    """The hour a file was delivered (Unix hours), from its name or its key's date: where its
    records are filed when they carry no start time."""
    match = aws_layout.FILE_NAME.search(key.rsplit("/", 1)[-1])
    if match:
        when = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        return int(when.timestamp()) // 3600
    date = aws_layout.date_in_key(key)
    if date:
        year, month, day, hour = date
        return int(datetime(year, month, day, hour or 0, tzinfo=UTC).timestamp()) // 3600
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


def _ordered(columns: list[str]) -> list[str]:
    """Registry order (AWS's field order), unknown fields after; derived columns left out."""
    order = {f.column: n for n, f in enumerate(registry.fields())}
    data = [c for c in columns if c not in ("start_time", "end_time", FILENAME)]
    return sorted(data, key=lambda c: (order.get(c, len(order)), data.index(c)))


def partition_key(account: str, region: str, hour: int, batch_id: str) -> str:
    """The destination key of a batch's file for one partition (`hour` in Unix hours)."""
    when = datetime.fromtimestamp(hour * 3600, UTC)
    return (
        f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
        f"year={when:%Y}/month={when:%m}/day={when:%d}/hour={when:%H}/{batch_id}_0.parquet"
    )


def write_batch(
    lake: Lake,
    sources: list[Source],
    staging: Path,
    batch_id: str,
    resources: Resources = Resources(),
) -> BatchOutput:
    """Read `sources` (all rows, whatever the lake's window) and write them under `staging`."""
    batch_lake = Lake(lake.location, TimeWindow(), lake.fields, lake.s3, lake.strict)
    batch_lake.store = lake.store  # one S3 client and credential lookup for the whole run
    batch_lake.discovery = Discovery(sources=sources)
    engine = DuckDBEngine(batch_lake, filename=True)
    con = engine.connect()
    try:
        con.execute(f"SET memory_limit = {string_literal(resources.memory_limit)}")
        if resources.spill_dir:
            resources.spill_dir.mkdir(parents=True, exist_ok=True)
            con.execute(f"SET temp_directory = {string_literal(str(resources.spill_dir))}")
        if resources.threads:
            con.execute(f"SET threads = {int(resources.threads)}")
        con.execute("SET preserve_insertion_order = false")  # every write below sorts
        return _write(engine, con, sources, staging, batch_id)
    finally:
        con.close()


def _write(
    engine: DuckDBEngine, db: Any, sources: list[Source], staging: Path, batch_id: str
) -> BatchOutput:
    assert engine.lake
    store = engine.lake.store
    keys = [k for s in sources for k in s.keys]
    db.execute(
        f"CREATE OR REPLACE TEMP TABLE {_FILES_TABLE} (file_id INTEGER, {FILENAME} VARCHAR, "
        "part_account VARCHAR, part_region VARCHAR, delivered_hour BIGINT)"
    )
    rows = []
    for n, key in enumerate(keys):
        path = store.reader_path(key)
        name = key or path.rsplit("/", 1)[-1]  # a lake that is one file: its name says
        account, region = aws_layout.account_region(name) or (None, None)
        rows.append((n, path, _safe(account), _safe(region), _delivery_hour(name)))
    db.executemany(f"INSERT INTO {_FILES_TABLE} VALUES (?, ?, ?, ?, ?)", rows)

    columns = engine.columns()
    data = _ordered(columns)
    # the file as a small integer: a path on every row would double the table's memory
    engine.materialize(
        _BATCH_TABLE,
        f"SELECT {', '.join(f'b.{quote(c)}' for c in data)}, f.file_id, "
        f"{_partition_columns(columns)} "
        f"FROM flow_logs b LEFT JOIN {_FILES_TABLE} f USING ({FILENAME})",
    )
    out = BatchOutput(warnings=engine.all_warnings())
    path_of = {store.reader_path(k): k for k in keys}
    for file_id, count in db.execute(
        f"SELECT file_id, count(*) FROM {_BATCH_TABLE} GROUP BY ALL"
    ).fetchall():
        if file_id is None:
            raise LakeError(f"batch {batch_id}: {count} row(s) read from a file not in the batch")
        out.rows[keys[file_id]] = count
    out.malformed = {path_of[p]: n for p, n in engine.malformed.items() if p in path_of}
    out.unreadable = {
        path_of[p]: next((w for w in out.warnings if p in w), "unreadable")
        for p in engine.unreadable
        if p in path_of
    }

    partitions = db.execute(
        f"SELECT part_account, part_region, part_hour FROM {_BATCH_TABLE} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    order = " ORDER BY start" if "start" in data else ""
    names = ", ".join(quote(c) for c in data)
    for account, region, hour in partitions:
        key = partition_key(account, region, hour, batch_id)
        target = staging / key
        target.parent.mkdir(parents=True, exist_ok=True)
        written = db.execute(
            f"COPY (SELECT {names} FROM {_BATCH_TABLE} "
            f"WHERE part_account = {string_literal(account)} "
            f"AND part_region = {string_literal(region)} "
            f"AND part_hour = {int(hour)}{order}) "
            f"TO {string_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()[0]
        out.files[key] = int(written)
    db.execute(f"DROP TABLE {_BATCH_TABLE}")
    return out
