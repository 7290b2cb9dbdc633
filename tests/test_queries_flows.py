"""The flow-log diagnostics, end to end through the CLI on the sample lake: top talkers, traffic
to and from an address, time series with zero bins, NAT gateway health, reject spikes, SG vs
NACL, ephemeral-port blocks, action changes, log health and port scans.

Each answer is checked against the generator's known answers (`SampleLake.expected`) or against
the same question computed here in Python from the records written (`SampleLake.rows()`).
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as sl
from flowlake.catalog import catalog

from .conftest import SAMPLES
from .helpers import iso, parse_json

# The port scan (now - 270 min, 20 minutes long) crosses a whole hour: 19:50 to 20:10.
NOW = datetime(2024, 3, 1, 0, 20, tzinfo=UTC)
V2_FIELDS = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
).split()
FLOW_QUERIES = (
    "top-talkers", "traffic-to", "traffic-from", "traffic-over-time", "nat-gateway-health",
    "reject-spikes", "sg-vs-nacl", "ephemeral-port-blocks", "action-changes", "log-health",
    "port-scan",
)  # fmt: skip
REQUIRED = {"traffic-to": "target=10.0.3.10", "traffic-from": "source=10.0.2.15",
            "nat-gateway-health": "dst=8.8.0.0/16"}  # fmt: skip

# bars for top-N, lines for time series (reject spikes are chosen bins, not a series)
CHART_KINDS = {"top-talkers": "bar", "traffic-to": "bar", "traffic-over-time": "line",
               "nat-gateway-health": "line", "reject-spikes": "bar"}  # fmt: skip

Row = dict[str, Any]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> sl.SampleLake:
    return write(tmp_path_factory.mktemp("flows"))


@pytest.fixture(scope="module")
def traffic(sample: sl.SampleLake) -> list[Row]:
    """The records that are traffic (not NODATA or SKIPDATA), with their start as a datetime."""
    return [dict(r, start_time=started(r)) for r in sample.rows() if r["action"] is not None]


def started(record: Any) -> datetime:
    return datetime.fromtimestamp(int(str(record["start"])), UTC)


def write(root: Path, **options: Any) -> sl.SampleLake:
    return sl.write_sample_lake(root, now=NOW, hours=6, **options)


@pytest.fixture
def run(cli):
    """`flowlake query NAME --lake LAKE -f json -p ...` -> the rows, asserting exit 0."""

    def query(lake: Any, name: str, *params: str, since: str = "", until: str = "") -> list[Row]:
        args = ["query", name, "--lake", str(lake), "-f", "json"]
        for param in params:
            args += ["-p", param]
        args += ["--since", since] if since else []
        args += ["--until", until] if until else []
        result = cli(*args)
        assert result.code == 0, result.err
        return parse_json(result.out)

    return query


def epoch_bin(when: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(int(when.timestamp()) // seconds * seconds, UTC)


def totals(rows: Iterable[Row], key: Callable[[Row], Any]) -> dict[Any, dict[str, int]]:
    sums: dict[Any, dict[str, int]] = defaultdict(
        lambda: {"bytes": 0, "packets": 0, "flows": 0, "accepts": 0, "rejects": 0}
    )
    for r in rows:
        t = sums[key(r)]
        t["bytes"] += r["bytes"]
        t["packets"] += r["packets"]
        t["flows"] += 1
        t["accepts" if r["action"] == "ACCEPT" else "rejects"] += 1
    return sums


# -- top talkers, traffic to and from ----------------------------------------------------------


def test_top_talkers_by_source_is_the_sum_of_bytes(run, sample, traffic) -> None:
    got = run(sample.root, "top-talkers")
    sums = totals(traffic, lambda r: r["srcaddr"])
    ranked = sorted(sums, key=lambda k: (-sums[k]["bytes"], k))[:10]
    assert got == [
        {"srcaddr": k, "bytes": sums[k]["bytes"], "packets": sums[k]["packets"],
         "flows": sums[k]["flows"]}
        for k in ranked
    ]  # fmt: skip


def test_top_talkers_by_pair_and_interface(run, sample, traffic) -> None:
    got = run(sample.root, "top-talkers", "by=pair", "metric=packets", "port=443", "limit=5")
    https = totals(
        (r for r in traffic if r["dstport"] == 443), lambda r: (r["srcaddr"], r["dstaddr"])
    )
    ranked = sorted(https, key=lambda k: (-https[k]["packets"], k))[:5]
    assert [(r["srcaddr"], r["dstaddr"], r["packets"]) for r in got] == [
        (*k, https[k]["packets"]) for k in ranked
    ]
    # who sends the most rejected flows: the database's answers dropped by its subnet's NACL
    rejected = run(sample.root, "top-talkers", "by=interface_id", "action=REJECT", "metric=flows",
                   "limit=1")  # fmt: skip
    e = sample.expected
    assert rejected[0]["interface_id"] == e.eph_server_eni
    assert rejected[0]["flows"] == e.eph_responses_rejected


def test_traffic_to_an_address_and_a_network(run, sample, traffic) -> None:
    e = sample.expected
    got = run(sample.root, "traffic-to", f"target={e.eph_server_addr}", "port=3306")
    to_db = [r for r in traffic if r["dstaddr"] == e.eph_server_addr and r["dstport"] == 3306]
    sums = totals(to_db, lambda r: r["srcaddr"])
    assert {r["srcaddr"] for r in got} == set(sl.DB_CLIENTS)
    for row in got:
        mine = [r for r in to_db if r["srcaddr"] == row["srcaddr"]]
        assert row["flows"] == sums[row["srcaddr"]]["flows"] == row["accepts"]
        assert row["bytes"] == sums[row["srcaddr"]]["bytes"] and row["rejects"] == 0
        assert row["first_seen"] == iso(min(r["start_time"] for r in mine))
        assert row["last_seen"] == iso(max(r["start_time"] for r in mine))
    assert sum(r["flows"] for r in got) == e.eph_requests
    # a CIDR: the telnet sweep over the fleet subnet
    sweep = run(sample.root, "traffic-to", "target=10.20.1.0/24", "port=23")
    assert [(r["srcaddr"], r["flows"], r["rejects"]) for r in sweep] == [
        (e.hscanner, len(e.hscan_hosts), len(e.hscan_hosts))
    ]


def test_traffic_from_the_scanner(run, sample) -> None:
    e = sample.expected
    got = run(sample.root, "traffic-from", f"source={e.scanner}")
    assert {r["dstaddr"] for r in got} == {e.scan_target}
    assert {r["dstport"] for r in got} == e.scan_ports
    assert sum(r["rejects"] for r in got) == e.scan_rejects
    assert {r["dstport"] for r in got if r["accepts"]} == set(sl.SCAN_OPEN_PORTS)


# -- time series with zero bins ------------------------------------------------------------------


def test_traffic_over_time_spans_the_window_with_zero_bins(run, sample, traffic) -> None:
    e = sample.expected
    since, until = e.start - timedelta(minutes=60), e.end + timedelta(minutes=30)
    got = run(sample.root, "traffic-over-time", "bin=10m", since=iso(since), until=iso(until))
    first, last = epoch_bin(since, 600), epoch_bin(until - timedelta(seconds=1), 600)
    assert len(got) == (last - first) // timedelta(minutes=10) + 1
    sums = totals(traffic, lambda r: epoch_bin(r["start_time"], 600))
    zero = {"flows": 0, "packets": 0, "bytes": 0, "accepts": 0, "rejects": 0}
    for n, row in enumerate(got):
        start = first + timedelta(minutes=10 * n)
        assert row == {"bin_start": iso(start), **sums.get(start, zero)}
    assert got[0]["flows"] == 0 and got[-1]["flows"] == 0  # before and after the lake
    assert sum(r["flows"] for r in got) == e.ok
    # --since alone runs up to now: the lake's traffic is long over, every bin is a zero
    before = datetime.now(UTC)
    recent = run(sample.root, "traffic-over-time", "bin=1h", since="3h")
    after = datetime.now(UTC)
    assert recent[0]["bin_start"] in {
        iso(epoch_bin(t - timedelta(hours=3), 3600)) for t in (before, after)
    }
    assert recent[-1]["bin_start"] in {iso(epoch_bin(t, 3600)) for t in (before, after)}
    assert len(recent) in (4, 5) and {r["flows"] for r in recent} == {0}


def test_zero_bins_go_past_trinos_10000_element_sequences(run, sample) -> None:
    e = sample.expected
    since, until = e.end - timedelta(days=60), e.end  # 17,280 bins of 5 minutes
    got = run(sample.root, "traffic-over-time", since=iso(since), until=iso(until))
    assert len(got) == 60 * 288
    assert [r["bin_start"] for r in got[:2]] == [iso(since), iso(since + timedelta(minutes=5))]
    assert got[-1]["bin_start"] == iso(until - timedelta(minutes=5))
    assert len({r["bin_start"] for r in got}) == len(got)
    assert sum(r["flows"] for r in got) == e.ok


def test_traffic_over_time_shows_the_web_change(run, sample) -> None:
    e = sample.expected
    got = run(sample.root, "traffic-over-time", f"dst={e.web_addr}", f"port={e.web_port}")
    # without a window: from the lake's first record to its last, whatever the filters
    first = epoch_bin(min(started(r) for r in e.records), 300)
    last = epoch_bin(max(started(r) for r in e.records), 300)
    assert (got[0]["bin_start"], got[-1]["bin_start"]) == (iso(first), iso(last))
    assert len(got) == (last - first) // timedelta(minutes=5) + 1
    change_bin = iso(epoch_bin(e.change_at, 300))
    assert all(r["rejects"] == 0 for r in got if r["bin_start"] < change_bin)
    assert all(r["accepts"] == 0 for r in got if r["bin_start"] > change_bin)
    assert sum(r["accepts"] for r in got) == e.web_accepted_before
    assert sum(r["rejects"] for r in got) == e.web_rejected_after


def test_nat_gateway_health_shows_when_traffic_stopped(run, sample, traffic) -> None:
    e = sample.expected
    got = run(sample.root, "nat-gateway-health", f"src={e.nat_private_cidr}",
              f"dst={e.nat_destination_cidr}", since=iso(e.start), until=iso(e.end))  # fmt: skip
    assert len(got) == 6 * 12  # every 5-minute bin of the 6 hours, with or without flows
    assert sum(r["flows"] for r in got) == e.nat_flows
    stopped = [r for r in got if r["bin_start"] >= iso(e.nat_stop_at)]
    assert len(stopped) >= 8 and all(r["flows"] == 0 and r["bytes"] == 0 for r in stopped)
    before = [r for r in got if r["bin_start"] < iso(e.nat_stop_at - timedelta(minutes=5))]
    assert all(r["flows"] >= 2 and r["rejects"] == 0 for r in before)
    last_busy = max(r["bin_start"] for r in got if r["flows"])
    assert last_busy == iso(epoch_bin(e.nat_last_start, 300))
    # the seed's Insights form: srcAddr like "10.0.1." and dstAddr like "8.8.8."
    prefix = run(sample.root, "nat-gateway-health", "src=10.0.1.", "dst=8.8.8.", "bin=1h")
    assert sum(r["flows"] for r in prefix) == sum(
        r["srcaddr"].startswith("10.0.1.") and r["dstaddr"].startswith("8.8.8.") for r in traffic
    )


def test_reject_spikes_name_the_scanners(run, sample, traffic) -> None:
    assert run(sample.root, "reject-spikes") == []  # never 100 REJECTs in 5 minutes here
    got = run(sample.root, "reject-spikes", "threshold=8", "window=5m")
    rejects = [r for r in traffic if r["action"] == "REJECT"]
    per_bin: dict[datetime, list[Row]] = defaultdict(list)
    for r in rejects:
        per_bin[epoch_bin(r["start_time"], 300)].append(r)
    expected = []
    for start, rows in sorted(per_bin.items()):
        if len(rows) <= 8:
            continue
        sources = Counter(r["srcaddr"] for r in rows)
        ports = Counter(r["dstport"] for r in rows)
        top_src = min(sources, key=lambda s: (-sources[s], s))
        top_port = min(ports, key=lambda p: (-ports[p], p))
        expected.append({
            "bin_start": iso(start), "rejects": len(rows), "top_srcaddr": top_src,
            "top_dstport": top_port, "top_src_rejects": sources[top_src],
            "top_port_rejects": ports[top_port], "sources": len(sources), "ports": len(ports),
        })  # fmt: skip
    assert got == expected
    e = sample.expected
    assert any(r["top_srcaddr"] == e.scanner for r in got)
    sweep = [r for r in got if r["top_srcaddr"] == e.hscanner]
    assert sweep and all(r["top_dstport"] == e.hscan_port for r in sweep)


# -- SG or NACL, ephemeral ports ---------------------------------------------------------------


def test_sg_vs_nacl_classifies_every_story(run, sample) -> None:
    e = sample.expected
    got = run(sample.root, "sg-vs-nacl", "limit=1000")
    nacl = [r for r in got if r["likely_cause"] == "nacl"]
    assert all(r["request_action"] == "ACCEPT" and r["response_action"] == "REJECT" for r in nacl)
    db = [r for r in nacl if r["server"] == e.eph_server_addr]
    assert {r["client"] for r in db} == set(sl.DB_CLIENTS)
    assert {(r["interface_id"], r["direction"], r["server_port"]) for r in db} == {
        (e.eph_server_eni, "inbound", e.eph_server_port)
    }
    assert sum(r["flows"] for r in db) == e.eph_requests
    ping = [r for r in nacl if r["protocol"] == 1]
    assert [(r["interface_id"], r["direction"], r["client"], r["server"], r["server_port"],
             r["flows"]) for r in ping] == [
        (e.icmp_eni, "inbound", e.icmp_remote_addr, e.icmp_local_addr, 0, e.icmp_accepts)
    ]  # fmt: skip
    assert len(nacl) == len(db) + len(ping)

    blocked = [r for r in got if r["likely_cause"] == "sg-or-nacl"]
    assert all(r["request_action"] == "REJECT" and r["direction"] == "inbound" for r in blocked)
    # every REJECT is a blocked request, except the answers a NACL dropped
    assert sum(r["flows"] for r in blocked) == (
        e.rejected - e.eph_responses_rejected - e.icmp_rejects
    )
    web = [r for r in blocked if r["server"] == e.web_addr and r["server_port"] == e.web_port]
    assert {r["client"] for r in web} == e.web_clients
    assert sum(r["flows"] for r in web) == e.web_rejected_after
    ssh = [r for r in blocked if r["client"] == e.ssh_attacker]
    assert [(r["server"], r["server_port"], r["flows"]) for r in ssh] == [
        (e.ssh_bastion_addr, 22, e.ssh_rejects)
    ]


def test_sg_vs_nacl_all_conversations_and_filters(run, sample) -> None:
    e = sample.expected
    everything = run(sample.root, "sg-vs-nacl", "show=all", "limit=10000")
    web_ok = [r for r in everything if r["server"] == e.web_addr and r["server_port"] == 80
              and r["likely_cause"] == "ok"]  # fmt: skip
    assert sum(r["flows"] for r in web_ok) == e.web_accepted_before
    admin = [r for r in everything if r["client"] == e.ssh_admin]
    assert [(r["likely_cause"], r["flows"]) for r in admin] == [("ok", e.ssh_admin_accepts // 2)]
    # the NAT gateway's own interface: inbound from the workers, outbound to the internet
    nat = {(r["direction"], r["server"]) for r in everything if r["interface_id"] == e.nat_eni}
    assert nat == {("inbound", e.nat_addr), ("outbound", "8.8.8.8"), ("outbound", "8.8.4.4")}
    narrowed = run(sample.root, "sg-vs-nacl", f"interface_id={e.icmp_eni}", "port=0",
                   f"address={e.icmp_remote_addr}")  # fmt: skip
    assert [r["likely_cause"] for r in narrowed] == ["nacl"]


def test_sg_vs_nacl_on_a_v2_lake_infers_direction_without_flow_direction(
    run, sample, tmp_path: Path
) -> None:
    v2 = write(tmp_path, fields=V2_FIELDS)
    assert "flow_direction" not in v2.fields
    params = ("show=all", "limit=10000")  # the problems and the rest
    assert run(v2.root, "sg-vs-nacl", *params) == run(sample.root, "sg-vs-nacl", *params)


def public_records(pattern: str) -> list[str]:
    text = (SAMPLES / "public-sample-records.txt").read_text()
    return [line for line in text.splitlines() if line.startswith(pattern)]


def test_sg_vs_nacl_on_aws_documented_ping(run, tmp_path: Path) -> None:
    """AWS's example: an inbound ping ACCEPTed, its reply REJECTed by the network ACL."""
    lines = [
        line for line in public_records("2 123456789010 eni-1235b8ca123456789 ")
        if " 0 0 1 " in line
    ]  # fmt: skip
    assert len(lines) == 2
    (tmp_path / "ping.log").write_text("\n".join(lines) + "\n")  # no header: the v2 format
    assert run(tmp_path, "sg-vs-nacl") == [{
        "interface_id": "eni-1235b8ca123456789", "direction": "inbound",
        "client": "203.0.113.12", "server": "172.31.16.139", "server_port": 0, "protocol": 1,
        "request_action": "ACCEPT", "response_action": "REJECT", "likely_cause": "nacl",
        "flows": 1, "first_seen": "2015-05-29T16:30:27Z", "last_seen": "2015-05-29T16:30:27Z",
        "advice": "network ACL outbound rule for the return traffic to the client "
                  "(NACLs are stateless)",
    }]  # fmt: skip
    # a user's capture: the reply both accepted and rejected in the same minute, same start
    (tmp_path / "ping.log").write_text("\n".join(public_records("2 9xxx eni-xxx ")) + "\n")
    got = run(tmp_path, "sg-vs-nacl")
    assert [(r["client"], r["server"], r["likely_cause"]) for r in got] == [
        ("123.45.67.89", "172.31.44.17", "nacl")
    ]


