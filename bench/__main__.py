"""`python -m bench` (`make bench`): flowlake against its baselines, one table of results.

Each benchmark is a function taking the Context and returning Measurement rows; add one to
BENCHMARKS to add rows to the table (a compacted lake, a time window against a full scan,
other peers ...). See bench/README.md for what is measured and how to read it.
"""

import argparse
import csv
import io
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench import compaction, generate
from bench.timing import (
    Command,
    CommandFailed,
    Contention,
    Measurement,
    Target,
    Timing,
    measure,
    table,
)

# What `flowlake query reject-by-port` computes, in awk: per (dstport, protocol) of REJECT
# records: count, sum of packets, sum of bytes, distinct sources, min and max start.
# Header lines and NODATA/SKIPDATA lines (action `-`) never match $13 == "REJECT".
# Sums print with %.0f: awk numbers are doubles, exact far beyond these totals.
AWK_REJECT_BY_PORT = r"""
$1 == "version" { next }
$13 == "REJECT" {
    k = $7 "," $8
    n[k]++; p[k] += $9; b[k] += $10
    if (!((k SUBSEP $4) in seen)) { seen[k SUBSEP $4] = 1; d[k]++ }
    if (!(k in lo) || $11 + 0 < lo[k]) lo[k] = $11 + 0
    if (!(k in hi) || $11 + 0 > hi[k]) hi[k] = $11 + 0
}
END {
    for (k in n) printf "%s,%d,%.0f,%.0f,%d,%.0f,%.0f\n", k, n[k], p[k], b[k], d[k], lo[k], hi[k]
}
"""

# zcat | awk | sort (the ORDER BY rejects DESC, dstport, protocol), failing if any stage fails.
PIPELINE = (
    'set -o pipefail; prog=$1; shift; zcat -- "$@" | LC_ALL=C awk "$prog" '
    "| LC_ALL=C sort -t, -k3,3nr -k1,1n -k2,2n"
)


@dataclass
class Context:
    data: Path
    dataset: generate.DataSet
    files: list[Path]
    flowlake: str
    env: dict[str, str]


def flowlake_executable() -> str:
    """The flowlake script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "flowlake"
    if beside.is_file():
        return str(beside)
    found = shutil.which("flowlake")
    if not found:
        raise SystemExit("bench: no flowlake executable next to python or on PATH")
    return found


def clean_env() -> dict[str, str]:
    """This environment without FLOWLAKE_* settings, so nothing but the flags steers a run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAKE_")}
    env["FLOWLAKE_CONFIG"] = os.devnull  # no flowlake.toml from the current directory
    return env


def _records(text: str, header: bool) -> list[dict[str, object]]:
    names = ["dstport", "protocol", "rejects", "packets", "bytes", "sources", "first", "last"]
    reader = csv.reader(io.StringIO(text))
    if header:
        next(reader, None)
    rows = []
    for cells in reader:
        row: dict[str, object] = {}
        for name, value in zip(names, cells, strict=True):
            if value in ("", "-"):
                row[name] = None
            elif name in ("first", "last") and not value.isdigit():
                row[name] = int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
            else:
                row[name] = int(value)
        rows.append(row)
    return rows


def compare(flowlake_csv: str, awk_csv: str) -> tuple[bool, str]:
    """flowlake's rows (the top N, N being the query's limit) equal awk's first N rows.

    Every compared row must agree on all its figures (first/last seen too), in the same order;
    ties are ordered by dstport, protocol on both sides, so the cut at N is the same.
    """
    ours, theirs = _records(flowlake_csv, header=True), _records(awk_csv, header=False)
    if not ours:
        return False, "ANSWERS DIFFER: flowlake returned no rows"
    if len(ours) > len(theirs):
        return False, f"ANSWERS DIFFER: flowlake has {len(ours)} rows, awk {len(theirs)} groups"
    for n, (mine, other) in enumerate(zip(ours, theirs, strict=False), start=1):
        if mine != other:
            return False, f"ANSWERS DIFFER at row {n}: flowlake {mine} vs awk {other}"
    head = ours[0]
    return True, (
        f"answers match (top {len(ours)} of {len(theirs):,} port/protocol groups, all columns; "
        f"#1 {head['dstport']}/{head['protocol']} {head['rejects']:,} rejects)"
    )


def bench_reject_by_port(ctx: Context) -> list[Measurement]:
    files = [str(f) for f in ctx.files]
    lake = str(ctx.data.resolve())
    query = [ctx.flowlake, "query", "reject-by-port", "--format", "csv", "--lake"]
    commands = [
        Command("zcat|awk", ["bash", "-c", PIPELINE, "bash", AWK_REJECT_BY_PORT, *files]),
        Command("flowlake raw .log.gz", [*query, lake], ctx.env),
    ]
    compacted = compaction.compacted_lake(ctx.data)  # written by bench_compaction, if it ran
    if compacted.is_dir():
        commands.append(Command("flowlake compacted", [*query, str(compacted.resolve())], ctx.env))
        parquet = sorted(str(f.resolve()) for f in compacted.rglob("*.parquet"))
        floor_label = "Python + DuckDB, same aggregate on the same files"
        commands.append(Command(floor_label, floor_command("parquet", parquet), ctx.env))
    awk, *contenders = measure(*commands)
    floor = contenders.pop() if compacted.is_dir() else None
    rows = []
    for timing, (what, target) in zip(
        contenders,
        [("", 1.0), (" (compacted lake)", compaction.COMPACTED_QUERY_TARGET)],
        strict=False,
    ):
        valid, check = compare(timing.output, awk.output)
        row = Measurement(
            f"reject-by-port{what}, {_count(ctx.dataset.records)} records",
            timing,
            Target(target, "x"),
            baseline=awk,
            check=check,
            valid=valid,
        )
        if what and floor:
            with_floor(row, floor, awk.output)
        rows.append(row)
    return rows


