"""AWS's published sample records and a real capture parse to the right typed values."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.registry import parse_format

from .conftest import SAMPLES

PUBLIC = (SAMPLES / "public-sample-records.txt").read_text().splitlines()
CAPTURE = SAMPLES / "opensearch-catalog-raw.log"


def block(after: str, count: int) -> list[str]:
    """`count` record lines following the sample file's line that contains `after`."""
    start = next(i for i, line in enumerate(PUBLIC) if after in line) + 1
    return [line for line in PUBLIC[start:] if not line.startswith("##")][:count]


def fmt(after: str) -> str:
    line = next(line for line in PUBLIC if after in line)
    return line.split(":", 1)[1].strip()


def rows(
    folder: Path, sql: str = "SELECT * FROM flow_logs", fields: str | None = None
) -> list[dict]:
    lake = Lake(str(folder), fields=parse_format(fields) if fields else None)
    return DuckDBEngine(lake).run(sql).rows()


def write(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_default_format_records_without_header(tmp_path: Path) -> None:
    lines = block("[accepted SSH / rejected RDP]", 2) + block("[NODATA / SKIPDATA]", 2)
    lines += block("[SG/NACL statefulness", 2) + block("[IPv6 SSH]", 1)
    write(tmp_path, "records.log", lines)
    got = rows(tmp_path, "SELECT * FROM flow_logs ORDER BY start, srcaddr")
    assert len(got) == 7
    ssh = next(
        r for r in got if r["dstport"] == 22 and r["protocol"] == 6 and r["srcport"] == 20641
    )
    assert ssh == {
        **ssh,
        "version": 2,
        "account_id": "123456789010",
        "interface_id": "eni-1235b8ca123456789",
        "srcaddr": "172.31.16.139",
        "dstaddr": "172.31.16.21",
        "packets": 20,
        "bytes": 4249,
        "action": "ACCEPT",
        "log_status": "OK",
    }
    assert ssh["start_time"] == datetime.fromtimestamp(1418530010, UTC)
    nodata = [r for r in got if r["log_status"] in ("NODATA", "SKIPDATA")]
    assert len(nodata) == 2
    for record in nodata:  # '-' becomes NULL in every column that had it
        assert record["srcaddr"] is None and record["dstport"] is None and record["action"] is None
        assert record["packets"] is None and record["start"] == 1431280876
    icmp = [r for r in got if r["protocol"] == 1]
    assert [(r["srcport"], r["dstport"], r["action"]) for r in icmp] == [
        (0, 0, "ACCEPT"),
        (0, 0, "REJECT"),
    ]
    ipv6 = next(r for r in got if ":" in (r["srcaddr"] or ""))
    assert ipv6["dstaddr"] == "2001:db8:1234:a102:3304:8879:34cf:4071" and ipv6["bytes"] == 8855


def test_custom_v3_with_header_and_a_double_space_line(tmp_path: Path) -> None:
    header = fmt("FORMAT (custom v3, TCP flag sequence)")
    records = block("FORMAT (custom v3, TCP flag sequence)", 8)
    assert any("  " in r for r in records), "the sample's double-space line is part of the test"
    import gzip

    (tmp_path / "v3.log.gz").write_bytes(
        gzip.compress(("\n".join([header, *records]) + "\n").encode())
    )
    got = rows(tmp_path, "SELECT * FROM flow_logs ORDER BY start, bytes")
    assert len(got) == 8
    doubled = [r for r in got if r["srcport"] == 5001 and r["dstport"] == 43638]
    assert len(doubled) == 1
    assert (
        doubled[0]["tcp_flags"] == 19 and doubled[0]["bytes"] == 967 and doubled[0]["packets"] == 14
    )
    assert {r["type"] for r in got} == {"IPv4"}
    assert {r["instance_id"] for r in got} == {"i-01234567890123456"}
    assert sorted({r["tcp_flags"] for r in got}) == [1, 2, 3, 18, 19]


def test_custom_v5_record_types(tmp_path: Path) -> None:
    header = fmt("FORMAT (custom v5")
    write(tmp_path, "v5.log", [header, *block("FORMAT (custom v5", 2)])
    got = rows(tmp_path, "SELECT * FROM flow_logs ORDER BY flow_direction")
    egress, ingress = got
    assert ingress["pkt_src_aws_service"] == "S3" and ingress["traffic_path"] is None
    assert egress["traffic_path"] == 8 and egress["flow_direction"] == "egress"
    assert egress["region"] == "ap-southeast-2" and egress["az_id"] == "apse2-az3"
    assert egress["sublocation_type"] is None


def test_headers_in_any_order_union_by_name(tmp_path: Path) -> None:
    """Two flow logs with different custom formats in one lake: columns matched by name."""
    v3_at = next(i for i, line in enumerate(PUBLIC) if line.startswith("account-id bytes dstaddr"))
    v5_at = next(i for i, line in enumerate(PUBLIC) if line.startswith("account-id action az-id"))
    write(tmp_path / "a", "v3.log", PUBLIC[v3_at : v3_at + 2])
    write(tmp_path / "b", "v5.log", PUBLIC[v5_at : v5_at + 3])
    got = rows(tmp_path, "SELECT * FROM flow_logs ORDER BY version, dstport")
    assert [r["version"] for r in got] == [3, 5, 5]
    v3_row = got[0]
    assert v3_row["srcport"] == 443 and v3_row["dstport"] == 47460 and v3_row["bytes"] == 6392
    assert v3_row["action"] is None  # not in that flow log's format
    assert got[1]["flow_direction"] == "egress" and got[1]["traffic_path"] == 7


def test_transit_gateway_and_ecs_and_unknown_fields(tmp_path: Path) -> None:
    tgw_header = next(line for line in PUBLIC if line.startswith("version account-id tgw-id"))
    tgw_record = PUBLIC[PUBLIC.index(tgw_header) + 1]
    write(tmp_path / "tgw", "tgw.log", [tgw_header, tgw_record])
    ecs_header = next(
        line for line in PUBLIC if "ecs-cluster-arn" in line and line.startswith("version")
    )
    ecs_record = PUBLIC[PUBLIC.index(ecs_header) + 1]
    write(tmp_path / "ecs", "ecs.log", [ecs_header + " some-future-field", ecs_record + " 42"])
    got = {r["version"]: r for r in rows(tmp_path)}
    assert got[6]["packets_lost_blackhole"] == 2 and got[6]["tgw_src_az_id"] == "use1-az1"
    assert got[6]["tgw_id"] == "tgw-0abc12345def67890" and got[6]["bytes"] == 1000
    assert (
        got[5]["ecs_cluster_name"] == "my-cluster" and got[5]["ecs_task_id"] == "abcdef1234567890"
    )
    assert got[5]["some_future_field"] == "42"  # an unknown field is kept as text


def test_real_capture_without_header() -> None:
    got = rows(
        CAPTURE,
        "SELECT count(*) AS n, count(*) FILTER (WHERE log_status = 'NODATA') AS nodata, "
        "count(*) FILTER (WHERE action = 'REJECT') AS rejects, "
        "count(DISTINCT interface_id) AS enis, min(start) AS first FROM flow_logs",
    )
    assert got == [
        {"n": 775, "nodata": 404, "rejects": 0, "enis": got[0]["enis"], "first": got[0]["first"]}
    ]
    assert got[0]["enis"] >= 3
    assert got[0]["first"] == min(
        int(line.split()[10]) for line in CAPTURE.read_text().splitlines()
    )


def test_cloudwatch_export_lines_with_a_timestamp_prefix(tmp_path: Path) -> None:
    fields = fmt("FORMAT: export-timestamp")
    line = block("FORMAT: export-timestamp", 1)[0]
    write(tmp_path, "export.txt", [line])
    got = rows(tmp_path, fields=fields.replace("export-timestamp ", ""))
    assert got[0]["export_timestamp"] == "2025-02-25T12:25:04.000Z"
    assert got[0]["interface_id"] == "eni-0416a1c81c87ab9c9" and got[0]["start"] == 1740486335
    assert got[0]["srcaddr"] is None


@pytest.mark.parametrize("bad", ["2 x y", "not a flow log at all"])
def test_wrong_format_is_a_clear_error(tmp_path: Path, cli, bad: str) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, "odd.log", [bad])
    result = cli("query", "reject-by-port", "--lake", tmp_path)
    assert result.code == 1
    assert "odd.log" in result.err and "--fields" in result.err
    assert "Traceback" not in result.err


def test_recovered_lines_count_once_however_many_queries_run(tmp_path: Path) -> None:
    import gzip

    header = fmt("FORMAT (custom v3, TCP flag sequence)")
    records = block("FORMAT (custom v3, TCP flag sequence)", 8)
    body = "\n".join([header, *records, "3 broken line"]) + "\n"
    (tmp_path / "v3.log.gz").write_bytes(gzip.compress(body.encode()))
    engine = DuckDBEngine(Lake(str(tmp_path)))
    for _ in range(3):
        result = engine.run("SELECT count(*) AS n FROM flow_logs")
        assert result.rows() == [{"n": 8}]
        assert len(result.warnings) == 1 and "skipped 1 malformed line(s)" in result.warnings[0]


def test_millisecond_timestamps_become_the_same_instant(tmp_path: Path) -> None:
    line = (
        "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 40 1418530010000 1418530070000 ACCEPT OK"
    )
    write(tmp_path, "ms.log", [line])
    (row,) = rows(tmp_path)
    assert row["start_time"] == datetime.fromtimestamp(1418530010, UTC)
    assert row["end_time"] == datetime.fromtimestamp(1418530070, UTC)
