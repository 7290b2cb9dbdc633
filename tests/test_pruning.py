"""--since/--until prune by the date in the key: files outside the window are never listed
nor opened. Files from old days are made unreadable, so opening one would show."""

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flowlake.lake.layout import Partition, object_key
from flowlake.registry import DEFAULT_FORMAT

from .conftest import upload_folder
from .helpers import parse_json

HEADER = " ".join(DEFAULT_FORMAT)
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def record(start: datetime, port: int) -> str:
    t = int(start.timestamp())
    return f"2 111122223333 eni-1 203.0.113.9 10.0.0.5 40000 {port} 6 1 40 {t} {t + 30} REJECT OK"


def write_lake(root: Path, layout: str, hourly: bool) -> None:
    partition = Partition(layout, "111122223333", "us-east-1")
    # recent deliveries: one REJECT on port 22 every 10 minutes of the last 2 hours
    for minutes in range(5, 120, 10):
        delivered = NOW - timedelta(minutes=minutes)
        path = root / object_key(partition, delivered, "fl-0abc", f"r{minutes}", hourly=hourly)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = f"{HEADER}\n{record(delivered - timedelta(minutes=2), 22)}\n"
        path.write_bytes(gzip.compress(body.encode()))
    # old days: not gzip at all, so reading one would be a loud warning
    for days in (3, 10, 30):
        delivered = NOW - timedelta(days=days)
        path = root / object_key(partition, delivered, "fl-0abc", f"old{days}", hourly=hourly)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("this old file must never be opened\n")


@pytest.mark.parametrize(("layout", "hourly"), [("default", False), ("hive", True)])
def test_local_window_never_opens_old_files(tmp_path: Path, cli, layout: str, hourly: bool) -> None:  # type: ignore[no-untyped-def]
    write_lake(tmp_path, layout, hourly)
    since = NOW - timedelta(hours=1)  # absolute: the test may run minutes after NOW was taken
    result = cli(
        "query", "reject-by-port", "--lake", tmp_path, "--since", since.isoformat(), "-f", "json"
    )
    assert result.code == 0, result.err
    assert result.err == ""  # no file skipped: the old ones were never touched
    (row,) = parse_json(result.out)
    # records start 2 minutes before delivery every 10 minutes: those within the last hour
    starts = [NOW - timedelta(minutes=m + 2) for m in range(5, 120, 10)]
    assert row["rejects"] == sum(1 for s in starts if s >= since)

    # without a window the old files are read, and reported
    result = cli("query", "reject-by-port", "--lake", tmp_path, "-f", "json")
    assert result.code == 0, result.err
    assert result.err.count("warning: skipped") == 3


def test_s3_window_lists_only_the_days_it_needs(tmp_path: Path, cli, s3) -> None:  # type: ignore[no-untyped-def]
    write_lake(tmp_path, "default", False)
    upload_folder(s3, tmp_path, "pruned")
    s3.requests.clear()
    result = cli(
        "query", "reject-by-port", "--lake", "s3://pruned/", "--since", "2h",
        "--endpoint-url", s3.endpoint, "-f", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.err == ""
    touched = "\n".join(s3.requests)
    assert "vpcflowlogs" in touched and "fl-0abc" in touched  # the recent files were read
    for days in (3, 10, 30):
        old = NOW - timedelta(days=days)
        assert f"{old:%Y/%m/%d}" not in touched.replace("%2F", "/"), f"listed or opened day -{days}"
        assert f"old{days}" not in touched


def test_delivery_stamp_is_read_from_aws_file_names_only() -> None:
    from datetime import UTC, datetime

    from flowlake.lake.layout import delivery_stamp

    name = (
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/"
        "123456789012_vpcflowlogs_us-east-1_fl-0a1b_20240501T2355Z_ab12.log.gz"
    )
    assert delivery_stamp(name) == datetime(2024, 5, 1, 23, 55, tzinfo=UTC)
    assert delivery_stamp(name.replace("20240501T2355Z", "20241399T2599Z")) is None
    assert delivery_stamp("capture.log.gz") is None


def test_a_file_name_with_an_impossible_stamp_is_read_not_a_crash(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    name = "111122223333_vpcflowlogs_us-east-1_fl-0abc_20241399T2599Z_ab12.log.gz"
    body = f"{HEADER}\n{record(NOW - timedelta(minutes=5), 22)}\n"
    (tmp_path / name).write_bytes(gzip.compress(body.encode()))
    result = cli("query", "reject-by-port", "--lake", tmp_path, "--since", "1h", "-f", "json")
    assert result.code == 0, result.err
    assert parse_json(result.out)[0]["rejects"] == 1
