"""The sample lake: AWS-shaped files whose known answers match what is actually in them.

Files are read back with gzip/csv and pyarrow here, independently of flowlake's own reader.
"""

import csv
import gzip
import ipaddress
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flowlake import registry
from flowlake import sample_lake as sl
from flowlake.lake import layout

NOW = datetime(2024, 3, 1, 0, 2, tzinfo=UTC)  # the window crosses a (leap) day boundary
HOURS = 6

INT32 = {"version", "srcport", "dstport", "protocol", "tcp_flags", "traffic_path"}
INT64 = {"packets", "bytes", "start", "end"}
REQUIRED = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
    "end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr "
    "region az-id flow-direction traffic-path pkt-src-aws-service pkt-dst-aws-service"
).split()

DEFAULT_KEY = re.compile(
    r"^AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})/vpcflowlogs/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?:(?P<h>\d{2})/)?(?P<name>[^/]+)$"
)
HIVE_KEY = re.compile(
    r"^AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?aws-account-id=(?P<account>\d{12})/"
    r"aws-service=vpcflowlogs/aws-region=(?P<region>[a-z0-9-]+)/"
    r"year=(?P<y>\d{4})/month=(?P<m>\d{2})/day=(?P<d>\d{2})/(?:hour=(?P<h>\d{2})/)?(?P<name>[^/]+)$"
)


# -- reading the files back ------------------------------------------------------------------


def _value(column: str, text: str) -> int | str | None:
    if text == "-":
        return None
    return int(text) if column in INT32 | INT64 else text


def read_text(path: Path) -> tuple[list[str], list[dict]]:
    """(header names, rows keyed by column name) of one .log.gz file."""
    with gzip.open(path, "rt", newline="") as f:
        lines = list(csv.reader(f, delimiter=" ", skipinitialspace=True))
    header, data = lines[0], lines[1:]
    columns = [registry.column_name(name) for name in header]
    rows = []
    for values in data:
        assert len(values) == len(header), values
        rows.append({c: _value(c, v) for c, v in zip(columns, values, strict=True)})
    return header, rows


def read_lake(lake: sl.SampleLake) -> list[dict]:
    rows: list[dict] = []
    for path in lake.files:
        if lake.file_format == "parquet":
            rows.extend(pq.read_table(path).to_pylist())
        else:
            rows.extend(read_text(path)[1])
    return rows


def stamp(path: Path) -> datetime:
    match = layout.FILE_NAME.search(path.name)
    assert match, path.name
    return datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def in_net(addr: object, cidr: str) -> bool:
    return isinstance(addr, str) and ipaddress.ip_address(addr) in ipaddress.ip_network(cidr)


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@pytest.fixture(scope="module")
def text_lake(tmp_path_factory: pytest.TempPathFactory) -> sl.SampleLake:
    return sl.write_sample_lake(tmp_path_factory.mktemp("text"), now=NOW, hours=HOURS)


@pytest.fixture(scope="module")
def parquet_lake(tmp_path_factory: pytest.TempPathFactory) -> sl.SampleLake:
    folder = tmp_path_factory.mktemp("parquet")
    return sl.write_sample_lake(folder, now=NOW, hours=2, file_format="parquet")


@pytest.fixture(scope="module")
def text_rows(text_lake: sl.SampleLake) -> list[dict]:
    return read_lake(text_lake)


# -- shape of the lake -----------------------------------------------------------------------


def test_window_files_and_size(text_lake: sl.SampleLake) -> None:
    assert text_lake.start == NOW - timedelta(hours=HOURS)
    assert text_lake.end == NOW
    # every (account, region) flow log delivers a file every 5 minutes
    assert len(text_lake.files) == 4 * HOURS * 12
    assert text_lake.files == sorted(text_lake.files)
    assert 2000 < text_lake.records < 5000
    assert text_lake.records == text_lake.expected.total == len(text_lake.expected.records)
    accounts = {acct for acct, _ in text_lake.expected.per_account_region}
    regions = {region for _, region in text_lake.expected.per_account_region}
    assert accounts == {"111122223333", "444455556666"}
    assert regions == {"us-east-1", "eu-west-1"}


