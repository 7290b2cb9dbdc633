"""Every format and S3 layout AWS delivers, read from a folder and from S3 (moto's server),
answers reject-by-port exactly as the generator's known answers say."""

import gzip
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


def _one_file(sample_root: Path, target: Path) -> Path:
    """Every record of a sample lake in one file named `target` (.log.gz or .log.parquet)."""
    import duckdb

    if target.name.endswith(".parquet"):
        files = sorted(str(p) for p in sample_root.rglob("*.parquet"))
        duckdb.execute(
            f"COPY (SELECT * FROM read_parquet({files!r}, hive_partitioning=false)) "
            f"TO '{target}' (FORMAT parquet)"
        )
        return target
    header, lines = None, []
    for path in sorted(sample_root.rglob("*.log.gz")):
        first, *rest = gzip.decompress(path.read_bytes()).decode().splitlines()
        header = header or first
        lines += rest
    target.write_bytes(gzip.compress("\n".join([header or "", *lines, ""]).encode()))
    return target


@pytest.mark.parametrize("name", ["capture.log.gz", "capture.log.parquet"])
def test_a_lake_that_is_one_local_file(tmp_path: Path, cli, name: str) -> None:  # type: ignore[no-untyped-def]
    """A file downloaded from the bucket is a lake too: read as its name says (gzip text or
    Parquet), not as plain text."""
    fmt = {"file_format": "parquet"} if name.endswith("parquet") else {}
    sample = write_sample_lake(tmp_path / "lake", hours=2, **fmt)
    one = _one_file(sample.root, tmp_path / name)
    result = cli("query", "reject-by-port", "--lake", one, "--format", "json")
    assert result.code == 0, result.err
    got = parse_json(result.out)
    assert without(got, "packets", "bytes") == expected_reject_by_port(sample.expected)


def _rename_columns(path: Path, renames: dict[str, str]) -> None:
    import duckdb

    columns = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
    select = ", ".join(f'"{c}" AS "{renames.get(c, c)}"' for c in columns)
    duckdb.execute(f"COPY (SELECT {select} FROM '{path}') TO '{path}.tmp' (FORMAT parquet)")
    Path(f"{path}.tmp").replace(path)


def test_parquet_columns_named_as_aws_fields(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Parquet written with AWS's field names (`account-id`, `log-status`) reads like AWS's
    own Parquet (`account_id`); one field named both ways is a one-line error."""
    sample = write_sample_lake(tmp_path / "lake", hours=2, file_format="parquet")
    files = sorted(sample.root.rglob("*.parquet"))
    aws_names = {
        "account_id": "account-id",
        "interface_id": "interface-id",
        "log_status": "log-status",
    }
    for path in files:
        _rename_columns(path, aws_names)
    result = cli("query", "reject-by-port", "--lake", sample.root, "--format", "json")
    assert result.code == 0, result.err
    got = parse_json(result.out)
    assert without(got, "packets", "bytes") == expected_reject_by_port(sample.expected)

    _rename_columns(files[0], {v: k for k, v in aws_names.items()})  # one file the AWS way
    mixed = cli("query", "reject-by-port", "--lake", sample.root)
    assert mixed.code == 1, mixed.err
    (line,) = mixed.err.strip().splitlines()
    assert line.startswith("flowlake: error: Parquet files name one field two ways"), line
    assert "'account_id'" in line and "'account-id'" in line, line


def test_files_that_are_no_flow_logs_are_skipped_and_named(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A README, a CSV, flowlake's own Parquet output saved into the folder: each is named
    in a warning (an error with --strict) and the flow logs are read as if it were not there.
    A lake with nothing but such a file is an error."""
    sample = write_sample_lake(tmp_path / "lake", hours=2)
    saved = tmp_path / "flows.parquet"
    out = cli("query", "flows", "--lake", sample.root, "-p", "limit=50", "-f", "parquet",
              "--output", saved)  # fmt: skip
    assert out.code == 0, out.err
    (sample.root / "README.txt").write_text("our flow logs, one folder per account\n")
    (sample.root / "notes").mkdir()
    (sample.root / "notes" / "LICENSE").write_text("Permission is hereby granted\n")
    saved.replace(sample.root / "notes" / "flows.parquet")

    result = cli("query", "reject-by-port", "--lake", sample.root, "-f", "json")
    assert result.code == 0, result.err
    got = parse_json(result.out)
    assert without(got, "packets", "bytes") == expected_reject_by_port(sample.expected)
    warnings = result.err.strip().splitlines()
    assert len(warnings) == 3, result.err
    assert any("README.txt" in w for w in warnings) and any("LICENSE" in w for w in warnings)
    assert any("flows.parquet: not a flow-log Parquet file (has column" in w for w in warnings)

    strict = cli("query", "reject-by-port", "--lake", sample.root, "--strict")
    assert strict.code == 1 and strict.out == ""
    assert len(strict.err.strip().splitlines()) == 1, strict.err

    for alone in (sample.root / "README.txt", sample.root / "notes" / "flows.parquet"):
        only = cli("query", "reject-by-port", "--lake", alone)
        assert only.code == 1, only.err
        (line,) = only.err.strip().splitlines()
        assert line.startswith("flowlake: error: ") and alone.name in line, line
