"""`flowlake compact`: raw lakes into hour-partitioned Parquet, incrementally, losing nothing.

Every compacted lake is checked against the raw lake it came from: same rows (counted), same
answers (reject-by-port), and `--verify` agreeing with the manifest.
"""

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from flowlake import sample_lake as sl
from flowlake.athena.lake_shape import inspect_lake
from flowlake.compact import compact
from flowlake.compact.batch import LINEAGE_COLUMN
from flowlake.compact.manifest import MANIFEST_KEY, batch_of
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.lake.layout import FILE_NAME, account_region
from flowlake.lake.store import LocalStore
from flowlake.registry import DEFAULT_FORMAT
from flowlake.timewindow import TimeWindow

from .conftest import upload_folder
from .helpers import in_compacted_order, parse_json

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HIVE_HOUR = re.compile(
    r"^AWSLogs/aws-account-id=\d{12}/aws-service=vpcflowlogs/aws-region=[a-z0-9-]+/"
    r"year=\d{4}/month=\d{2}/day=\d{2}/hour=\d{2}/\d{8}T\d{6}Z-[0-9a-f]{8}_[01]\.parquet$"
)
Partition = tuple[str, str, str]  # account, region, YYYY/MM/DD/HH


def rows(location: str, window: TimeWindow | None = None) -> int:
    engine = DuckDBEngine(Lake(location, window or TimeWindow()))
    return engine.run("SELECT count(*) AS n FROM flow_logs").rows()[0]["n"]


def partition_of(file: str) -> Partition:
    """The (account, region, hour) a compacted file is filed under, from its key."""
    parts = dict(p.split("=", 1) for p in file.split("/") if "=" in p)
    hour = f"{parts['year']}/{parts['month']}/{parts['day']}/{parts['hour']}"
    return parts["aws-account-id"], parts["aws-region"], hour


def delivery_partition(key: str) -> Partition:
    """The (account, region, hour) AWS delivered a file for: its key and its name's stamp."""
    match = FILE_NAME.search(key.rsplit("/", 1)[-1])
    assert match, key
    account, region = account_region(key) or ("", "")
    return account, region, f"{datetime.strptime(match['stamp'], '%Y%m%dT%H%MZ'):%Y/%m/%d/%H}"


def start_partitions(location: Path) -> set[Partition]:
    """The (account, region, hour its flow started) of every record of a lake."""
    found = DuckDBEngine(Lake(str(location))).run(
        "SELECT DISTINCT account_id, region, strftime(start_time, '%Y/%m/%d/%H') AS hour "
        "FROM flow_logs"
    )
    return {(r["account_id"], r["region"], r["hour"]) for r in found.rows()}


def lineage(dest: Path, file: str) -> dict[int, list[int]]:
    """The starts of a compacted file's rows, by source index (its lineage column)."""
    table = pq.read_table(dest / file, columns=[LINEAGE_COLUMN, "start"])
    by_source: dict[int, list[int]] = {}
    sources, starts = table.column(LINEAGE_COLUMN).to_pylist(), table.column("start").to_pylist()
    for source, start in zip(sources, starts, strict=True):
        by_source.setdefault(source, []).append(start)
    return by_source


