"""Benchmarks of issue 7: compaction, the compacted lake, time windows, and the Python peer.

- compaction throughput against `zcat > /dev/null` over the same files (the decompression
  limit: no reader of .log.gz can go faster), on the data set and on its 30-day lake;
- reject-by-port on the compacted lake (a third contestant in bench_reject_by_port);
- a 1-hour window against a full scan of a 30-day lake (5-minute deliveries, as AWS writes
  them), with the files each opens;
- top-talkers against flowlogs-reader's `aggregate` (installed by `make bench` only).

The compacted lake and the 30-day lake live beside the data set (`<data>-compacted`,
`<data>-30d`) so the data set's folder holds only what its generator wrote.
"""

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import generate
from bench.timing import Command, Measurement, Target, measure

# The targets, as ratios contender / baseline.
COMPACTION_TARGET = 2.0  # at least half the decompression limit
COMPACTED_QUERY_TARGET = 1 / 50  # 50x faster than zcat | awk
WINDOW_TARGET = 1 / 100  # 100x faster than a full scan
PEER_TARGET = 1 / 20  # 20x faster than flowlogs-reader
# The peer takes ~70 s a million records (pure Python, one core) and holds every 5-tuple in
# Python objects: measured on data sets up to this size only.
PEER_MAX_RECORDS = 1_000_000
MONTH_DAYS = 30


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def compacted_lake(data: Path) -> Path:
    return data.with_name(f"{data.name}-compacted")


def month_lake(data: Path) -> Path:
    return data.with_name(f"{data.name}-30d")