@pytest.mark.parametrize("hive", [False, True])
@pytest.mark.parametrize("hourly", [False, True])
@pytest.mark.parametrize("org", [None, "o-abc123"])
def test_keys_follow_the_layout(tmp_path: Path, hive: bool, hourly: bool, org: str | None) -> None:
    style = "hive" if hive else "default"
    lake = sl.write_sample_lake(tmp_path, now=NOW, hours=1, layout=style, hourly=hourly, org=org)
    pattern = HIVE_KEY if hive else DEFAULT_KEY
    on_disk = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert on_disk == lake.files  # nothing else left behind (no temporary files)
    for path in lake.files:
        key = path.relative_to(tmp_path).as_posix()
        match = pattern.match(key)
        assert match, key
        assert match["org"] == org
        assert (match["h"] is not None) == hourly
        name = layout.FILE_NAME.match(match["name"])
        assert name, match["name"]
        assert (name["account"], name["region"]) == (match["account"], match["region"])
        assert name["flow_log_id"] == sl.FLOW_LOG_IDS[(match["account"], match["region"])]
        assert key.endswith(".log.gz")
        delivered = stamp(path)  # partitions follow the delivery time, as AWS's do
        assert (int(match["y"]), int(match["m"]), int(match["d"])) == (
            delivered.year,
            delivered.month,
            delivered.day,
        )
        if hourly:
            assert int(match["h"]) == delivered.hour
        assert layout.date_in_key(key) == (
            delivered.year,
            delivered.month,
            delivered.day,
            delivered.hour if hourly else None,
        )


def test_day_boundary_and_delivery_every_five_minutes(text_lake: sl.SampleLake) -> None:
    keys = [p.relative_to(text_lake.root).as_posix() for p in text_lake.files]
    assert any("/2024/02/29/" in k for k in keys) and any("/2024/03/01/" in k for k in keys)
    per_flow_log: dict[str, list[datetime]] = defaultdict(list)
    for path in text_lake.files:
        per_flow_log[layout.flow_log_id(path.name) or ""].append(stamp(path))
    assert set(per_flow_log) == set(sl.FLOW_LOG_IDS.values())
    for stamps in per_flow_log.values():
        assert stamps == [
            text_lake.start + timedelta(minutes=5 * (i + 1)) for i in range(HOURS * 12)
        ]


def test_headers_and_field_counts(text_lake: sl.SampleLake) -> None:
    header = " ".join(registry.by_column()[c].aws_name for c in sl.DEFAULT_FIELDS)
    assert header.startswith("version srcaddr dstaddr")  # not the default order
    assert set(REQUIRED) <= set(header.split())
    v2_to_v5 = {f.column for f in registry.fields() if 2 <= f.version <= 5}
    assert set(sl.DEFAULT_FIELDS) == v2_to_v5
    for path in text_lake.files:
        with gzip.open(path, "rt") as f:
            lines = f.read().splitlines()
        assert lines[0] == header
        assert len(lines) > 1
        for line in lines[1:]:
            assert len(line.split()) == len(sl.DEFAULT_FIELDS)


def test_double_space_line(text_lake: sl.SampleLake) -> None:
    found = []
    for path in text_lake.files:
        with gzip.open(path, "rt") as f:
            found += [(path, line) for line in f.read().splitlines() if "  " in line]
    assert len(found) == 1
    path, line = found[0]
    assert path.relative_to(text_lake.root).as_posix() == text_lake.expected.double_space_file
    assert len(line.split()) == len(sl.DEFAULT_FIELDS)  # still a normal record


def test_starts_fall_in_the_window_and_in_their_file(text_lake: sl.SampleLake) -> None:
    lo, hi = int(text_lake.start.timestamp()), int(text_lake.end.timestamp())
    for path in text_lake.files:
        _, rows = read_text(path)
        delivered = int(stamp(path).timestamp())
        name = layout.FILE_NAME.match(path.name)
        assert name
        assert {(r["account_id"], r["region"]) for r in rows} == {(name["account"], name["region"])}
        for row in rows:
            assert lo <= row["start"] < hi
            assert delivered - 300 <= row["start"] < delivered
            assert row["start"] <= row["end"] < row["start"] - row["start"] % 60 + 60