def test_ephemeral_port_blocks_suggest_the_nacl_entry(run, sample, traffic) -> None:
    e = sample.expected
    got = run(sample.root, "ephemeral-port-blocks")
    assert len(got) == 1
    row = got[0]
    low, high = (int(p) for p in row.pop("client_ports").split("-"))
    assert e.eph_port_range[0] <= low < high <= e.eph_port_range[1]
    row.pop("first_seen"), row.pop("last_seen")
    cidr = e.eph_client_cidr
    assert row == {
        "interface_id": e.eph_server_eni, "server": e.eph_server_addr,
        "server_port": e.eph_server_port, "protocol": 6, "client_cidr": cidr,
        "clients": len(sl.DB_CLIENTS), "requests_accepted": e.eph_requests,
        "answers_rejected": e.eph_responses_rejected, "rule_number": 100,
        "rule_direction": "egress", "rule_protocol": 6, "rule_ports": "1024-65535",
        "rule_cidr": cidr, "rule_action": "ALLOW",
        "aws_cli": "aws ec2 create-network-acl-entry --network-acl-id ACL_ID --egress "
                   "--rule-number 100 --protocol 6 --port-range From=1024,To=65535 "
                   f"--cidr-block {cidr} --rule-action allow",
    }  # fmt: skip
    # a window with one request: the client itself (/32), still egress from the server's side
    since = e.end - timedelta(minutes=4)
    clients = {
        r["srcaddr"]
        for r in traffic
        if r["dstaddr"] == e.eph_server_addr and r["start_time"] >= since
    }
    assert len(clients) == 1
    one = run(
        sample.root, "ephemeral-port-blocks", "rule_number=120", "port=3306",
        f"interface_id={e.eph_server_eni}", since=iso(since),
    )  # fmt: skip
    assert [(r["clients"], r["rule_cidr"], r["rule_direction"], r["rule_number"]) for r in one] == [
        (1, f"{clients.pop()}/32", "egress", 120)
    ]
    assert "--rule-number 120" in one[0]["aws_cli"]
    assert run(sample.root, "ephemeral-port-blocks", "port=80") == []