def answer(cli, lake: Path | str, *extra: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = cli("query", "reject-by-port", "--lake", lake, "-p", "limit=100", "-f", "json", *extra)
    assert result.code == 0, result.err
    return parse_json(result.out)


def manifest(dest: Path) -> dict[str, Any]:
    return json.loads((dest / MANIFEST_KEY).read_text())


def data_files(dest: Path) -> list[str]:
    return sorted(p.relative_to(dest).as_posix() for p in (dest / "AWSLogs").rglob("*.parquet"))


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> sl.SampleLake:
    return sl.write_sample_lake(tmp_path_factory.mktemp("raw"), now=NOW, hours=3)


def test_text_lake_becomes_hive_hourly_parquet(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw.root, "--to", dest)
    assert result.code == 0, result.err
    assert f"{raw.records:,} rows" in result.out

    files = data_files(dest)
    assert files and all(HIVE_HOUR.match(f) for f in files), files[:3]
    # AWS's files are filed as AWS files them: under the hour they were delivered, and only
    # there (the sample's files are stamped at the end of their 5 minutes, so a file
    # delivered on the hour holds flows of the hour before)
    keys = [f.relative_to(raw.root).as_posix() for f in raw.files]
    assert {partition_of(f) for f in files} == {delivery_partition(k) for k in keys}
    assert start_partitions(raw.root) != {delivery_partition(k) for k in keys}
    doc = manifest(dest)
    (batch,) = doc["batches"]
    sources = [s["path"] for s in batch["sources"]]
    for f in files:
        assert {delivery_partition(sources[n]) for n in lineage(dest, f)} == {partition_of(f)}

    # AWS's Parquet types (the registry's) and the lineage column, sorted by action then start,
    # zstd
    schema = pq.read_schema(dest / files[0])
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["srcport"] == types["dstport"] == types["protocol"] == "int32"
    assert types["packets"] == types["bytes"] == types["start"] == types["end"] == "int64"
    assert types["srcaddr"] == types["action"] == "string"
    assert set(types) == {*raw.fields, LINEAGE_COLUMN} and types[LINEAGE_COLUMN] == "int32"
    mixed = 0  # files with both actions: the clustering had something to sort
    for f in files:
        table = pq.read_table(dest / f)
        actions, starts = table.column("action").to_pylist(), table.column("start").to_pylist()
        assert in_compacted_order(list(zip(actions, starts, strict=True))), f
        mixed += {"ACCEPT", "REJECT"} <= set(actions)
        assert pq.ParquetFile(dest / f).metadata.row_group(0).column(0).compression == "ZSTD"
    assert mixed

    # read transparently: same rows, same answers as the raw lake, in a window too
    assert rows(str(dest)) == raw.records
    assert answer(cli, dest) == answer(cli, raw.root)
    since, until = NOW - timedelta(hours=2, minutes=7), NOW - timedelta(minutes=58)
    window = TimeWindow(since, until)
    in_window = sum(
        since.timestamp() <= int(r["start"]) < until.timestamp() for r in raw.expected.records
    )  # type: ignore[arg-type]
    assert rows(str(dest), window) == rows(str(raw.root), window) == in_window
    bounds = ["--since", f"{since:%Y-%m-%dT%H:%M:%SZ}", "--until", f"{until:%Y-%m-%dT%H:%M:%SZ}"]
    assert answer(cli, dest, *bounds) == answer(cli, raw.root, *bounds) != answer(cli, dest)

    assert len(batch["sources"]) == len(raw.files)
    assert sum(s["rows_read"] for s in batch["sources"]) == raw.records
    assert batch["rows_written"] == raw.records
    assert sorted(batch["files"]) == files
    assert all(s["tag"] and s["size"] > 0 for s in batch["sources"])

    checked = cli("compact", "--lake", raw.root, "--to", dest, "--verify")
    assert checked.code == 0, checked.out + checked.err
    assert "OK" in checked.out


def test_parquet_hive_source(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(
        tmp_path / "raw", now=NOW, hours=2, layout="hive", hourly=True, file_format="parquet"
    )
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", src.root, "--to", dest)
    assert result.code == 0, result.err
    assert rows(str(dest)) == src.records
    assert answer(cli, dest) == answer(cli, src.root)
    assert all(HIVE_HOUR.match(f) for f in data_files(dest))


def copy_as_captures(files: list[Path], folder: Path) -> list[Path]:
    """The files under names that say nothing of their delivery (a folder of captures)."""
    folder.mkdir(parents=True)
    copies = [folder / f"capture-{n}.log.gz" for n in range(len(files))]
    for original, copy in zip(files, copies, strict=True):
        shutil.copyfile(original, copy)
    return copies


def on_the_hour(raw: sl.SampleLake) -> list[Path]:
    """Files delivered on the hour: they hold flows of the hour before."""
    return [f for f in raw.files if re.search(r"T\d\d00Z_", f.name)]


def test_files_without_a_delivery_stamp_are_filed_by_start_hour(
    raw: sl.SampleLake, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    captures = tmp_path / "captures"
    originals = on_the_hour(raw)[:6]
    copy_as_captures(originals, captures)
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", captures, "--to", dest)
    assert result.code == 0, result.err

    files = data_files(dest)
    assert files and all(HIVE_HOUR.match(f) for f in files), files[:3]
    # the key says nothing: each record under its account, region and start hour
    expected = start_partitions(captures)
    assert {partition_of(f) for f in files} == expected
    delivered = {delivery_partition(f.relative_to(raw.root).as_posix()) for f in originals}
    assert expected != delivered  # filed by delivery, these files would land elsewhere
    for f in files:
        _, _, hour = partition_of(f)
        starts = [s for starts in lineage(dest, f).values() for s in starts]
        assert {f"{datetime.fromtimestamp(s, UTC):%Y/%m/%d/%H}" for s in starts} == {hour}
    assert rows(str(dest)) == rows(str(captures))
    assert answer(cli, dest) == answer(cli, captures)
    assert cli("compact", "--lake", captures, "--to", dest, "--verify").code == 0


def test_one_batch_of_delivered_and_undated_files(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    mixed = tmp_path / "mixed"
    shutil.copytree(raw.root, mixed)
    copy_as_captures(on_the_hour(raw), mixed / "captures")
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", mixed, "--to", dest)
    assert result.code == 0, result.err

    (batch,) = manifest(dest)["batches"]
    sources = [s["path"] for s in batch["sources"]]
    assert len(sources) == len(raw.files) + len(on_the_hour(raw))
    files = data_files(dest)
    for f in files:
        account, region, hour = partition_of(f)
        for source, starts in lineage(dest, f).items():
            if FILE_NAME.search(sources[source]):  # delivered: the whole file, where AWS put it
                assert delivery_partition(sources[source]) == partition_of(f), f
            else:  # undated: its records by the hour they started
                assert {f"{datetime.fromtimestamp(s, UTC):%Y/%m/%d/%H}" for s in starts} == {hour}
    # both kinds in one hour: one file each, neither overwrites the other
    folders = [f.rsplit("/", 1)[0] for f in files]
    assert any(folders.count(folder) == 2 for folder in folders)
    assert (
        rows(str(dest))
        == rows(str(mixed))
        == 2 * rows(str(mixed / "captures")) + (raw.records - rows(str(mixed / "captures")))
    )
    assert answer(cli, dest) == answer(cli, mixed)
    assert cli("compact", "--lake", mixed, "--to", dest, "--verify").code == 0


def rewrite(file: Path, select: str) -> None:
    """Replace a Parquet file by `select` over it (FROM data), as compaction writes it."""
    temporary = file.with_suffix(".tmp")
    duckdb.execute(
        f"COPY (SELECT {select} FROM read_parquet('{file}', hive_partitioning=false) AS data) "
        f"TO '{temporary}' (FORMAT parquet, COMPRESSION zstd)"
    )
    temporary.replace(file)


def test_verify_counts_each_source_by_lineage(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", raw.root, "--to", dest).code == 0
    (batch,) = manifest(dest)["batches"]
    victim = next(f for f in data_files(dest) if len(lineage(dest, f)) >= 2)
    moved, kept = sorted(lineage(dest, victim))[:2]
    # the rows of one source said to be another's: same total, so footers cannot tell
    rewrite(
        dest / victim,
        f"* REPLACE (CASE WHEN {LINEAGE_COLUMN} = {moved} THEN {kept} "
        f"ELSE {LINEAGE_COLUMN} END AS {LINEAGE_COLUMN})",
    )
    result = cli("compact", "--lake", raw.root, "--to", dest, "--verify")
    assert result.code == 1
    wrong = [line for line in result.out.splitlines() if line.startswith("DIFFERENT")]
    paths = [batch["sources"][n]["path"] for n in (moved, kept)]
    assert len(wrong) == 2 and all(p in " ".join(wrong) for p in paths), result.out
    assert f"{paths[0]}: 0 rows in the files of batch {batch['id']}" in result.out
    assert "rows in its files, the manifest says" not in result.out

    # files written before the lineage column existed: nothing to count by, still verified
    for f in data_files(dest):
        rewrite(dest / f, f"* EXCLUDE ({LINEAGE_COLUMN})")
    checked = cli("compact", "--lake", raw.root, "--to", dest, "--verify")
    assert checked.code == 0, checked.out
    assert rows(str(dest)) == raw.records


def test_lineage_column_is_no_flow_log_field(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", raw.root, "--to", dest).code == 0
    assert LINEAGE_COLUMN in pq.read_schema(dest / data_files(dest)[0]).names

    def flow_logs_columns(lake: Path) -> list[str]:
        exported = tmp_path / f"{lake.name}.duckdb"
        result = cli("export-duckdb", exported, "--lake", lake)
        assert result.code == 0, result.err
        with duckdb.connect(str(exported), read_only=True) as con:
            return [row[0] for row in con.execute("DESCRIBE flow_logs").fetchall()]

    # SELECT * FROM flow_logs: the raw lake's columns (in AWS's order), nothing more
    columns = flow_logs_columns(dest)
    assert LINEAGE_COLUMN not in columns and sorted(columns) == sorted(flow_logs_columns(raw.root))
    shown = cli("insights", "limit 1", "--lake", dest, "--show-sql")
    assert shown.code == 0 and "log_status" in shown.out and LINEAGE_COLUMN not in shown.out
    # nor is it a column of the Athena table over the lake
    shape = inspect_lake(LocalStore(dest))
    assert shape.file_format and shape.file_format.kind == "parquet"
    athena = [c for c, _ in shape.file_format.columns]
    assert "log_status" in athena and LINEAGE_COLUMN not in athena


def test_rerun_does_nothing_and_new_files_only_are_added(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(tmp_path / "raw", now=NOW, hours=2)
    # the last 40 deliveries arrive later
    later = src.files[-40:]
    held = tmp_path / "held"
    for path in later:
        target = held / path.relative_to(src.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", src.root, "--to", dest).code == 0
    first = data_files(dest)

    again = cli("compact", "--lake", src.root, "--to", dest)
    assert again.code == 0, again.err
    assert not again.out.startswith("compacted")
    assert f"{len(src.files) - 40} source file(s) up to date" in again.out
    assert data_files(dest) == first and len(manifest(dest)["batches"]) == 1

    for path in later:
        (held / path.relative_to(src.root)).rename(path)
    more = cli("compact", "--lake", src.root, "--to", dest)
    assert more.code == 0, more.err
    assert "compacted 40 source file(s)" in more.out
    # the new batch shares hours with the first: the two are merged (test_compact_merge.py)
    (batch,) = manifest(dest)["batches"]
    assert len(batch["sources"]) == len(src.files) and "merged 2 batch(es)" in more.out
    assert rows(str(dest)) == src.records
    assert answer(cli, dest) == answer(cli, src.root)


def test_small_batches_and_batch_bytes_option(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw.root, "--to", dest, "--batch-bytes", "8K")
    assert result.code == 0, result.err
    batches = manifest(dest)["batches"]
    assert len(batches) > 3
    assert sum(len(b["sources"]) for b in batches) == len(raw.files)
    assert rows(str(dest)) == raw.records
    assert answer(cli, dest) == answer(cli, raw.root)

    bad = cli("compact", "--lake", raw.root, "--to", dest, "--batch-bytes", "lots")
    assert bad.code == 2 and bad.err.count("\n") == 1 and "invalid size" in bad.err


def test_changed_source_rewrites_its_batch_without_doubling(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(tmp_path / "raw", now=NOW, hours=2)
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", src.root, "--to", dest, "--batch-bytes", "16K").code == 0
    before = manifest(dest)["batches"]
    # a file re-delivered with one record less (a re-upload, a partial copy completed ...)
    changed = src.files[len(src.files) // 2]
    lines = gzip.decompress(changed.read_bytes()).decode().splitlines()
    changed.write_bytes(gzip.compress(("\n".join(lines[:-1]) + "\n").encode()))
    key = changed.relative_to(src.root).as_posix()
    old = next(b for b in before if any(s["path"] == key for s in b["sources"]))

    result = cli("compact", "--lake", src.root, "--to", dest, "--batch-bytes", "16K")
    assert result.code == 0, result.err
    assert "1 batch(es) rewritten" in result.out
    after = manifest(dest)["batches"]
    assert old["id"] not in {b["id"] for b in after}
    assert not any(batch_of(f) == old["id"] for f in data_files(dest))  # its files are gone
    new = after[-1]
    assert sorted(s["path"] for s in new["sources"]) == sorted(s["path"] for s in old["sources"])
    assert rows(str(dest)) == src.records - 1 == rows(str(src.root))
    assert answer(cli, dest) == answer(cli, src.root)
    assert cli("compact", "--lake", src.root, "--to", dest, "--verify").code == 0


def test_malformed_lines_and_unreadable_files_are_counted(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(tmp_path / "raw", now=NOW, hours=1)
    bad = src.files[3]
    text = gzip.decompress(bad.read_bytes()).decode()
    bad.write_bytes(gzip.compress((text + "this is not a flow log record\n").encode()))
    dest = tmp_path / "compacted"

    strict = cli("compact", "--lake", src.root, "--to", dest, "--strict")
    assert strict.code == 1 and "not a valid flow-log record" in strict.err
    assert strict.err.count("error:") == 1 and not data_files(dest)

    corrupt = src.files[5]
    lost = gzip.decompress(corrupt.read_bytes()).decode().count("\n") - 1  # records it held
    corrupt.write_bytes(corrupt.read_bytes() + b"trailing junk")  # not gzip to the end
    result = cli("compact", "--lake", src.root, "--to", dest)
    assert result.code == 0, result.err
    assert "1 malformed line(s) skipped" in result.out
    assert "warning: skipped 1 malformed" in result.err and f"skipped {corrupt}" in result.err
    entries = {s["path"]: s for s in manifest(dest)["batches"][0]["sources"]}
    entry = entries[bad.relative_to(src.root).as_posix()]
    assert entry["lines_skipped"] == 1
    assert entry["rows_read"] == entry["rows_written"] == text.count("\n") - 1  # minus header
    broken = entries[corrupt.relative_to(src.root).as_posix()]
    assert broken["error"] and broken["rows_read"] == 0
    # the line AWS wrote with a double space is recovered, not skipped
    assert src.expected.double_space_file
    assert entries[src.expected.double_space_file]["lines_skipped"] == 0
    assert rows(str(dest)) == src.records - lost
    assert cli("compact", "--lake", src.root, "--to", dest, "--verify").code == 0


def test_killed_run_then_rerun_gives_the_rows_of_one_clean_run(
    raw: sl.SampleLake, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "killed"
    env = {**os.environ, "FLOWLAKE_COMPACT_PAUSE_AT": "batch 2", "FLOWLAKE_CONFIG": os.devnull}
    argv = [sys.executable, "-m", "flowlake", "compact", "--lake", str(raw.root), "--to", str(dest)]
    proc = subprocess.Popen(
        [*argv, "--batch-bytes", "48K"], stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stderr
    deadline = time.monotonic() + 120
    seen = []
    for line in proc.stderr:  # batch 1 committed, batch 2's files in place, not committed
        seen.append(line)
        if "paused at batch 2" in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert any("paused at batch 2" in line for line in seen), "".join(seen)

    (committed,) = manifest(dest)["batches"]
    left = [f for f in data_files(dest) if batch_of(f) != committed["id"]]
    assert left, "the killed batch's files were in place"
    assert cli("compact", "--lake", raw.root, "--to", dest, "--verify").code == 1  # visible

    rerun = cli("compact", "--lake", raw.root, "--to", dest, "--batch-bytes", "48K")
    assert rerun.code == 0, rerun.err
    assert f"removed {len(left)} uncommitted file(s)" in rerun.err
    assert not set(left) & set(data_files(dest))

    clean = tmp_path / "clean"
    assert cli("compact", "--lake", raw.root, "--to", clean).code == 0
    assert rows(str(dest)) == rows(str(clean)) == raw.records
    assert answer(cli, dest) == answer(cli, clean) == answer(cli, raw.root)
    ours = DuckDBEngine(Lake(str(dest))).run(
        "SELECT * EXCLUDE (start_time, end_time) FROM flow_logs ORDER BY ALL"
    )
    theirs = DuckDBEngine(Lake(str(clean))).run(
        "SELECT * EXCLUDE (start_time, end_time) FROM flow_logs ORDER BY ALL"
    )
    assert ours.table.equals(theirs.table)
    paths = [s["path"] for b in manifest(dest)["batches"] for s in b["sources"]]
    assert sorted(paths) == sorted(f.relative_to(raw.root).as_posix() for f in raw.files)
    assert cli("compact", "--lake", raw.root, "--to", dest, "--verify").code == 0


def test_verify_finds_a_deleted_file(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", raw.root, "--to", dest).code == 0
    assert not (dest / "_flowlake" / "pending").exists() or not any(
        (dest / "_flowlake" / "pending").iterdir()
    )
    assert not (dest / "_flowlake" / "staging").exists()
    victim = data_files(dest)[2]
    (dest / victim).unlink()
    # a file named like compaction's but from no batch of this destination: never deleted
    stray = Path(data_files(dest)[0]).with_name("20200101T000000Z-0123abcd_0.parquet")
    (dest / stray).write_bytes((dest / data_files(dest)[0]).read_bytes())
    assert cli("compact", "--lake", raw.root, "--to", dest).code == 0
    assert (dest / stray).exists()
    result = cli("compact", "--lake", raw.root, "--to", dest, "--verify")
    assert result.code == 1
    assert f"{victim} is missing" in result.out
    assert f"{stray.as_posix()}: not written by a committed batch" in result.out
    assert "rows in its files, the manifest says" in result.out
    assert result.err.strip().endswith("difference(s)") and result.err.count("error:") == 1


def test_window_pruning_on_the_compacted_lake(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(tmp_path / "raw", hours=4)  # ending now: --since 1h is recent
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", src.root, "--to", dest).code == 0
    # partitions well before the window: not Parquet any more, so opening one would show
    cutoff = datetime.now(UTC) - timedelta(hours=3)
    spoiled = 0
    for f in data_files(dest):
        parts = dict(p.split("=", 1) for p in f.split("/") if "=" in p)
        hour = datetime(*(int(parts[k]) for k in ("year", "month", "day", "hour")), tzinfo=UTC)  # type: ignore[misc]
        if hour < cutoff:
            (dest / f).write_text("never opened\n")
            spoiled += 1
    assert spoiled
    result = cli("query", "reject-by-port", "--lake", dest, "--since", "1h", "-f", "json")
    assert result.code == 0 and result.err == "", result.err  # no spoiled file was opened
    assert parse_json(result.out)
    since = f"{datetime.now(UTC) - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"  # one instant for both
    assert answer(cli, dest, "--since", since) == answer(cli, src.root, "--since", since)


def test_lakes_must_not_overlap(raw: sl.SampleLake, cli) -> None:  # type: ignore[no-untyped-def]
    for to in (raw.root, raw.root / "compacted", raw.root.parent):
        result = cli("compact", "--lake", raw.root, "--to", to)
        assert result.code == 2 and "overlap" in result.err and result.err.count("\n") == 1
    missing = cli("compact", "--lake", raw.root)
    assert missing.code == 2 and "--to" in missing.err


@pytest.mark.s3
def test_s3_destination(raw: sl.SampleLake, cli, s3) -> None:  # type: ignore[no-untyped-def]
    # one flow log's files (12 an hour) keep moto's round trips few
    one = "AWSLogs/111122223333/vpcflowlogs/us-east-1/"
    upload_folder(s3, raw.root / one, "raw-logs", f"flow/{one}")
    s3.client("s3").create_bucket(Bucket="compacted")
    common = ["--endpoint-url", s3.endpoint]
    src, dest = "s3://raw-logs/flow/", "s3://compacted/vpc/"
    result = cli("compact", "--lake", src, "--to", dest, *common)
    assert result.code == 0, result.err
    client = s3.client("s3")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="compacted")["Contents"]]
    assert "vpc/_flowlake/manifest.json" in keys and "vpc/_flowlake/lock" not in keys
    data = [k.removeprefix("vpc/") for k in keys if k.endswith(".parquet")]
    assert data and all(HIVE_HOUR.match(k) for k in data)
    body = client.get_object(Bucket="compacted", Key="vpc/_flowlake/manifest.json")["Body"]
    (batch,) = json.loads(body.read())["batches"]
    assert all(s["tag"] and not s["tag"].startswith('"') for s in batch["sources"])  # ETags
    assert answer(cli, dest, *common) == answer(cli, raw.root / one)

    s3.requests.clear()
    again = cli("compact", "--lake", src, "--to", dest, *common)
    assert again.code == 0 and not again.out.startswith("compacted"), again.err
    # nothing was left pending: the rerun does not list the compacted lake's data files
    data_listings = [r for r in s3.requests if "/compacted?" in r and "prefix=vpc/AWSLogs" in r]
    assert not data_listings and any("/compacted" in r for r in s3.requests), s3.requests
    checked = cli("compact", "--lake", src, "--to", dest, "--verify", *common)
    assert checked.code == 0, checked.out + checked.err


def test_account_region_from_keys() -> None:
    assert account_region("AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/x.log.gz") == (
        "111122223333",
        "us-east-1",
    )
    assert account_region(
        "p/AWSLogs/o-abc123/111122223333/vpcflowlogs/eu-west-1/2024/05/01/10/x.log.gz"
    ) == ("111122223333", "eu-west-1")
    hive = "AWSLogs/aws-account-id=444455556666/aws-service=vpcflowlogs/aws-region=eu-west-1/"
    assert account_region(hive + "year=2024/month=05/day=01/x.log.parquet") == (
        "444455556666",
        "eu-west-1",
    )
    name = "111122223333_vpcflowlogs_us-east-1_fl-0abc_20240501T0000Z_0a1b.log.gz"
    assert account_region(f"flat/{name}") == ("111122223333", "us-east-1")
    assert account_region("captures/capture.log") is None


def test_library_reports_what_it_did(raw: sl.SampleLake, tmp_path: Path) -> None:
    done = compact(Lake(str(raw.root)), str(tmp_path / "c"))
    assert done.rows == raw.records and done.sources == len(raw.files) and not done.garbage
    again = compact(Lake(str(raw.root)), str(tmp_path / "c"))
    assert not again.batches and again.up_to_date == len(raw.files)


def test_a_bad_value_in_a_field_no_query_reads(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A line with the right number of fields but a word in a number field (srcport): DuckDB
    parses only the columns a statement reads, so such a line is malformed to compaction (it
    reads every field) and must be to --verify's recount and to --strict queries too."""
    src = sl.write_sample_lake(tmp_path / "raw", now=NOW, hours=1)
    bad = src.files[2]
    header, first, *rest = gzip.decompress(bad.read_bytes()).decode().splitlines()
    fields = first.split()
    fields[header.split().index("srcport")] = "notaport"
    bad.write_bytes(gzip.compress("\n".join([header, first, " ".join(fields), *rest, ""]).encode()))
    dest = tmp_path / "compacted"

    assert cli("compact", "--lake", src.root, "--to", dest).code == 0
    entries = {s["path"]: s for s in manifest(dest)["batches"][0]["sources"]}
    assert entries[bad.relative_to(src.root).as_posix()]["lines_skipped"] == 1
    checked = cli("compact", "--lake", src.root, "--to", dest, "--verify")
    assert checked.code == 0, checked.out + checked.err

    strict = cli("query", "reject-by-port", "--lake", src.root, "--strict")  # reads no srcport
    assert strict.code == 1 and "line 3 is not a valid flow-log record" in strict.err, strict.err


def test_a_destination_holds_one_lake(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Two lakes whose files have the same keys: the second into the first's destination would
    look like changed files and replace the first's rows. It is refused; the same lake named
    by another path (relative, from elsewhere) is still the same lake."""
    one = sl.write_sample_lake(tmp_path / "one", now=NOW, hours=1, seed=1)
    two = sl.write_sample_lake(tmp_path / "two", now=NOW, hours=1, seed=2)
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", one.root, "--to", dest).code == 0
    before = rows(str(dest))

    refused = cli("compact", "--lake", two.root, "--to", dest)
    assert refused.code == 2, refused.err
    (line,) = refused.err.strip().splitlines()
    assert "holds the compacted copy of" in line and str(one.root) in line, line
    assert rows(str(dest)) == before == one.records
    assert cli("compact", "--lake", two.root, "--to", dest, "--verify").code == 2

    monkeypatch.chdir(tmp_path)
    again = cli("compact", "--lake", "one", "--to", "compacted")
    assert again.code == 0, again.err
    assert "up to date" in again.out


def test_a_window_reads_the_same_late_deliveries_raw_and_compacted(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Flows of 09:50 delivered at 09:55, 11:05 (late) and 12:05 (later than the margin): a
    09:00-10:00 window reads the same files on the raw lake and on its compacted copy, which
    files each one under its delivery hour."""
    header = " ".join(DEFAULT_FORMAT)
    folder = tmp_path / "raw/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01"
    folder.mkdir(parents=True)
    for stamp, start in (("0955", 1714557000), ("1105", 1714557060), ("1205", 1714557120)):
        name = f"123456789012_vpcflowlogs_us-east-1_fl-0abc_20240501T{stamp}Z_a{stamp}.log.gz"
        record = (
            f"2 123456789012 eni-1 10.0.0.1 10.0.1.1 1 22 6 1 40 {start} {start + 60} REJECT OK"
        )
        (folder / name).write_bytes(gzip.compress(f"{header}\n{record}\n".encode()))
    assert cli("compact", "--lake", tmp_path / "raw", "--to", tmp_path / "c").code == 0
    window = ("--since", "2024-05-01T09:00Z", "--until", "2024-05-01T10:00Z")
    raw = answer(cli, tmp_path / "raw", *window)
    compacted = answer(cli, tmp_path / "c", *window)
    assert raw == compacted and raw[0]["rejects"] == 2


def test_verify_says_when_a_changed_file_cannot_be_rewritten(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(tmp_path / "raw", now=NOW, hours=1)
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", src.root, "--to", dest).code == 0
    changed, deleted = src.files[1], src.files[2]  # one batch holds both
    changed.write_bytes(changed.read_bytes())  # same bytes, new mtime: changed to compaction
    os.utime(changed, ns=(1, 1))
    result = cli("compact", "--lake", src.root, "--to", dest, "--verify")
    assert "changed since it was compacted (the next run rewrites it)" in result.err
    deleted.unlink()
    result = cli("compact", "--lake", src.root, "--to", dest, "--verify")
    gone = deleted.relative_to(src.root).as_posix()
    assert f"its batch cannot be rewritten while {gone} is gone" in result.err, result.err
    assert "next run rewrites it" not in result.err