def floor_command(kind: str, files: list[str] | None = None) -> list[str]:
    """bench/floor.py: `startup`, or `parquet` reject-by-port over `files`."""
    return [sys.executable, str(Path(__file__).with_name("floor.py")), kind, *(files or [])]


def with_floor(row: Measurement, floor: Timing, expected_csv: str | None) -> None:
    """Add the floor to `row`, once its answer (if it gives one) is checked: a floor that
    skipped work is none."""
    row.floor = floor
    if expected_csv is None:
        return
    valid, check = compare(floor.output, expected_csv)
    if not valid:
        row.valid = False
        row.notes.append(f"floor: {check}")


def bench_list_cold_start(ctx: Context) -> list[Measurement]:
    (timing,) = measure(Command("flowlake list", [ctx.flowlake, "list"], ctx.env), repeat=5)
    return [Measurement("flowlake list cold start", timing, Target(0.5, "s", inclusive=False))]


BENCHMARKS: list[Callable[[Context], list[Measurement]]] = [
    compaction.bench_compaction,  # first: it writes the compacted lake the next one queries
    bench_reject_by_port,
    compaction.bench_window,
    compaction.bench_month_compaction,  # after bench_window, which writes the 30-day lake
    compaction.bench_top_talkers,
]
ONCE: list[Callable[[Context], list[Measurement]]] = [bench_list_cold_start]
"""Benchmarks that do not depend on the data's size: run with the largest data set only."""


def _count(n: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= size and n % (size // 10) == 0:
            return f"{n / size:g}{suffix}"
    return f"{n:,}"


def _awk_version() -> str:
    try:
        out = subprocess.run(["awk", "-W", "version"], capture_output=True, text=True, timeout=5)
        first = (out.stdout or out.stderr).splitlines()
        return first[0] if first and out.returncode == 0 else "awk (version unknown)"
    except (OSError, subprocess.SubprocessError):
        return "awk (version unknown)"


def _others(contention: Contention) -> str:
    cores = contention.cores()
    if cores is None:
        return "CPU used by other processes: unknown"
    verdict = "quiet" if cores < 0.1 else "busy: figures are noisy, run again when idle"
    return f"other processes used {cores:.2f} cores while measuring ({verdict})"


def _sizes(text: str) -> list[int]:
    """`1M,10M` or `200000` -> record counts."""
    units = {"k": 1_000, "m": 1_000_000}
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = units.get(part[-1:], 1)
        number = part[:-1] if scale > 1 else part
        try:
            sizes.append(int(float(number) * scale))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a record count: {part!r}") from None
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=_sizes, default=[1_000_000, 10_000_000, 30_000_000],
        help="record counts to generate and measure, comma separated (default 1M,10M,30M: "
             "~2.5 GB of .log.gz with the 30-day lakes)",
    )  # fmt: skip
    parser.add_argument(
        "--data", type=Path, default=Path("bench-data"), help="data folder (one per size in it)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the data if it holds the same record count"
    )
    args = parser.parse_args(argv)
    sizes = sorted(set(args.records))
    if any(n < 1 for n in sizes):
        parser.error("--records must be positive")

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    contention = Contention()
    rows: list[Measurement] = []
    failed: list[str] = []
    facts = []
    for records in sizes:
        data = args.data / _count(records)
        dataset = generate.ensure(data, records, args.keep, log=log)
        ctx = Context(
            data=data,
            dataset=dataset,
            files=generate.list_files(data),
            flowlake=flowlake_executable(),
            env=clean_env(),
        )
        facts.append(
            (
                f"{_count(records)} records",
                f"{len(ctx.files):,} .log.gz (v2 default format, header line), "
                f"{dataset.gz_bytes / 2**20:,.1f} MiB, in {data.resolve()}",
            )
        )
        for benchmark in BENCHMARKS + (ONCE if records == sizes[-1] else []):
            name = benchmark.__name__.removeprefix("bench_")
            log(f"running {name} on {_count(records)} records ...")
            try:
                rows += benchmark(ctx)
            except CommandFailed as exc:
                log(f"{name} failed: {exc}")
                failed.append(f"{name} ({_count(records)})")
    import duckdb

    facts += [
        ("timing", "wall clock per subprocess, best of 3 (list: best of 5; compaction: best of "
                   "2; peer: 1), runs interleaved, after a warm-up run of each"),
        ("machine", f"{os.cpu_count()} cores, {platform.machine()}, {_others(contention)}"),
        ("versions", f"duckdb {duckdb.__version__}, python {platform.python_version()}, "
                     f"{_awk_version()}"),
    ]  # fmt: skip
    if not compaction.peer_available():
        facts.append(("peer", "flowlogs-reader is not installed: `make bench` installs it"))
    if failed:
        facts.append(("failed", ", ".join(failed) + " (see the messages above)"))
    print(table(rows, facts))
    return 1 if failed or any(not r.valid for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