# -- action changes, log health, port scans -----------------------------------------------------


def test_action_changes_finds_when_http_turned_to_reject(run, sample, traffic) -> None:
    got = run(sample.root, "action-changes")
    by_destination: dict[tuple[str, int, int], list[Row]] = defaultdict(list)
    for r in traffic:
        if r["dstport"] <= r["srcport"]:
            by_destination[(r["dstaddr"], r["dstport"], r["protocol"])].append(r)
    expected: list[Row] = []
    for (addr, port, proto), rows in by_destination.items():
        accepts = [r["start_time"] for r in rows if r["action"] == "ACCEPT"]
        rejects = [r for r in rows if r["action"] == "REJECT"]
        if not accepts:
            continue
        since = [r for r in rejects if r["start_time"] > max(accepts)]
        if since:
            expected.append({
                "dstaddr": addr, "dstport": port, "protocol": proto,
                "last_accept_at": iso(max(accepts)),
                "changed_at": iso(min(r["start_time"] for r in since)),
                "rejects_since": len(since), "sources_since": len({r["srcaddr"] for r in since}),
                "last_reject_at": iso(max(r["start_time"] for r in rejects)),
                "accepts": len(accepts), "rejects_before": len(rejects) - len(since),
            })  # fmt: skip
    expected.sort(key=lambda r: (r["dstaddr"], r["dstport"], r["protocol"]))
    expected.sort(key=lambda r: r["changed_at"], reverse=True)
    assert got == expected
    e = sample.expected
    web = run(sample.root, "action-changes", f"dstaddr={e.web_addr}", "port=80", "protocol=tcp")
    assert web == [{
        "dstaddr": e.web_addr, "dstport": 80, "protocol": 6,
        "last_accept_at": iso(e.web_last_accept), "changed_at": iso(e.web_first_reject),
        "rejects_since": e.web_rejected_after, "sources_since": len(e.web_clients),
        "last_reject_at": web[0]["last_reject_at"], "accepts": e.web_accepted_before,
        "rejects_before": 0,
    }]  # fmt: skip
    assert e.change_at <= e.web_first_reject < e.change_at + timedelta(minutes=2)
    # the bastion: the admin's session ended, the attacker's REJECTs went on all along
    bastion = [r for r in got if r["dstaddr"] == e.ssh_bastion_addr]
    assert bastion and bastion[0]["rejects_before"] > 0


