"""Every format and S3 layout AWS delivers, read from a folder and from S3 (moto's server),
answers reject-by-port exactly as the generator's known answers say."""

from pathlib import Path

import pytest

from flowlake.sample_lake import write_sample_lake

from .conftest import upload_folder
from .helpers import expected_reject_by_port, parse_json, without

LAYOUTS = [
    pytest.param({"layout": "default"}, id="default-text"),
    pytest.param({"layout": "default", "hourly": True}, id="default-hourly"),
    pytest.param({"layout": "hive"}, id="hive"),
    pytest.param(
        {"layout": "hive", "hourly": True, "file_format": "parquet"}, id="hive-hourly-parquet"
    ),
    pytest.param({"layout": "default", "org": "o-a1b2c3d4e5"}, id="org-prefix"),
    pytest.param({"layout": "default", "file_format": "parquet"}, id="default-parquet"),
]


@pytest.mark.parametrize("options", LAYOUTS)
def test_local_folder(tmp_path: Path, cli, options: dict) -> None:  # type: ignore[no-untyped-def]
    sample = write_sample_lake(tmp_path / "lake", **options)
    result = cli("query", "reject-by-port", "--lake", sample.root, "--format", "json")
    assert result.code == 0, result.err
    got = parse_json(result.out)
    assert without(got, "packets", "bytes") == expected_reject_by_port(sample.expected)
    assert result.err == ""


@pytest.mark.parametrize("options", LAYOUTS)
def test_s3_prefix(tmp_path: Path, cli, s3, options: dict) -> None:  # type: ignore[no-untyped-def]
    sample = write_sample_lake(tmp_path / "lake", hours=1, **options)
    upload_folder(s3, sample.root, "flow-logs", prefix="central/")
    result = cli(
        "query", "reject-by-port", "--lake", "s3://flow-logs/central",
        "--endpoint-url", s3.endpoint, "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert without(parse_json(result.out), "packets", "bytes") == expected_reject_by_port(
        sample.expected
    )


def test_several_custom_formats_in_one_lake(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Two flow logs with different formats (v5 custom, v2 default) share one lake."""
    now = write_sample_lake(tmp_path / "probe").end
    v5 = write_sample_lake(tmp_path / "lake" / "a", now=now, seed=1)
    v2 = write_sample_lake(
        tmp_path / "lake" / "b", now=now, seed=2,
        fields=["version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
                "protocol", "packets", "bytes", "start", "end", "action", "log_status"],
    )  # fmt: skip
    result = cli(
        "query", "reject-by-port", "--lake", tmp_path / "lake", "-p", "port=22", "-f", "json"
    )
    assert result.code == 0, result.err
    (row,) = parse_json(result.out)
    assert (
        row["rejects"]
        == v5.expected.rejects_by_port[(22, 6)] + v2.expected.rejects_by_port[(22, 6)]
    )
