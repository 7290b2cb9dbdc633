"""Compaction's fast path (flowlake.compact.arrow_writer): an hour of plain local text files is
read by Arrow instead of DuckDB's text reader. It must write exactly the rows DuckDB's path
writes, sorted the same way, and hand back every hour it cannot read exactly as DuckDB would.
"""

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flowlake import sample_lake as sl
from flowlake.compact import arrow_writer
from flowlake.compact.manifest import MANIFEST_KEY

from .conftest import upload_folder
from .helpers import in_compacted_order, parse_json
from .test_compact import data_files, manifest, partition_of, rows

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)
T0 = int(datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp())


class PathsTaken:
    """Counts what the fast path did with each partition (it still does the work)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.plain = 0
        self.handed_back = 0
        read = arrow_writer.read_partition

        def counting(*args: Any) -> Any:
            result = read(*args)
            if result is None:
                self.handed_back += 1
            else:
                self.plain += 1
            return result

        monkeypatch.setattr(arrow_writer, "read_partition", counting)


def row_multisets(dest: Path) -> dict[tuple[str, str, str], list[tuple[Any, ...]]]:
    """compacted_rows with each partition's rows in a fixed order: rows that tie on the sort
    key may come in any order, so two lakes compare as multisets."""
    return {p: sorted(rows, key=repr) for p, rows in compacted_rows(dest).items()}


def compacted_rows(dest: Path) -> dict[tuple[str, str, str], list[tuple[Any, ...]]]:
    """Every row of every data file (lineage included), by partition, in file order."""
    con = duckdb.connect()
    by_partition: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for file in data_files(dest):
        found = con.execute(
            "SELECT * FROM read_parquet(?, hive_partitioning=false)", [str(dest / file)]
        ).fetchall()
        by_partition.setdefault(partition_of(file), []).extend(found)
    return by_partition


def in_order(dest: Path) -> bool:
    """Whether every file of `dest` is sorted as compaction sorts: by action, then start."""
    con = duckdb.connect()
    return all(
        in_compacted_order(
            con.execute(
                "SELECT action, start FROM read_parquet(?, hive_partitioning=false)",
                [str(dest / file)],
            ).fetchall()
        )
        for file in data_files(dest)
    )


def aws_file(
    root: Path,
    stamp: str,
    lines: list[str],
    *,
    gz: bool = True,
    flow_log: str = "0123456789abcdef0",
) -> Path:
    """A flow-log file where AWS puts one, delivered at `stamp` (YYYYmmddTHHMMZ)."""
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    name = f"123456789012_vpcflowlogs_us-east-1_fl-{flow_log}_{stamp}_{len(lines):08x}.log"
    folder = root / "AWSLogs/123456789012/vpcflowlogs/us-east-1" / day
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join([HEADER, *lines]) + "\n"
    if gz:
        path = folder / f"{name}.gz"
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path = folder / name
        path.write_text(text)
    return path


def record(n: int, *, action: str = "ACCEPT", start: int | None = None) -> str:
    start = T0 + (7919 * n) % 3600 if start is None else start
    return (
        f"2 123456789012 eni-0a{n % 7} 10.0.{n % 3}.{n % 250} 198.51.100.{n % 9} {1024 + n} "
        f"{(443, 22, 3389)[n % 3]} 6 {n % 20 + 1} {(n * 97) % 90000 + 40} {start} {start + 60} "
        f"{action} OK"
    )


def test_fast_path_writes_exactly_what_duckdb_writes(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    src = sl.write_sample_lake(tmp_path / "raw", now=datetime(2024, 5, 1, 12, tzinfo=UTC), hours=3)
    taken = PathsTaken(monkeypatch)
    fast = cli("compact", "--lake", src.root, "--to", tmp_path / "fast")
    assert fast.code == 0, fast.err
    # the sample lake has plain hours and one whose file AWS wrote with a double space
    assert taken.plain > 0 and taken.handed_back > 0

    with monkeypatch.context() as m:
        m.setattr(arrow_writer, "MAX_PARTITION_BYTES", 0)  # every hour by DuckDB's reader
        slow = cli("compact", "--lake", src.root, "--to", tmp_path / "duckdb")
    assert slow.code == 0, slow.err

    assert row_multisets(tmp_path / "fast") == row_multisets(tmp_path / "duckdb")
    assert in_order(tmp_path / "fast")
    assert rows(str(tmp_path / "fast")) == src.records
    sources = lambda dest: {s["path"]: s for b in manifest(dest)["batches"] for s in b["sources"]}  # noqa: E731
    assert sources(tmp_path / "fast") == sources(tmp_path / "duckdb")
    assert cli("compact", "--lake", src.root, "--to", tmp_path / "fast", "--verify").code == 0


def test_an_hour_with_a_line_arrow_cannot_read_goes_to_duckdb(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw"
    clean = [record(n) for n in range(300)]
    nodata = f"2 123456789012 eni-0a1 - - - - - - - {T0 + 100} {T0 + 160} - NODATA"
    aws_file(raw, "20240501T1210Z", [*clean[:150], nodata])
    aws_file(raw, "20240501T1255Z", clean[150:], gz=False)  # plain text is read too
    bad_value = [record(n, action="REJECT") for n in range(40)]
    bad_value[7] = bad_value[7].replace(" 6 ", " six ", 1)  # protocol is a number
    aws_file(raw, "20240501T1310Z", bad_value)
    spaced = [record(n, action="REJECT") for n in range(40, 80)]
    spaced[3] = spaced[3].replace(" ", "  ", 2)  # recovered by DuckDB's path
    aws_file(raw, "20240501T1410Z", spaced)
    taken = PathsTaken(monkeypatch)

    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw, "--to", dest)
    assert result.code == 0, result.err
    assert (taken.plain, taken.handed_back) == (1, 2)
    print(result.out, result.err, manifest(dest))
    assert "1 malformed line(s) skipped" in result.out
    entries = {s["path"].rsplit("_", 2)[1]: s for s in manifest(dest)["batches"][0]["sources"]}
    assert entries["20240501T1210Z"]["rows_read"] == 151
    assert entries["20240501T1255Z"]["rows_read"] == 150
    assert (
        entries["20240501T1310Z"] | {"lines_skipped": 1, "rows_read": 39}
        == entries["20240501T1310Z"]
    )
    assert entries["20240501T1410Z"]["rows_read"] == 40  # the spaced line recovered
    assert rows(str(dest)) == 151 + 150 + 39 + 40
    assert in_order(dest)
    con = duckdb.connect()
    noon = [f for f in data_files(dest) if "/hour=12/" in f]
    assert len(noon) == 1
    nulls = con.execute(
        "SELECT count(*) FROM read_parquet(?) WHERE log_status = 'NODATA' AND srcaddr IS NULL "
        "AND packets IS NULL AND action IS NULL",
        [str(dest / noon[0])],
    ).fetchone()
    assert nulls == (1,)
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


def test_a_truncated_gzip_is_read_by_duckdb_and_named(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw"
    whole = aws_file(raw, "20240501T1210Z", [record(n) for n in range(2000)])
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) * 2 // 3])  # cut mid-stream, as an interrupted copy
    aws_file(raw, "20240501T1215Z", [record(n) for n in range(2000, 2100)])
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw, "--to", dest)
    assert result.code == 0, result.err
    assert "truncated" in result.err and whole.name in result.err
    read = {
        s["path"].rsplit("_", 2)[1]: s["rows_read"] for s in manifest(dest)["batches"][0]["sources"]
    }
    assert read["20240501T1215Z"] == 100
    assert 0 < read["20240501T1210Z"] < 2000  # the lines before the cut
    assert (dest / MANIFEST_KEY).is_file()


@pytest.mark.parametrize("strict", [False, True])
def test_a_gzip_cut_between_two_lines_is_named(tmp_path: Path, cli, strict: bool) -> None:  # type: ignore[no-untyped-def]
    """DuckDB's reader takes the lines of a gzip cut between two lines without a word, and so
    did compaction: it now says so (an error with --strict), and compacts the lines there."""
    import zlib

    raw = tmp_path / "raw"
    whole = aws_file(raw, "20240501T1210Z", [record(n) for n in range(2000)])
    text = gzip.decompress(whole.read_bytes())
    kept = text[: text.index(b"\n", len(text) // 2) + 1]
    stream = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip, flushed at a line's end, no trailer
    whole.write_bytes(stream.compress(kept) + stream.flush(zlib.Z_FULL_FLUSH))
    aws_file(raw, "20240501T1215Z", [record(n) for n in range(2000, 2100)])
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw, "--to", dest, *(["--strict"] if strict else []))
    if strict:
        assert result.code == 1 and "cut short" in result.err and whole.name in result.err
        assert not (dest / MANIFEST_KEY).exists()
        return
    assert result.code == 0, result.err
    warning = next(line for line in result.err.splitlines() if "cut short" in line)
    assert whole.name in warning
    read = {
        s["path"].rsplit("_", 2)[1]: s["rows_read"] for s in manifest(dest)["batches"][0]["sources"]
    }
    assert read == {"20240501T1210Z": kept.count(b"\n") - 1, "20240501T1215Z": 100}
    assert rows(str(dest)) == kept.count(b"\n") - 1 + 100
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


def test_a_cut_stream_of_concatenated_members_is_read_up_to_the_cut() -> None:
    import zlib

    first = gzip.compress(b"a\nb\n")
    stream = zlib.compressobj(6, zlib.DEFLATED, 31)
    second = stream.compress(b"c\nd\n") + stream.flush(zlib.Z_FULL_FLUSH)  # no end, no trailer
    assert arrow_writer._inflate(first + second) == (b"a\nb\nc\nd\n", True)
    assert arrow_writer._inflate(first + gzip.compress(b"c\n")) == (b"a\nb\nc\n", False)


def test_files_of_two_formats_in_one_hour(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw"
    aws_file(raw, "20240501T1210Z", [record(n) for n in range(50)])
    custom = aws_file(raw, "20240501T1220Z", [], flow_log="0fedcba9876543210")  # its own format
    lines = ["version srcaddr dstaddr dstport action start end flow-direction"] + [
        f"5 10.1.0.{n} 10.2.0.{n} 443 ACCEPT {T0 + n} {T0 + n + 60} ingress" for n in range(30)
    ]
    custom.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    taken = PathsTaken(monkeypatch)
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw, "--to", dest)
    assert result.code == 0, result.err
    assert taken.plain == 1
    (file,) = data_files(dest)
    con = duckdb.connect()
    found = con.execute(
        "SELECT count(*), count(flow_direction), count(interface_id), count(srcaddr) "
        "FROM read_parquet(?)",
        [str(dest / file)],
    ).fetchone()
    assert found == (80, 30, 50, 80)
    assert in_order(dest)
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


@pytest.mark.s3
def test_s3_sources_take_the_fast_path(
    tmp_path: Path, cli, s3, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw"
    aws_file(raw, "20240501T1210Z", [record(n) for n in range(200)])
    aws_file(raw, "20240501T1215Z", [record(n, action="REJECT") for n in range(200, 260)])
    bad = [record(n) for n in range(260, 300)]
    bad[5] = bad[5].replace(" OK", " OK extra")  # one field too many: not a record
    aws_file(raw, "20240501T1310Z", bad)
    upload_folder(s3, raw, "fast-path-logs", "vpc/")
    taken = PathsTaken(monkeypatch)
    common = ["--endpoint-url", s3.endpoint]
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", "s3://fast-path-logs/vpc/", "--to", dest, *common)
    assert result.code == 0, result.err
    assert (taken.plain, taken.handed_back) == (1, 1)
    assert "1 malformed line(s) skipped" in result.out
    assert rows(str(dest)) == 200 + 60 + 39
    local = tmp_path / "from-folder"
    assert cli("compact", "--lake", raw, "--to", local).code == 0
    assert row_multisets(dest) == row_multisets(local)
    checked = cli(
        "compact", "--lake", "s3://fast-path-logs/vpc/", "--to", dest, "--verify", *common
    )
    assert checked.code == 0, checked.out + checked.err


def test_an_hour_of_header_only_files_writes_no_file(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw"
    aws_file(raw, "20240501T1210Z", [record(n) for n in range(20)])
    aws_file(raw, "20240501T1310Z", [])  # AWS writes a header and no record for a quiet ENI
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw, "--to", dest)
    assert result.code == 0, result.err
    assert [partition_of(f)[2] for f in data_files(dest)] == ["2024/05/01/12"]
    read = {
        s["path"].rsplit("_", 2)[1]: s["rows_read"] for s in manifest(dest)["batches"][0]["sources"]
    }
    assert read == {"20240501T1210Z": 20, "20240501T1310Z": 0}
    assert cli("compact", "--lake", raw, "--to", dest, "--verify").code == 0


def test_blank_lines_and_crlf_read_as_duckdb_reads_them(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw"
    blank = [record(n) for n in range(30)]
    blank.insert(12, "")  # Arrow: a row of empty values, which a number column refuses
    aws_file(raw, "20240501T1210Z", blank)
    crlf = aws_file(raw, "20240501T1310Z", [record(n) for n in range(30, 70)])
    crlf.write_bytes(gzip.compress(gzip.decompress(crlf.read_bytes()).replace(b"\n", b"\r\n")))
    lone = [record(n) for n in range(70, 90)]
    lone[4] += "\r" + record(4)  # two records to Arrow, which ends a line there too
    broken = aws_file(raw, "20240501T1530Z", lone)  # and DuckDB's parser cannot go on
    strings = aws_file(raw, "20240501T1420Z", [], flow_log="0fedcba9876543210")
    lines = ["srcaddr dstaddr action", "10.1.0.1 10.2.0.1 ACCEPT", "", "10.1.0.2 10.2.0.2 REJECT"]
    strings.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))  # no number column
    taken = PathsTaken(monkeypatch)
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw, "--to", dest)
    assert result.code == 0, result.err
    # CRLF is plain; a lone CR is DuckDB's, and so is a format without a number column
    assert (taken.plain, taken.handed_back) == (1, 2)
    read = {
        s["path"].rsplit("_", 2)[1]: s["rows_read"] for s in manifest(dest)["batches"][0]["sources"]
    }
    assert read == {"20240501T1210Z": 30, "20240501T1310Z": 40, "20240501T1420Z": 2} | {
        "20240501T1530Z": 0  # skipped whole and named, as a corrupt gzip is
    }
    assert f"skipped {broken}: not a readable flow-log file" in result.err
    queried = cli("query", "flows", "--lake", raw, "--format", "json", "-p", "limit=1000")
    assert queried.code == 0 and len(parse_json(queried.out)) == 72
    assert f"skipped {broken}" in queried.err
    with monkeypatch.context() as m:
        m.setattr(arrow_writer, "MAX_PARTITION_BYTES", 0)  # every hour by DuckDB's reader
        assert cli("compact", "--lake", raw, "--to", tmp_path / "duckdb").code == 0
    ours = row_multisets(dest)
    assert ours == row_multisets(tmp_path / "duckdb")
    assert not any(value == "" for rows_ in ours.values() for row in rows_ for value in row)


def test_a_rejects_filter_can_skip_the_row_groups_of_accepted_traffic(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    raw = tmp_path / "raw"
    # more records than one row group holds (DuckDB writes 122,880), one in ten rejected
    lines = [record(n, action="REJECT" if n % 10 == 0 else "ACCEPT") for n in range(150_000)]
    aws_file(raw, "20240501T1210Z", lines)
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", raw, "--to", dest).code == 0
    (file,) = data_files(dest)
    metadata = pq.ParquetFile(dest / file).metadata
    action = metadata.schema.names.index("action")
    ranges = []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(action).statistics
        ranges.append((stats.min, stats.max))
    assert len(ranges) >= 2
    # sorted by start alone, every row group would span ACCEPT..REJECT and none could be skipped
    assert ("ACCEPT", "ACCEPT") in ranges
    assert sum(lo <= "REJECT" <= hi for lo, hi in ranges) == 1


def test_arrow_encodes_an_hour_as_duckdbs_copy_does(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Arrow would put a dictionary on every column; on srcport and bytes (a value a row) that
    read ~15-30% slower in DuckDB (decision 0008). Each column gets a dictionary, and a bloom
    filter, exactly where DuckDB's COPY puts them, in row groups of the same size."""
    import pyarrow.parquet as pq

    raw = tmp_path / "raw"
    aws_file(raw, "20240501T1210Z", [record(n) for n in range(6_000)])
    taken = PathsTaken(monkeypatch)
    assert cli("compact", "--lake", raw, "--to", tmp_path / "fast").code == 0
    assert (taken.plain, taken.handed_back) == (1, 0)
    with monkeypatch.context() as m:
        m.setattr(arrow_writer, "MAX_PARTITION_BYTES", 0)  # every hour by DuckDB's reader
        assert cli("compact", "--lake", raw, "--to", tmp_path / "duckdb").code == 0

    def encodings(dest: Path) -> dict[str, tuple[bool, bool]]:
        (file,) = data_files(dest)
        group = pq.ParquetFile(dest / file).metadata.row_group(0)
        columns = [group.column(i).to_dict() for i in range(group.num_columns)]
        return {
            c["path_in_schema"]: (c["has_dictionary_page"], c["bloom_filter_offset"] is not None)
            for c in columns
        }

    fast, duckdb_written = encodings(tmp_path / "fast"), encodings(tmp_path / "duckdb")
    assert fast == duckdb_written
    assert fast["srcport"] == (False, False) and fast["dstport"] == (True, True)
    assert row_multisets(tmp_path / "fast") == row_multisets(tmp_path / "duckdb")