def test_log_health_lists_nodata_and_skipdata(run, sample) -> None:
    e = sample.expected
    got = run(sample.root, "log-health")
    status = [r for r in sample.rows() if r["log_status"] in ("NODATA", "SKIPDATA")]
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in status:
        groups[(str(r["interface_id"]), str(r["log_status"]))].append(int(r["start"]))
    assert {(r["interface_id"], r["log_status"]) for r in got} == set(groups)
    assert {r["interface_id"] for r in got if r["log_status"] == "NODATA"} == e.nodata_enis
    assert {r["interface_id"] for r in got if r["log_status"] == "SKIPDATA"} == e.skipdata_enis
    for row in got:
        starts = groups[(row["interface_id"], row["log_status"])]
        assert row["records"] == len(starts)
        assert row["first_seen"] == iso(datetime.fromtimestamp(min(starts), UTC))
        assert row["last_seen"] == iso(datetime.fromtimestamp(max(starts), UTC))
    idle = {r["interface_id"]: r["traffic_records"] for r in got if r["log_status"] == "NODATA"}
    assert set(idle.values()) == {0}  # idle interfaces carry no traffic at all
    assert got[0]["log_status"] == "SKIPDATA" and got[0]["traffic_records"] > 0
    # the Insights sample: SKIPDATA by bin(1h)
    hourly = run(sample.root, "log-health", "status=skipdata", "bin=1h")
    per_hour = Counter(
        iso(epoch_bin(started(r), 3600)) for r in status if r["log_status"] == "SKIPDATA"
    )
    assert {r["bin_start"]: r["records"] for r in hourly} == dict(per_hour)
    assert sum(per_hour.values()) == sl.SKIPDATA_RECORDS


