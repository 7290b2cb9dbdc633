"""Synthetic VPC flow logs, written by DuckDB the way AWS delivers them to S3.

One account, one region, one flow log in the default (v2) format, spread over two days of
5-minute delivery windows, as gzip text with a header line:

    <data>/AWSLogs/<account>/vpcflowlogs/<region>/yyyy/MM/dd/
        <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<8hex>.log.gz

Every value is derived from hash(record number, file number), so the same record count gives
the same files (with the same DuckDB version: its hash function is not a stable format). The
mix, per file:

- about 1% NODATA and 0.05% SKIPDATA lines (`-` in the address, port, protocol, packet, byte
  and action fields, as AWS writes them);
- about 7% of the other records are REJECTs: scanners on public addresses (a few of them very
  busy) probing private addresses, skewed to a few hot ports (22, 3389, 445, 23, ...) with a
  long tail over the whole port range; TCP, some UDP, some ICMP (ports 0);
- the rest are ACCEPTs: instances talking to public services (443, 80, 53, 123) and to each
  other (5432, 6379, 22, ...), and clients reaching public front ends;
- `start`/`end` are Unix seconds inside the file's 5-minute window.

Files are written under a temporary name and renamed; a marker file written last records what
was generated, so `--keep` can reuse a complete data set and never a half-written one.
"""

import hashlib
import json
import math
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Bump when the generated data changes, so `--keep` does not reuse an older data set.
GENERATOR_VERSION = 1
MARKER = ".flowlake-bench.json"

ACCOUNT = "123456789012"
REGION = "us-east-1"
FLOW_LOG_ID = "fl-0123456789abcdef0"
FIRST_DAY = datetime(2024, 5, 1, tzinfo=UTC)
DAYS = 2
WINDOW = timedelta(minutes=5)
RECORDS_PER_FILE = 100_000  # AWS caps a file at 75 MB; 100k default-format records is ~2.5 MB gz
MIN_FILES = 16  # small runs still get several files, so the file fan-out is exercised

# The v2 default format, in file order, with AWS's header names.
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    "packets bytes start end action log-status"
).split()

# First octets of public IPv4 addresses (cloud providers, ISPs; nothing private or reserved).
_PUBLIC_FIRST_OCTETS = [
    3, 13, 18, 20, 23, 34, 35, 40, 44, 45, 51, 52, 54, 61, 62, 77, 80, 81, 89, 91, 93, 103, 104,
    109, 111, 112, 114, 117, 118, 121, 123, 125, 138, 141, 142, 146, 152, 157, 159, 162, 164,
    167, 170, 175, 178, 180, 183, 185, 188, 193, 194, 195, 198, 200, 202, 203, 209, 211, 212,
    213, 218, 220, 222, 223,
]  # fmt: skip


@dataclass(frozen=True)
class DataSet:
    """What was generated: read back from the marker by `--keep`."""

    version: int
    records: int
    files: int
    gz_bytes: int
    first_day: str
    days: int