def label(records: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if records >= size and records % (size // 10) == 0:
            return f"{records / size:g}{suffix}"
    return f"{records:,}"


# -- compaction --------------------------------------------------------------------------------


def bench_compaction(ctx: Any) -> list[Measurement]:
    """flowlake compact into an empty folder, each run, against zcat of the same files."""
    return [
        _compaction(
            f"compaction, {label(ctx.dataset.records)} records",
            ctx, ctx.data, ctx.files, ctx.dataset, compacted_lake(ctx.data), repeat=2,
        )
    ]  # fmt: skip


def bench_month_compaction(ctx: Any) -> list[Measurement]:
    """The same over the 30-day lake: the same records in AWS's 5-minute files (12 an hour,
    8,640 in all), each hour its own partition. Per-file and per-partition costs show here."""
    data = month_lake(ctx.data)
    dataset = ensure_month(data, ctx.dataset.records, keep=True, log=_log)
    return [
        _compaction(
            f"compaction, 30-day lake of 5-minute files, {label(dataset.records)} records",
            ctx, data, generate.list_files(data), dataset,
            compacted_lake(data), repeat=1,
        )
    ]  # fmt: skip


def _compaction(
    name: str,
    ctx: Any,
    data: Path,
    source_files: list[Path],
    dataset: generate.DataSet,
    dest: Path,
    repeat: int,
) -> Measurement:
    files = [str(f) for f in source_files]
    lake = str(data.resolve())
    fresh = 'rm -rf -- "$1" && exec "$2" compact --lake "$3" --to "$1"'
    zcat, ours = measure(
        Command("zcat > /dev/null", ["bash", "-c", 'zcat -- "$@" > /dev/null', "bash", *files]),
        Command(
            "flowlake compact",
            ["bash", "-c", fresh, "bash", str(dest), ctx.flowlake, lake],
            ctx.env,
        ),
        repeat=repeat,
    )
    verified = subprocess.run(
        [ctx.flowlake, "compact", "--lake", lake, "--to", str(dest), "--verify"],
        capture_output=True,
        text=True,
        env=ctx.env,
    )
    rows = f"{dataset.records:,} rows"
    valid = verified.returncode == 0 and rows in verified.stdout
    check = "verify: OK, " + rows if valid else "VERIFY FAILED: " + verified.stdout[-300:]
    parquet = list(dest.rglob("*.parquet"))
    size = sum(p.stat().st_size for p in parquet)
    notes = [
        f"{dataset.records / ours.best / 1e6:.2f} M records/s",
        f"{len(files):,} files, {dataset.gz_bytes / 2**20:,.0f} MiB .log.gz -> "
        f"{len(parquet):,} files, {size / 2**20:,.0f} MiB Parquet",
    ]
    return Measurement(
        name,
        ours,
        Target(COMPACTION_TARGET, "x"),
        baseline=zcat,
        check=check,
        valid=valid,
        notes=notes,
    )


# -- a 30-day lake: a 1-hour window against a full scan ----------------------------------------


def _month_plan(records: int) -> list[tuple[datetime, int]]:
    """One file per 5-minute window over 30 days, as AWS delivers one flow log."""
    windows = MONTH_DAYS * int(timedelta(days=1) / generate.WINDOW)
    files = min(windows, records)
    return [
        (
            generate.FIRST_DAY + generate.WINDOW * (n * windows // files),
            records * (n + 1) // files - records * n // files,
        )
        for n in range(files)
    ]


def ensure_month(data: Path, records: int, keep: bool, log: Any) -> generate.DataSet:
    """The data set's records spread over 30 days of 5-minute files (generated once)."""
    marker = generate.read_marker(data)
    if keep and marker and marker.records == records and marker.days == MONTH_DAYS:
        if generate._complete(data, marker):
            return marker
    import duckdb

    generate._clear(data)
    data.mkdir(parents=True, exist_ok=True)
    plan = _month_plan(records)
    log(f"generating {records:,} records in {len(plan):,} files over 30 days under {data} ...")
    workers = max(1, min(os.cpu_count() or 1, len(plan)))

    def share(worker: int) -> list[int]:
        con = duckdb.connect(config={"threads": 1})
        try:
            con.execute("SET enable_progress_bar = false")
            return [
                generate._write_file(con, data, n, start, count)
                for n, (start, count) in enumerate(plan)
                if n % workers == worker
            ]
        finally:
            con.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        sizes = [size for part in pool.map(share, range(workers)) for size in part]
    dataset = generate.DataSet(
        version=generate.GENERATOR_VERSION,
        records=records,
        files=len(plan),
        gz_bytes=sum(sizes),
        first_day=generate.FIRST_DAY.date().isoformat(),
        days=MONTH_DAYS,
    )
    (data / generate.MARKER).write_text(json.dumps(asdict(dataset), indent=2) + "\n")
    return dataset


def _files_opened(lake: Path, since: str | None, until: str | None) -> int:
    from flowlake.lake import Lake
    from flowlake.timewindow import TimeWindow

    return Lake(str(lake), window=TimeWindow.parse(since, until)).discovery.files


def bench_window(ctx: Any) -> list[Measurement]:
    """reject-by-port over one hour of a 30-day lake against the same query over all of it."""
    from bench.__main__ import AWK_REJECT_BY_PORT, PIPELINE, compare, floor_command, with_floor

    data = month_lake(ctx.data)
    dataset = ensure_month(data, ctx.dataset.records, keep=True, log=_log)
    start = generate.FIRST_DAY + timedelta(days=MONTH_DAYS // 2, hours=10)
    since, until = f"{start:%Y-%m-%dT%H:%MZ}", f"{start + timedelta(hours=1):%Y-%m-%dT%H:%MZ}"
    query = [ctx.flowlake, "query", "reject-by-port", "--lake", str(data.resolve()), "-f", "csv"]
    full, hour, floor = measure(
        Command("full scan", query, ctx.env),
        Command("1-hour window", [*query, "--since", since, "--until", until], ctx.env),
        Command("Python starts and loads DuckDB, nothing more", floor_command("startup"), ctx.env),
    )
    # the window's answer, computed by awk from every file (nothing may be pruned wrongly)
    lo, hi = int(start.timestamp()), int(start.timestamp()) + 3600
    program = AWK_REJECT_BY_PORT.replace(
        '$13 == "REJECT"', f'$13 == "REJECT" && $11 >= {lo} && $11 < {hi}'
    )
    files = [str(f) for f in generate.list_files(data)]
    awk = subprocess.run(
        ["bash", "-c", PIPELINE, "bash", program, *files], capture_output=True, text=True
    )
    valid, check = compare(hour.output, awk.stdout)
    opened = _files_opened(data, since, until)
    row = Measurement(
        f"1-hour window in a 30-day lake, {label(dataset.records)} records",
        hour,
        Target(WINDOW_TARGET, "x"),
        baseline=full,
        check=check,
        valid=valid,
        notes=[f"files opened {opened:,} vs {dataset.files:,}"],
    )
    with_floor(row, floor, None)  # start-up gives no answer to check
    return [row]


# -- flowlogs-reader ---------------------------------------------------------------------------


def peer_available() -> bool:
    try:
        import flowlogs_reader  # noqa: F401
    except ImportError:
        return False
    return True


def _pairs_from_aggregate(tsv: str, limit: int) -> list[dict[str, object]]:
    """The peer's 5-tuple aggregates summed by (srcaddr, dstaddr), ranked as top-talkers does."""
    lines = tsv.splitlines()
    names = lines[0].split("\t")
    totals: dict[tuple[str, str], list[int]] = {}
    for line in lines[1:]:
        row = dict(zip(names, line.split("\t"), strict=True))
        key = (row["srcaddr"], row["dstaddr"])
        total = totals.setdefault(key, [0, 0])
        total[0] += int(row["bytes"])
        total[1] += int(row["packets"])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [{"srcaddr": s, "dstaddr": d, "bytes": b, "packets": p} for (s, d), (b, p) in ranked]


def _pairs_from_flowlake(csv_text: str) -> list[dict[str, object]]:
    import csv
    import io

    return [
        {"srcaddr": r["srcaddr"], "dstaddr": r["dstaddr"], "bytes": int(r["bytes"]),
         "packets": int(r["packets"])}
        for r in csv.DictReader(io.StringIO(csv_text))
    ]  # fmt: skip


def bench_top_talkers(ctx: Any) -> list[Measurement]:
    """top-talkers by address pair against flowlogs-reader's aggregate over the same files."""
    if not peer_available() or ctx.dataset.records > PEER_MAX_RECORDS:
        return []
    lake = str(ctx.data.resolve())
    first = datetime.fromisoformat(ctx.dataset.first_day).replace(tzinfo=UTC)
    last = first + timedelta(days=ctx.dataset.days + 1)
    peer = [sys.executable, "-m", "bench.peer", lake, f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"]
    ours_argv = [ctx.flowlake, "query", "top-talkers", "--lake", lake, "-p", "by=pair", "-f", "csv"]
    theirs, ours = measure(
        Command("flowlogs-reader aggregate", peer, ctx.env),
        Command("flowlake top-talkers", ours_argv, ctx.env),
        repeat=1,
    )
    mine = _pairs_from_flowlake(ours.output)
    peer_pairs = _pairs_from_aggregate(theirs.output, len(mine))
    valid = bool(mine) and mine == peer_pairs
    check = (
        f"answers match (top {len(mine)} pairs by bytes, bytes and packets)"
        if valid
        else f"ANSWERS DIFFER: flowlake {mine[:1]} vs peer {peer_pairs[:1]}"
    )
    return [
        Measurement(
            f"top-talkers, {label(ctx.dataset.records)} records",
            ours,
            Target(PEER_TARGET, "x"),
            baseline=theirs,
            check=check,
            valid=valid,
            notes=["peer reads the local files through a stand-in S3 client (bench/peer.py)"],
        )
    ]


def remove_derived(data: Path) -> None:
    """The compacted copies of a data set and of its 30-day lake (rebuilt by every run)."""
    shutil.rmtree(compacted_lake(data), ignore_errors=True)
    shutil.rmtree(compacted_lake(month_lake(data)), ignore_errors=True)