def test_port_scan_finds_both_scans(run, sample) -> None:
    e = sample.expected
    got = run(sample.root, "port-scan")
    assert e.scan_first.hour != e.scan_last.hour, "the scan crosses an hour: windows must hop"
    opened = len(sl.SCAN_OPEN_PORTS)
    assert got == [
        {"kind": "vertical", "srcaddr": e.scanner, "dstaddr": e.scan_target, "dstport": None,
         "protocol": 6, "distinct_ports": len(e.scan_ports), "distinct_hosts": 1,
         "rejects": e.scan_rejects, "accepts": opened, "first_seen": iso(e.scan_first),
         "last_seen": iso(e.scan_last)},
        {"kind": "horizontal", "srcaddr": e.hscanner, "dstaddr": None, "dstport": e.hscan_port,
         "protocol": 6, "distinct_ports": 1, "distinct_hosts": len(e.hscan_hosts),
         "rejects": len(e.hscan_hosts), "accepts": 0, "first_seen": got[1]["first_seen"],
         "last_seen": got[1]["last_seen"]},
    ]  # fmt: skip
    assert len(e.scan_ports) == 40 and e.scan_rejects == 40 - opened
    above = run(sample.root, "port-scan", f"ports={len(e.scan_ports) + 1}",
                f"hosts={len(e.hscan_hosts) + 1}")  # fmt: skip
    assert above == []
    # a window of 5 minutes holds about 10 of the 40 ports (2 a minute), never 20
    short = run(sample.root, "port-scan", "window=5m")
    assert [r["kind"] for r in short] == ["horizontal"]