def plan_files(records: int) -> list[tuple[datetime, int]]:
    """(window start, record count) of each file: ~100k records each, spread over the days."""
    files = max(math.ceil(records / RECORDS_PER_FILE), min(MIN_FILES, records))
    windows = DAYS * int(timedelta(days=1) / WINDOW)
    plan = []
    for n in range(files):
        start = FIRST_DAY + WINDOW * (n * windows // files)
        count = records * (n + 1) // files - records * n // files
        plan.append((start, count))
    return plan


def object_path(data: Path, window_start: datetime, number: int) -> Path:
    digest = hashlib.md5(f"{GENERATOR_VERSION}:{number}".encode()).hexdigest()[:8]
    name = (
        f"{ACCOUNT}_vpcflowlogs_{REGION}_{FLOW_LOG_ID}_{window_start:%Y%m%dT%H%MZ}_{digest}.log.gz"
    )
    return data / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / f"{window_start:%Y/%m/%d}" / name


def records_sql(file_number: int, window_start: datetime, count: int) -> str:
    """One file's records, columns named and ordered as AWS's header line."""
    t0 = int(window_start.timestamp())
    octets = "[" + ", ".join(map(str, _PUBLIC_FIRST_OCTETS)) + "]"
    n_octets = len(_PUBLIC_FIRST_OCTETS)
    # h1..h3: independent 64-bit hashes of the record; bit ranges of each are used as dice.
    # Every derived value reads its own slice, so the dice are (close to) independent.
    return f"""
WITH dice AS (
    SELECT
        hash(i, {file_number}, 1) AS h1,
        hash(i, {file_number}, 2) AS h2,
        hash(i, {file_number}, 3) AS h3
    FROM range({count}) AS t(i)
), kinds AS (
    SELECT
        *,
        CASE
            WHEN h1 % 10000 < 100 THEN 'NODATA'
            WHEN h1 % 10000 < 105 THEN 'SKIPDATA'
            ELSE 'OK'
        END AS status,
        -- 7% REJECT; ACCEPTs are egress (0), east-west (1) or ingress from clients (2)
        CASE WHEN (h1 >> 14) % 1000 < 70 THEN 'R' ELSE 'A' || ((h1 >> 24) % 3)::VARCHAR END
            AS kind,
        (h1 >> 32) % 100 AS proto_die,
        (h2 % 100000) / 100000.0 AS u,  -- uniform [0, 1): port choice
        ((h2 >> 20) % 100000) / 100000.0 AS v,  -- uniform [0, 1): peer choice
        (h3 % 400) AS eni,
        (h3 >> 10) % 240 AS start_offset,
        (h3 >> 20) % 60 AS duration,
        1024 + (h3 >> 28) % 64512 AS ephemeral
    FROM dice
), flows AS (
    SELECT
        *,
        CASE
            WHEN proto_die < (CASE kind WHEN 'R' THEN 85 ELSE 88 END) THEN 6
            WHEN proto_die < 98 THEN 17
            ELSE 1
        END AS proto,
        '10.0.' || (eni // 250)::VARCHAR || '.' || (4 + eni % 250)::VARCHAR AS eni_addr,
        -- scanners: 50k addresses, a few of them very busy (v^3 piles up near 0)
        hash(floor(50000 * v * v * v)::BIGINT, 7) AS scanner,
        -- public services and clients: 5k addresses, mildly skewed
        hash(floor(5000 * v * v)::BIGINT, 11) AS peer
    FROM kinds
), addressed AS (
    SELECT
        *,
        CASE kind
            WHEN 'R' THEN
                {octets}[1 + (scanner % {n_octets})::INTEGER]::VARCHAR || '.' ||
                ((scanner >> 8) % 256)::VARCHAR || '.' || ((scanner >> 16) % 256)::VARCHAR ||
                '.' || (1 + (scanner >> 24) % 254)::VARCHAR
            WHEN 'A1' THEN
                '10.0.' || ((peer >> 8) % 2)::VARCHAR || '.' || (4 + peer % 250)::VARCHAR
            ELSE
                {octets}[1 + (peer % {n_octets})::INTEGER]::VARCHAR || '.' ||
                ((peer >> 8) % 256)::VARCHAR || '.' || ((peer >> 16) % 256)::VARCHAR ||
                '.' || (1 + (peer >> 24) % 254)::VARCHAR
        END AS remote,
        CASE
            WHEN proto = 1 THEN 0
            WHEN kind = 'R' AND proto = 6 THEN
                CASE
                    WHEN u < 0.25 THEN 22
                    WHEN u < 0.40 THEN 3389
                    WHEN u < 0.48 THEN 445
                    WHEN u < 0.54 THEN 23
                    WHEN u < 0.58 THEN 80
                    WHEN u < 0.61 THEN 443
                    WHEN u < 0.63 THEN 8080
                    WHEN u < 0.645 THEN 3306
                    WHEN u < 0.655 THEN 1433
                    WHEN u < 0.665 THEN 5900
                    WHEN u < 0.672 THEN 6379
                    WHEN u < 0.678 THEN 5432
                    WHEN u < 0.684 THEN 25
                    WHEN u < 0.85 THEN 1 + (h2 >> 40) % 1024
                    ELSE 1 + (h2 >> 40) % 65535
                END
            WHEN kind = 'R' THEN
                CASE
                    WHEN u < 0.30 THEN 53
                    WHEN u < 0.45 THEN 123
                    WHEN u < 0.60 THEN 161
                    WHEN u < 0.70 THEN 1900
                    WHEN u < 0.78 THEN 5060
                    ELSE 1 + (h2 >> 40) % 65535
                END
            WHEN proto = 17 THEN CASE WHEN u < 0.8 THEN 53 ELSE 123 END
            WHEN kind = 'A0' THEN CASE WHEN u < 0.85 THEN 443 ELSE 80 END
            WHEN kind = 'A1' THEN
                CASE
                    WHEN u < 0.5 THEN 5432 WHEN u < 0.8 THEN 6379 WHEN u < 0.9 THEN 22 ELSE 8080
                END
            ELSE CASE WHEN u < 0.9 THEN 443 ELSE 80 END
        END AS service_port,
        CASE
            WHEN kind = 'R' THEN 1 + ((h2 >> 50) % 10 = 0)::INTEGER + ((h2 >> 54) % 20 = 0)::INTEGER
            ELSE 1 + floor(exp(((h2 >> 40) % 1000) / 1000.0 * 9))::BIGINT
        END AS pkts,
        CASE
            WHEN proto = 1 THEN 84
            WHEN kind = 'R' THEN 40 + 4 * ((h2 >> 58) % 6)
            ELSE 52 + (h3 >> 44) % 1449
        END AS packet_size
    FROM flows
)
SELECT
    2 AS "version",
    '{ACCOUNT}' AS "account-id",
    printf('eni-0%016x', hash(eni, 5)) AS "interface-id",
    CASE WHEN status = 'OK' THEN CASE WHEN kind = 'A0' THEN eni_addr ELSE remote END END
        AS "srcaddr",
    CASE WHEN status = 'OK' THEN CASE WHEN kind = 'A0' THEN remote ELSE eni_addr END END
        AS "dstaddr",
    CASE WHEN status = 'OK' THEN CASE WHEN proto = 1 THEN 0 ELSE ephemeral END END AS "srcport",
    CASE WHEN status = 'OK' THEN service_port END AS "dstport",
    CASE WHEN status = 'OK' THEN proto END AS "protocol",
    CASE WHEN status = 'OK' THEN pkts END AS "packets",
    CASE WHEN status = 'OK' THEN pkts * packet_size END AS "bytes",
    {t0} + CASE WHEN status = 'OK' THEN start_offset ELSE 0 END AS "start",
    {t0} + CASE WHEN status = 'OK' THEN start_offset + duration ELSE 59 END AS "end",
    CASE WHEN status = 'OK' THEN CASE kind WHEN 'R' THEN 'REJECT' ELSE 'ACCEPT' END END
        AS "action",
    status AS "log-status"
FROM addressed
"""


def _write_file(con: Any, data: Path, number: int, window_start: datetime, count: int) -> int:
    path = object_path(data, window_start, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")  # not a flow-log name: readers skip it
    sql = records_sql(number, window_start, count)
    con.execute(
        f"COPY ({sql}) TO '{tmp}' (FORMAT csv, DELIMITER ' ', HEADER true, QUOTE '', "
        "ESCAPE '', NULLSTR '-', COMPRESSION gzip)"
    )
    os.replace(tmp, path)
    return path.stat().st_size


def read_marker(data: Path) -> DataSet | None:
    try:
        return DataSet(**json.loads((data / MARKER).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _write_marker(data: Path, dataset: DataSet) -> None:
    tmp = data / f"{MARKER}.tmp"
    tmp.write_text(json.dumps(asdict(dataset), indent=2) + "\n")
    os.replace(tmp, data / MARKER)


def _clear(data: Path) -> None:
    """Remove a previous data set; refuse to touch a folder this generator did not make."""
    if not data.exists():
        return
    entries = {p.name for p in data.iterdir()}
    ours = {MARKER, f"{MARKER}.tmp", "AWSLogs"}
    if entries - ours or ("AWSLogs" in entries and MARKER not in entries and _has_foreign(data)):
        raise SystemExit(
            f"bench: {data} holds files the benchmark did not write; pass --data with an empty "
            "or new folder"
        )
    (data / MARKER).unlink(missing_ok=True)
    shutil.rmtree(data / "AWSLogs", ignore_errors=True)


def _has_foreign(data: Path) -> bool:
    """True if AWSLogs/ holds anything but this generator's account (an interrupted run)."""
    return {p.name for p in (data / "AWSLogs").iterdir()} - {ACCOUNT} != set()


def ensure(data: Path, records: int, keep: bool, log: Any = print) -> DataSet:
    """The data set of `records` records under `data`: reused with `keep`, else generated."""
    marker = read_marker(data)
    if (
        keep
        and marker
        and marker.records == records
        and marker.version == GENERATOR_VERSION
        and _complete(data, marker)
    ):
        log(f"reusing {marker.records:,} records in {marker.files} files under {data}")
        return marker
    if keep:
        held = f"{marker.records:,} records (generator v{marker.version})" if marker else "no data"
        log(f"--keep: {data} holds {held}, not a complete set of {records:,}: generating anew")
    import duckdb

    _clear(data)
    data.mkdir(parents=True, exist_ok=True)
    plan = plan_files(records)
    log(f"generating {records:,} records in {len(plan)} files under {data} ...")
    # DuckDB compresses a COPY's gzip stream on one thread, and that is most of the work: one
    # single-threaded in-memory database per core, each writing its share of the files, keeps
    # the cores busy (cursors of one shared database contend instead).
    workers = max(1, min(os.cpu_count() or 1, len(plan)))

    def write_share(worker: int) -> list[int]:
        con = duckdb.connect(config={"threads": 1})
        try:
            con.execute("SET enable_progress_bar = false")
            return [
                _write_file(con, data, n, start, count)
                for n, (start, count) in enumerate(plan)
                if n % workers == worker
            ]
        finally:
            con.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        sizes = [size for share in pool.map(write_share, range(workers)) for size in share]
    dataset = DataSet(
        version=GENERATOR_VERSION,
        records=records,
        files=len(plan),
        gz_bytes=sum(sizes),
        first_day=FIRST_DAY.date().isoformat(),
        days=DAYS,
    )
    _write_marker(data, dataset)
    return dataset


def _complete(data: Path, marker: DataSet) -> bool:
    files = list_files(data)
    return len(files) == marker.files and sum(f.stat().st_size for f in files) == marker.gz_bytes


def list_files(data: Path) -> list[Path]:
    """The data set's flow-log files, in key order (the order AWS lists them)."""
    return sorted((data / "AWSLogs").rglob("*.log.gz"))
