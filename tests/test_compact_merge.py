"""Compaction run as files arrive: batches sharing hours are merged, one file per hour partition.

Every lake here is compared with one compaction of all its files in a single run: the same rows,
the same answers, and `--verify` agreeing with the manifest.
"""

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from flowlake import sample_lake as sl
from flowlake.compact.manifest import Batch, Manifest, SourceEntry, batch_of
from flowlake.compact.merge import groups
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.lake.layout import FILE_NAME
from flowlake.lake.view import LINEAGE_COLUMN

from .conftest import upload_folder
from .helpers import in_compacted_order, parse_json
from .test_compact import data_files, manifest

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PAUSE_ENV = "FLOWLAKE_COMPACT_PAUSE_AT"


def arrivals(src: sl.SampleLake, steps: int) -> list[list[Path]]:
    """The lake's files in `steps` deliveries, in the order AWS stamped them."""

    def stamp(path: Path) -> str:
        match = FILE_NAME.search(path.name)
        assert match, path
        return str(match["stamp"])

    files = sorted(src.files, key=stamp)
    size = -(-len(files) // steps)
    return [files[i : i + size] for i in range(0, len(files), size)]


def deliver(src: sl.SampleLake, files: list[Path], to: Path) -> None:
    for path in files:
        target = to / path.relative_to(src.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def killed_at(step: str, raw: Path, dest: Path) -> None:
    """`flowlake compact` run in a process of its own, SIGKILLed when it holds at `step`."""
    env = {**os.environ, PAUSE_ENV: step, "FLOWLAKE_CONFIG": os.devnull}
    argv = [sys.executable, "-m", "flowlake", "compact", "--lake", str(raw), "--to", str(dest)]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr
    deadline, seen = time.monotonic() + 120, []
    for line in proc.stderr:
        seen.append(line)
        if line == f"flowlake: paused at {step}\n" or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert f"flowlake: paused at {step}\n" in seen, "".join(seen)


def files_per_partition(dest: Path) -> Counter[int]:
    """How many partitions hold 1, 2, ... files."""
    return Counter(Counter(str(Path(f).parent) for f in data_files(dest)).values())


def table(location: Path | str) -> Any:
    found = DuckDBEngine(Lake(str(location))).run(
        "SELECT * EXCLUDE (start_time, end_time) FROM flow_logs ORDER BY ALL"
    )
    return found.table


def answer(cli, lake: Path | str, *extra: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = cli("query", "reject-by-port", "--lake", lake, "-p", "limit=100", "-f", "json", *extra)
    assert result.code == 0, result.err
    return parse_json(result.out)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> sl.SampleLake:
    return sl.write_sample_lake(tmp_path_factory.mktemp("raw"), now=NOW, hours=3)


@pytest.fixture(scope="module")
def clean(src: sl.SampleLake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lake compacted in one run."""
    from flowlake.compact import compact

    dest = tmp_path_factory.mktemp("clean") / "compacted"
    compact(Lake(str(src.root)), str(dest))
    assert files_per_partition(dest) == Counter({1: len(data_files(dest))})
    return dest


def test_runs_as_files_arrive_leave_one_file_per_hour(
    src: sl.SampleLake, clean: Path, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    merges = 0
    for delivery in arrivals(src, 6):
        deliver(src, delivery, raw)
        run = cli("compact", "--lake", raw, "--to", dest)
        assert run.code == 0, run.err
        assert f"compacted {len(delivery)} source file(s)" in run.out
        merges += "merged 2 batch(es) sharing hour partitions into 1" in run.out
        assert files_per_partition(dest) == Counter({1: len(data_files(dest))}), run.out
    assert merges == 5  # every run after the first shares the hour it ends in with the last

    assert table(dest).equals(table(clean))
    assert answer(cli, dest) == answer(cli, clean) == answer(cli, src.root)
    (batch,) = manifest(dest)["batches"]
    assert sorted(s["path"] for s in batch["sources"]) == sorted(
        f.relative_to(src.root).as_posix() for f in src.files
    )
    for file in data_files(dest):  # sorted as compaction sorts
        rows = pq.read_table(dest / file, columns=["action", "start"]).to_pylist()
        assert in_compacted_order([(r["action"], r["start"]) for r in rows]), file
    checked = cli("compact", "--lake", raw, "--to", dest, "--verify")
    assert checked.code == 0, checked.out + checked.err


def test_a_merge_stays_within_the_batch_size(src: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A full batch is not rewritten for a few new files: the hour they share keeps two."""
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    first, *rest = arrivals(src, 2)
    deliver(src, first, raw)
    size = sum(f.stat().st_size for f in first)
    assert cli("compact", "--lake", raw, "--to", dest, "--batch-bytes", str(size)).code == 0
    deliver(src, rest[0], raw)
    run = cli("compact", "--lake", raw, "--to", dest, "--batch-bytes", str(size))
    assert run.code == 0 and "merged" not in run.out, run.out
    assert len(manifest(dest)["batches"]) > 1 and files_per_partition(dest)[2] > 0
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


@pytest.mark.parametrize("step", ["merge", "merge committed"])
def test_a_merge_killed_midway_is_finished_by_the_rerun(
    step: str, src: sl.SampleLake, clean: Path, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    first, second = arrivals(src, 2)
    deliver(src, first, raw)
    assert cli("compact", "--lake", raw, "--to", dest).code == 0
    deliver(src, second, raw)
    killed_at(step, raw, dest)

    listed = {k for b in manifest(dest)["batches"] for k in b["files"]}
    left = sorted(set(data_files(dest)) - listed)
    assert left, "files no committed batch lists"
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 1  # visible

    rerun = cli("compact", "--lake", raw, "--to", dest)
    assert rerun.code == 0, rerun.err
    assert f"removed {len(left)} uncommitted file(s)" in rerun.err
    assert table(dest).equals(table(clean))
    assert files_per_partition(dest) == Counter({1: len(data_files(dest))})
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


def test_a_changed_source_rewrites_a_merged_batch_whole(
    src: sl.SampleLake, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    """A merged batch keeps files named after another batch: a rewrite of it, killed after its
    commit, must still have them deleted by the rerun."""
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    first, second = arrivals(src, 2)
    for delivery in (first, second):
        deliver(src, delivery, raw)
        assert cli("compact", "--lake", raw, "--to", dest).code == 0
    (merged,) = manifest(dest)["batches"]
    kept = [f for f in merged["files"] if batch_of(f) != merged["id"]]
    assert kept, "the merge kept files of the first batch"

    # a file of the first delivery re-delivered with its last record gone
    changed = raw / first[0].relative_to(src.root)
    lines = gzip.decompress(changed.read_bytes()).decode().splitlines(keepends=True)
    assert len(lines) > 2
    changed.write_bytes(gzip.compress("".join(lines[:-1]).encode()))

    killed_at("batch 1 committed", raw, dest)
    assert set(kept) <= set(data_files(dest))  # killed before the old files were deleted

    rerun = cli("compact", "--lake", raw, "--to", dest)
    assert rerun.code == 0, rerun.err
    (rewritten,) = manifest(dest)["batches"]
    assert {batch_of(f) for f in data_files(dest)} == {rewritten["id"]}
    count = DuckDBEngine(Lake(str(dest))).run("SELECT count(*) AS n FROM flow_logs").rows()
    assert count[0]["n"] == src.records - 1
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


def test_a_changed_file_of_a_merged_batch_under_a_window(
    src: sl.SampleLake, clean: Path, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    """A scheduled run lists only the days of --since, and a merged batch holds files of earlier
    ones: a changed file's batch is rebuilt from the whole lake, not reported as gone."""
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    deliveries = arrivals(src, 3)
    for delivery in deliveries:
        deliver(src, delivery, raw)
        assert cli("compact", "--lake", raw, "--to", dest).code == 0
    assert len(manifest(dest)["batches"]) == 1
    changed = raw / deliveries[-1][-1].relative_to(src.root)
    lines = gzip.decompress(changed.read_bytes()).decode().splitlines(keepends=True)
    changed.write_bytes(gzip.compress("".join(lines[:-1]).encode()))

    since = ["--since", "2024-05-01T11:00:00Z"]  # the first deliveries are before it
    checked = cli("compact", "--lake", raw, "--to", dest, *since, "--verify")
    assert "the next run rewrites it" in checked.err and " is gone" not in checked.err
    run = cli("compact", "--lake", raw, "--to", dest, *since)
    assert run.code == 0, run.err
    assert "1 batch(es) rewritten" in run.out
    count = DuckDBEngine(Lake(str(dest))).run("SELECT count(*) AS n FROM flow_logs").rows()
    assert count[0]["n"] == src.records - 1
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


def test_a_batch_with_a_file_gone_is_not_merged(src: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    first, second = arrivals(src, 2)
    deliver(src, first, raw)
    assert cli("compact", "--lake", raw, "--to", dest).code == 0
    victim = data_files(dest)[-1]
    (dest / victim).unlink()
    deliver(src, second, raw)
    run = cli("compact", "--lake", raw, "--to", dest)
    assert run.code == 0 and "merged" not in run.out, run.err
    warning = next(line for line in run.err.splitlines() if "not merged" in line)
    assert victim in warning and "--verify" in warning and "Traceback" not in run.err
    assert len(manifest(dest)["batches"]) == 2  # the new batch is committed all the same
    checked = cli("compact", "--lake", raw, "--to", dest, "--verify")
    assert checked.code == 1 and f"{victim} is missing" in checked.out


def test_files_without_lineage_are_not_merged(src: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Files written before the lineage column existed cannot have their rows renumbered."""
    raw, dest = tmp_path / "raw", tmp_path / "compacted"
    first, second = arrivals(src, 2)
    deliver(src, first, raw)
    assert cli("compact", "--lake", raw, "--to", dest).code == 0
    for file in data_files(dest):
        old = pq.read_table(dest / file)
        pq.write_table(old.drop_columns([LINEAGE_COLUMN]), dest / file, compression="zstd")
    deliver(src, second, raw)
    run = cli("compact", "--lake", raw, "--to", dest)
    assert run.code == 0 and "merged" not in run.out, run.out + run.err
    assert files_per_partition(dest)[2] > 0
    count = DuckDBEngine(Lake(str(dest))).run("SELECT count(*) AS n FROM flow_logs").rows()
    assert count[0]["n"] == src.records


@pytest.mark.s3
def test_merge_on_s3(src: sl.SampleLake, tmp_path: Path, cli, s3) -> None:  # type: ignore[no-untyped-def]
    # one flow log's files keep moto's round trips few
    one = "AWSLogs/111122223333/vpcflowlogs/us-east-1/"
    first, second = (
        [f for f in part if f.relative_to(src.root).as_posix().startswith(one)]
        for part in arrivals(src, 2)
    )
    common = ["--endpoint-url", s3.endpoint]
    source, dest = "s3://raw-merge/flow/", "s3://compacted-merge/vpc/"
    s3.client("s3").create_bucket(Bucket="compacted-merge")
    for n, delivery in enumerate((first, second)):
        local = tmp_path / f"delivery{n}"
        deliver(src, delivery, local)
        upload_folder(s3, local, "raw-merge", "flow/")
        run = cli("compact", "--lake", source, "--to", dest, *common)
        assert run.code == 0, run.err
    assert "merged 2 batch(es)" in run.out
    listing = s3.client("s3").list_objects_v2(Bucket="compacted-merge", Prefix="vpc/AWSLogs/")
    parquet = [o["Key"] for o in listing["Contents"] if o["Key"].endswith(".parquet")]
    assert set(Counter(k.rsplit("/", 1)[0] for k in parquet).values()) == {1}
    local_copy = tmp_path / "both"
    deliver(src, first + second, local_copy)
    assert answer(cli, dest, *common) == answer(cli, local_copy)
    checked = cli("compact", "--lake", source, "--to", dest, "--verify", *common)
    assert checked.code == 0, checked.out + checked.err


def _batch(id_: str, files: list[str], size: int) -> Batch:
    source = SourceEntry(f"{id_}.log.gz", size, None, 1, 1, 0)
    return Batch(id_, "", "", [source], files, 1)


def test_which_batches_are_merged() -> None:
    hour = "AWSLogs/a/hour={:02d}/x.parquet"
    a = _batch("a", [hour.format(0), hour.format(1)], 10)
    b = _batch("b", [hour.format(1), hour.format(2)], 10)  # shares hour 1 with a
    empty = _batch("e", [], 1)  # a batch whose files were all empty joins any run
    c = _batch("c", [hour.format(2)], 10)  # shares hour 2 with b
    far = _batch("f", [hour.format(9)], 10)  # shares nothing: a new run
    d = _batch("d", [hour.format(9)], 10)
    found = groups(Manifest([a, b, empty, c, far, d]), batch_bytes=100)
    assert [[x.id for x in g] for g in found] == [["a", "b", "e", "c"], ["f", "d"]]
    # the size bound: a and b fill it, c starts a run of its own with nothing to merge
    found = groups(Manifest([a, b, c]), batch_bytes=20)
    assert [[x.id for x in g] for g in found] == [["a", "b"]]