def test_two_hours_spilling_at_once_keep_apart(tmp_path: Path) -> None:
    """Two hours of more than a row group are sorted by two DuckDB databases at once. Each
    must spill to a folder of its own under the destination: in one folder (an in-memory
    database's default, `.tmp` in the current folder) they overwrote each other's spill files
    and the process died of signal 11. Run as a process, so such a death fails the test."""
    import subprocess
    import sys

    raw = tmp_path / "raw"
    per_hour = 300_000  # more than a row group: DuckDB's COPY sorts and writes it
    for hour, stamp in enumerate(["20240501T1010Z", "20240501T1110Z"]):
        first = hour * per_hour
        lines = [
            record(n, start=T0 + 3600 * hour + n % 3600) for n in range(first, first + per_hour)
        ]
        aws_file(raw, stamp, lines)
    dest, cwd = tmp_path / "compacted", tmp_path / "cwd"
    cwd.mkdir()
    # a sort memory far below an hour's rows, so both databases spill
    program = (
        "import sys; from flowlake.compact import arrow_writer; "
        "arrow_writer.SORT_MEMORY = '64MB'; from flowlake.cli import main; "
        "sys.argv[0] = 'flowlake'; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", program, "compact", "--lake", str(raw), "--to", str(dest)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "FLOWLAKE_CONFIG": os.devnull},
        timeout=300,
    )
    assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
    assert f"{2 * per_hour:,} rows" in run.stdout
    assert not list(cwd.iterdir())  # nothing spilled where the command was run
    assert not (dest / "_flowlake" / "staging").exists()  # nor left in the destination
    assert len(data_files(dest)) == 2


def test_a_batch_of_small_hours_gives_back_pyarrows_allocator(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Small hours are written with glibc's allocator (faster for a month of 5-minute files);
    pyarrow's own pool is back for whatever runs next in the process."""
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    seen = []
    real = arrow_writer.read_partition

    def noting(*args: Any) -> Any:
        seen.append(pa.default_memory_pool().backend_name)
        return real(*args)

    raw = tmp_path / "raw"
    aws_file(raw, "20240501T1210Z", [record(n) for n in range(100)])
    with pytest.MonkeyPatch.context() as m:
        m.setattr(arrow_writer, "read_partition", noting)
        assert cli("compact", "--lake", raw, "--to", tmp_path / "out").code == 0
    assert seen == ["system"]
    assert pa.default_memory_pool().backend_name == before != "system"