# -- every flow query: chart hints, Athena partitions, bad input ----------------------------------


def test_chart_hints_name_output_columns(run, sample) -> None:
    charted = [name for name in FLOW_QUERIES if catalog()[name].chart]
    assert sorted(charted) == sorted(CHART_KINDS)
    for name in charted:
        chart = catalog()[name].chart or {}
        params = [REQUIRED[name]] if name in REQUIRED else []
        params += ["threshold=5"] if name == "reject-spikes" else []
        rows = run(sample.root, name, *params)
        assert rows, name
        xs = [chart["x"]] if isinstance(chart["x"], str) else chart["x"]
        assert set(xs) & set(rows[0]) and chart["y"] in rows[0], name
        assert chart["kind"] == CHART_KINDS[name]


@pytest.mark.parametrize("name", FLOW_QUERIES)
def test_athena_sql_prunes_partitions(cli, name: str) -> None:
    params = ["-p", REQUIRED[name]] if name in REQUIRED else []
    result = cli("sql", name, *params, "--dialect", "athena", "--since", "2024-05-01T10:00Z",
                 "--until", "2024-05-01T12:00Z")  # fmt: skip
    assert result.code == 0, result.err
    assert "\"day\" BETWEEN '2024/05/01' AND '2024/05/01'" in result.out
    assert "FROM_ISO8601_TIMESTAMP('2024-05-01T10:00:00Z')" in result.out