# -- known answers equal a recount from the files --------------------------------------------


def test_rows_read_back_equal_the_expected_records(
    text_lake: sl.SampleLake, text_rows: list[dict]
) -> None:
    assert text_rows == text_lake.rows()
    assert text_lake.rows() == [dict(r) for r in text_lake.expected.records]  # all columns


def test_expected_counts_equal_a_recount(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    ok = [r for r in text_rows if r["log_status"] == "OK"]
    rejects = [r for r in ok if r["action"] == "REJECT"]
    assert e.total == len(text_rows) == text_lake.records
    assert e.ok == len(ok)
    assert e.nodata == sum(r["log_status"] == "NODATA" for r in text_rows) > 0
    assert e.skipdata == sum(r["log_status"] == "SKIPDATA" for r in text_rows) > 0
    assert e.total == e.ok + e.nodata + e.skipdata
    assert e.accepted == sum(r["action"] == "ACCEPT" for r in text_rows)
    assert e.rejected == len(rejects)
    assert e.packets == sum(r["packets"] for r in ok)
    assert e.bytes == sum(r["bytes"] for r in ok)
    assert e.per_account_region == dict(Counter((r["account_id"], r["region"]) for r in text_rows))
    assert e.rejects_by_port == dict(Counter((r["dstport"], r["protocol"]) for r in rejects))
    sources: dict[int, set[str]] = defaultdict(set)
    starts: dict[int, list[int]] = defaultdict(list)
    for r in rejects:
        sources[r["dstport"]].add(r["srcaddr"])
        starts[r["dstport"]].append(r["start"])
    assert e.reject_sources_by_port == {p: frozenset(s) for p, s in sources.items()}
    assert e.first_reject == {p: utc(min(s)) for p, s in starts.items()}
    assert e.last_reject == {p: utc(max(s)) for p, s in starts.items()}
    assert sum(e.scenario_counts.values()) == e.total
    assert len(e.scenarios) == e.total


def test_web_http_rejected_after_the_change(
    text_lake: sl.SampleLake, text_rows: list[dict]
) -> None:
    e = text_lake.expected
    assert e.change_at == NOW - timedelta(minutes=sl.CHANGE_AT_MINUTES)
    assert in_net(e.web_addr, "10.0.1.0/24") and e.web_port == 80
    web = [r for r in text_rows if r["interface_id"] == e.web_eni]
    requests = [r for r in web if r["dstport"] == 80]
    responses = [r for r in web if r["srcport"] == 80]
    change = int(e.change_at.timestamp())
    assert all(r["action"] == "ACCEPT" for r in requests if r["start"] < change)
    assert all(r["action"] == "REJECT" for r in requests if r["start"] >= change)
    assert all(r["action"] == "ACCEPT" and r["start"] < change for r in responses)
    assert all(in_net(r["dstaddr"], "0.0.0.0/0") and r["dstport"] >= 1024 for r in responses)
    accepted = [r for r in requests if r["action"] == "ACCEPT"]
    rejected = [r for r in requests if r["action"] == "REJECT"]
    assert len(accepted) == e.web_accepted_before > 0 and len(responses) == len(accepted)
    assert len(rejected) == e.web_rejected_after == e.rejects_by_port[(80, 6)] > 0
    assert e.first_reject[80] == e.web_first_reject >= e.change_at > e.web_last_accept
    assert e.web_first_reject - e.change_at < timedelta(minutes=1)
    assert e.web_clients == {r["srcaddr"] for r in requests} and len(e.web_clients) >= 3


def test_nacl_rejects_return_traffic(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    db = [r for r in text_rows if r["interface_id"] == e.eph_server_eni]
    requests = [r for r in db if r["dstport"] == e.eph_server_port]
    responses = [r for r in db if r["srcport"] == e.eph_server_port]
    assert len(requests) + len(responses) == len(db)
    lo, hi = e.eph_port_range
    assert (lo, hi) == (32768, 60999)
    for r in requests:
        assert (r["action"], r["flow_direction"]) == ("ACCEPT", "ingress")
        assert in_net(r["srcaddr"], e.eph_client_cidr) and r["dstaddr"] == e.eph_server_addr
    for r in responses:
        assert (r["action"], r["flow_direction"]) == ("REJECT", "egress")
        assert in_net(r["dstaddr"], e.eph_client_cidr) and lo <= r["dstport"] <= hi
    assert len(requests) == len(responses) == e.eph_requests == e.eph_responses_rejected > 0
    assert {(r["srcaddr"], r["srcport"]) for r in requests} == {
        (r["dstaddr"], r["dstport"]) for r in responses
    }


def test_ssh_denied_and_allowed(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    assert e.reject_sources_by_port[22] == {e.ssh_attacker}
    attacks = [r for r in text_rows if r["srcaddr"] == e.ssh_attacker]
    assert all(r["action"] == "REJECT" and r["dstport"] == 22 for r in attacks)
    assert len(attacks) == e.ssh_rejects == e.rejects_by_port[(22, 6)] > 0
    admin = [r for r in text_rows if e.ssh_admin in (r["srcaddr"], r["dstaddr"])]
    assert admin and all(r["action"] == "ACCEPT" for r in admin)
    assert len(admin) == e.ssh_admin_accepts
    assert all(r["interface_id"] == e.ssh_bastion_eni for r in attacks + admin)


def test_port_scans(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    probes = [r for r in text_rows if r["srcaddr"] == e.scanner]
    assert {r["dstaddr"] for r in probes} == {e.scan_target}
    assert {r["dstport"] for r in probes} == e.scan_ports and len(e.scan_ports) >= 30
    assert e.scan_last - e.scan_first < timedelta(hours=1)
    rejected = sum(r["action"] == "REJECT" for r in probes)
    assert rejected == e.scan_rejects > len(probes) / 2
    sweep = [r for r in text_rows if r["srcaddr"] == e.hscanner]
    assert {r["dstport"] for r in sweep} == {e.hscan_port} == {23}
    assert {r["dstaddr"] for r in sweep} == e.hscan_hosts and len(e.hscan_hosts) >= 15
    assert len({r["interface_id"] for r in sweep}) == len(e.hscan_hosts)


def test_nat_traffic_stops(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    assert e.nat_stop_at == NOW - timedelta(minutes=sl.NAT_STOP_MINUTES)
    nat = [r for r in text_rows if r["interface_id"] == e.nat_eni]
    assert len(nat) == e.nat_records > 0
    # the NAT gateway's interface: workers' packets to the destinations, with pkt-* addresses
    outbound = [r for r in nat if in_net(r["srcaddr"], e.nat_private_cidr)]
    assert outbound and all(r["dstaddr"] == e.nat_addr for r in outbound)
    assert all(in_net(r["pkt_dstaddr"], e.nat_destination_cidr) for r in outbound)
    # the seed's query: srcaddr in the private prefix, dstaddr in the destination CIDR
    flows = [
        r
        for r in text_rows
        if in_net(r["srcaddr"], e.nat_private_cidr) and in_net(r["dstaddr"], e.nat_destination_cidr)
    ]
    assert len(flows) == e.nat_flows > 0
    assert {r["protocol"] for r in flows} == {6, 17} and {r["dstport"] for r in flows} == {53, 443}
    stop = int(e.nat_stop_at.timestamp())
    starts = [r["start"] for r in nat + flows]
    assert max(starts) == int(e.nat_last_start.timestamp()) < stop
    # 5-minute bins (clock aligned, as bin(5m)): steady before the stop, zero bins after it
    bins = Counter(s - s % 300 for s in (r["start"] for r in flows))
    first_bin = int(text_lake.start.timestamp()) // 300 * 300 + 300
    for b in range(first_bin, int(text_lake.end.timestamp()) - 300, 300):
        if b + 300 <= stop:
            assert bins[b] > 0, utc(b)
        elif b >= stop:
            assert bins[b] == 0, utc(b)
    assert sum(1 for b in range(stop, int(text_lake.end.timestamp()), 300) if not bins[b]) >= 8


def test_nodata_and_skipdata(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    empty = ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action")
    for status, count, enis in (
        ("NODATA", e.nodata, e.nodata_enis),
        ("SKIPDATA", e.skipdata, e.skipdata_enis),
    ):
        rows = [r for r in text_rows if r["log_status"] == status]
        assert len(rows) == count > 0
        assert {r["interface_id"] for r in rows} == enis
        for r in rows:
            assert all(r[c] is None for c in empty)
            assert r["account_id"] and r["start"] < r["end"]
    assert e.nodata == 2 * HOURS * 6 and e.skipdata == sl.SKIPDATA_RECORDS


def test_ipv6(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    v6 = [r for r in text_rows if r["type"] == "IPv6"]
    assert len(v6) == e.ipv6_flows > 0 and sum(r["bytes"] for r in v6) == e.ipv6_bytes
    assert all(":" in r["srcaddr"] and ":" in r["dstaddr"] for r in v6)
    assert all(in_net(r["srcaddr"], sl.IPV6_VPC_CIDR) for r in v6)
    assert any("::" in r["srcaddr"] or "::" in r["dstaddr"] for r in v6)
    assert sum(r["action"] == "REJECT" for r in v6) == e.ipv6_rejects > 0
    assert not any(":" in (r["srcaddr"] or "") for r in text_rows if r["type"] == "IPv4")


def test_icmp_reply_rejected(text_lake: sl.SampleLake, text_rows: list[dict]) -> None:
    e = text_lake.expected
    icmp = [r for r in text_rows if r["protocol"] == 1]
    assert {r["interface_id"] for r in icmp} == {e.icmp_eni}
    assert all(r["srcport"] == 0 and r["dstport"] == 0 for r in icmp)
    echo = [r for r in icmp if r["srcaddr"] == e.icmp_remote_addr]
    reply = [r for r in icmp if r["srcaddr"] == e.icmp_local_addr]
    assert all(r["action"] == "ACCEPT" and r["dstaddr"] == e.icmp_local_addr for r in echo)
    assert all(r["action"] == "REJECT" and r["dstaddr"] == e.icmp_remote_addr for r in reply)
    assert len(echo) == len(reply) == e.icmp_accepts == e.icmp_rejects > 0


def test_background_noise(text_lake: sl.SampleLake) -> None:
    e = text_lake.expected
    noise = [r for r, s in zip(e.records, e.scenarios, strict=True) if s == "noise"]
    assert len(noise) == e.noise_records > 500
    https = [r for r in noise if 443 in (r["srcport"], r["dstport"]) and r["action"] == "ACCEPT"]
    assert any(not in_net(r["srcaddr"], "10.0.0.0/8") for r in https)  # to/from the internet
    assert any(r["pkt_dst_aws_service"] == "S3" for r in https)
    internal = [r for r in noise if r["dstport"] == sl.API_PORT]
    assert internal and all(in_net(r["srcaddr"], "10.0.0.0/8") for r in internal)
    rejects = [r for r in noise if r["action"] == "REJECT"]
    assert len(rejects) == e.noise_rejects == sl.NOISE_REJECTS
    assert {r["dstport"] for r in rejects} <= set(sl.NOISE_REJECT_PORTS)


# -- formats, options, determinism -----------------------------------------------------------


def test_parquet_types_and_content(parquet_lake: sl.SampleLake, tmp_path: Path) -> None:
    assert all(p.name.endswith(".log.parquet") for p in parquet_lake.files)
    assert [layout.FILE_NAME.match(p.name) is not None for p in parquet_lake.files] == [True] * len(
        parquet_lake.files
    )
    schema = pq.ParquetFile(parquet_lake.files[0]).schema
    for i in range(len(schema)):
        column = schema.column(i)
        assert "-" not in column.name
        if column.name in INT32:
            assert column.physical_type == "INT32", column.name
        elif column.name in INT64:
            assert column.physical_type == "INT64", column.name
        else:
            assert column.physical_type == "BYTE_ARRAY", column.name
            assert column.logical_type.type == "STRING", column.name
    assert list(schema.names) == list(sl.DEFAULT_FIELDS)
    rows = read_lake(parquet_lake)
    text = sl.write_sample_lake(tmp_path, now=NOW, hours=2)
    assert rows == parquet_lake.rows() == read_lake(text)  # same records whatever the format
    assert any(r["traffic_path"] is None for r in rows)  # `-` became null
    assert parquet_lake.expected.double_space_file is None


def test_default_v2_format(tmp_path: Path) -> None:
    fields = [registry.column_name(f) for f in registry.DEFAULT_FORMAT]
    lake = sl.write_sample_lake(tmp_path, now=NOW, hours=1, fields=fields)
    assert lake.expected.version == 2
    header, rows = read_text(lake.files[0])
    assert header == registry.DEFAULT_FORMAT
    assert rows[0]["version"] == 2
    assert read_lake(lake) == lake.rows()
    assert all(set(r) == set(fields) for r in lake.rows())
    # another format is another flow log, so both formats can share one lake
    ids = {layout.flow_log_id(p.name) for p in lake.files}
    assert ids == {sl.flow_log_id(a, r, fields) for a, r in sl.FLOW_LOG_IDS}
    assert not ids & set(sl.FLOW_LOG_IDS.values())
    parquet = sl.write_sample_lake(
        tmp_path / "pq", now=NOW, hours=1, fields=fields, file_format="parquet"
    )
    assert pq.ParquetFile(parquet.files[0]).schema.names == fields


def test_deterministic(tmp_path: Path, text_lake: sl.SampleLake) -> None:
    again = sl.write_sample_lake(tmp_path / "again", now=NOW, hours=HOURS)
    keys = [p.relative_to(text_lake.root) for p in text_lake.files]
    assert [p.relative_to(again.root) for p in again.files] == keys
    for a, b in zip(text_lake.files, again.files, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert again.expected == text_lake.expected


def test_seed_changes_records_not_stories(tmp_path: Path) -> None:
    seven = sl.write_sample_lake(tmp_path / "seven", now=NOW, hours=1)
    eight = sl.write_sample_lake(tmp_path / "eight", now=NOW, hours=1, seed=8)
    assert eight.rows() != seven.rows()
    for answer in ("change_at", "nat_stop_at", "scan_ports", "hscan_hosts", "nodata", "skipdata"):
        assert getattr(eight.expected, answer) == getattr(seven.expected, answer)


def test_parquet_is_deterministic(tmp_path: Path) -> None:
    one = sl.write_sample_lake(tmp_path / "one", now=NOW, hours=1, file_format="parquet")
    two = sl.write_sample_lake(tmp_path / "two", now=NOW, hours=1, file_format="parquet")
    assert [p.relative_to(one.root) for p in one.files] == [
        p.relative_to(two.root) for p in two.files
    ]
    for a, b in zip(one.files, two.files, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_default_now_is_recent(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    lake = sl.write_sample_lake(tmp_path, hours=1)
    after = datetime.now(UTC)
    assert before <= lake.end <= after and lake.end.second == 0
    assert lake.start == lake.end - timedelta(hours=1)
    naive = sl.write_sample_lake(tmp_path / "naive", now=datetime(2024, 3, 1, 0, 2, 42), hours=1)
    assert naive.end == NOW


def test_short_lake_keeps_every_story_inside(tmp_path: Path) -> None:
    lake = sl.write_sample_lake(tmp_path, now=NOW, hours=1)
    e = lake.expected
    for moment in (e.change_at, e.nat_stop_at, e.scan_first, e.scan_last, e.web_first_reject):
        assert lake.start < moment < lake.end
    assert e.web_accepted_before > 0 and e.web_rejected_after > 0
    assert len(e.scan_ports) >= 30 and len(e.hscan_hosts) >= 15
    assert e.nat_last_start < e.nat_stop_at
    assert e.ipv6_rejects > 0 and e.icmp_rejects > 0 and e.skipdata > 0 and e.nodata > 0
    assert e.eph_responses_rejected > 0 and e.ssh_rejects > 0 and e.ssh_admin_accepts > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"layout": "flat"},
        {"file_format": "csv"},
        {"fields": ["srcaddr", "no_such_field"]},
        {"fields": ["srcaddr", "srcaddr"]},
        {"hours": 0},
        {"org": "abc123"},
    ],
)
def test_rejects_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        sl.write_sample_lake(tmp_path, now=NOW, **kwargs)
    assert not any(tmp_path.iterdir())