def test_zero_bins_are_a_sequence_on_athena_and_a_series_on_duckdb(cli) -> None:
    athena = cli("sql", "traffic-over-time", "--dialect", "athena").out
    duck = cli("sql", "traffic-over-time").out
    assert "UNNEST(SEQUENCE(0, 9999))" in athena and "GENERATE_SERIES" not in athena
    assert "UNNEST(GENERATE_SERIES(0, 9999))" in duck


@pytest.mark.parametrize(
    ("name", "param", "message"),
    [
        ("traffic-over-time", "bin=0m", "invalid duration"),
        ("top-talkers", "by=everything", "is not one of srcaddr"),
        ("top-talkers", "metric=volume", "is not one of bytes"),
        ("reject-spikes", "threshold=-5", "outside 0"),
        ("port-scan", "window=soon", "invalid duration"),
        ("sg-vs-nacl", "port=70000", "outside 0..65535"),
        ("sg-vs-nacl", "address=10.0.0.0/33", "not an IP address or CIDR"),
        ("traffic-to", "port=22", "needs parameter target"),
        ("nat-gateway-health", "src=10.0.1.", "needs parameter dst"),
        ("ephemeral-port-blocks", "interface_id=eni-1;drop", "not allowed"),
    ],
)
def test_bad_parameters_are_one_line(cli, sample, name: str, param: str, message: str) -> None:
    result = cli("query", name, "--lake", sample.root, "-p", param)
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("flowlake: error:")
    assert message in result.err
