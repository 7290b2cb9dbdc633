"""The report queries end to end through the CLI, each answer checked against the sample lake's
known answers (`SampleLake.expected`) or an independent computation over `SampleLake.rows()`.

Two lakes: the sample as generated, and the same sample plus one extra flow log (AWS's default
format, its own flow-log id) holding what the sample lacks: GRE, ESP and SCTP traffic, transfers
of hundreds of megabytes, and a database port reached from the internet.
"""

import gzip
import ipaddress
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flowlake import registry
from flowlake.lake import layout
from flowlake.sample_lake import (
    ACCOUNT_A,
    API_PORT,
    APP,
    BASTION_ADDR,
    DB_ADDR,
    DB_CLIENTS,
    DB_ENI,
    ICMP_ENI,
    ICMP_LOCAL,
    IDLE_ENI_A,
    IPV6_HOST,
    IPV6_JUMP,
    IPV6_VPC_CIDR,
    NAT_ADDR,
    NAT_DESTINATIONS,
    NAT_ENI,
    NAT_SOURCES,
    SSH_ADMIN,
    SSH_ATTACKER,
    SUBNET_PUBLIC,
    US_EAST_1,
    WEB_ADDR,
    WEB_ENI,
    SampleLake,
    write_sample_lake,
)

from .helpers import iso, parse_json

Row = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# Helpers, shared with test_insights_mapping.py


def query(cli: Any, lake: Any, name: str, *params: str, since: str | None = None) -> list[Row]:
    """`flowlake query NAME --lake LAKE -p ... -f json`, which must succeed, parsed."""
    args = ["query", name, "--lake", str(lake), "-f", "json"]
    for param in params:
        args += ["-p", param]
    if since:
        args += ["--since", since]
    result = cli(*args)
    assert result.code == 0, result.err
    return parse_json(result.out)


def traffic(rows: Iterable[Row]) -> list[Row]:
    """Records with traffic: NODATA and SKIPDATA records have no action (nor addresses)."""
    return [r for r in rows if r["action"] is not None]


def at(start: int) -> str:
    return iso(datetime.fromtimestamp(start, UTC))


def group(rows: Iterable[Row], key: Callable[[Row], Any]) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def span(rows: list[Row]) -> dict[str, str]:
    starts = [r["start"] for r in rows]
    return {"first_seen": at(min(starts)), "last_seen": at(max(starts))}


def actions(rows: list[Row]) -> dict[str, int]:
    count = Counter(r["action"] for r in rows)
    return {"accepts": count["ACCEPT"], "rejects": count["REJECT"]}


def sums(rows: list[Row]) -> dict[str, int]:
    return {
        "flows": len(rows),
        "packets": sum(r["packets"] for r in rows),
        "bytes": sum(r["bytes"] for r in rows),
    }


def pair_totals(rows: Iterable[Row]) -> list[Row]:
    """packets-by-pair / bytes-by-pair computed in Python, unsorted."""
    out = []
    for (src, dst), members in group(traffic(rows), lambda r: (r["srcaddr"], r["dstaddr"])).items():
        sizes = [r["bytes"] for r in members]
        out.append(
            {"srcaddr": src, "dstaddr": dst, **sums(members)}
            | {"avg_bytes": sum(sizes) / len(sizes), "min_bytes": min(sizes)}
            | {"max_bytes": max(sizes), **span(members)}
        )
    return out


def assert_rows(got: list[Row], expected: list[Row]) -> None:
    """Same rows in the same order; each expected column equal (rounded averages to 0.06)."""
    assert len(got) == len(expected), (got[:3], expected[:3])
    for row, want in zip(got, expected, strict=True):
        for column, value in want.items():
            if column.startswith("avg_") or column.endswith("_per_second"):
                assert row[column] == pytest.approx(value, abs=0.06), (column, row, want)
            else:
                assert row[column] == value, (column, row, want)


# The private ranges of sql/macros/ip.sql is_private, restated.
PRIVATE = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
    )
]


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in PRIVATE)


def in_cidr(address: str | None, cidr: str) -> bool:
    if address is None:
        return False
    ip, net = ipaddress.ip_address(address), ipaddress.ip_network(cidr)
    return ip.version == net.version and ip in net


# SSH, telnet, RDP, VNC, WinRM; SQL Server, Oracle, MySQL, PostgreSQL, Redis, Cassandra,
# Elasticsearch, Memcached, MongoDB.
ADMIN_PORTS = {22, 23, 3389, 5900, 5985, 5986}
DATABASE_PORTS = {1433, 1521, 3306, 5432, 6379, 9042, 9200, 9300, 11211, 27017}


# ---------------------------------------------------------------------------------------------
# The extra flow log


V2_FIELDS = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
).split()
EXTRA_FLOW_LOG = "fl-0e1e2e3e4e5e6e701"
GRE_PEER = "198.51.100.200"
ESP_PEER = "203.0.113.50"
DB_INTRUDER = "198.51.100.99"
S3_ADDR = "52.216.8.45"
APP_ADDR = "10.0.2.41"
API_ADDR = "10.0.5.20"
BIG_TRANSFERS = (2_500_000_000, 600_000_000, 150_000_000)
BELOW_THRESHOLD = 99_000_000


# interface, source, destination, ports, protocol, (packets, bytes), (start, end), action
ExtraRecord = tuple[str, str, str, tuple[int, int], int, tuple[int, int], tuple[int, int], str]


def extra_records(start: int) -> list[Row]:
    """Known records the sample does not have, from `start` (Unix seconds) on."""
    app = {a.addr: a.eni for a in APP}
    big = BIG_TRANSFERS
    table: list[ExtraRecord] = []
    for t in (0, 60, 120):  # a GRE tunnel to a partner, both directions
        table.append((WEB_ENI, WEB_ADDR, GRE_PEER, (0, 0), 47, (120, 96000), (t, t + 55), "ACCEPT"))
        table.append((WEB_ENI, GRE_PEER, WEB_ADDR, (0, 0), 47, (110, 88000), (t, t + 55), "ACCEPT"))
    for t in (300, 540):  # IPsec ESP from the internet, dropped
        table.append((WEB_ENI, ESP_PEER, WEB_ADDR, (0, 0), 50, (4, 560), (t, t + 3), "REJECT"))
    sctp = (app["10.0.2.15"], "10.0.2.15", API_ADDR, (5000, 38412), 132, (10, 1200), (700, 710))
    table.append((*sctp, "ACCEPT"))
    # uploads to S3 and one download: 2.5 GB in 50 s, 600 MB in 59 s, 150 MB within a second
    eni = app[APP_ADDR]
    table += [
        (eni, APP_ADDR, S3_ADDR, (40001, 443), 6, (1_800_000, big[0]), (200, 250), "ACCEPT"),
        (eni, APP_ADDR, S3_ADDR, (40002, 443), 6, (450_000, big[1]), (300, 359), "ACCEPT"),
        (eni, "52.216.114.3", APP_ADDR, (443, 40003), 6, (110_000, big[2]), (400, 400), "ACCEPT"),
        (eni, APP_ADDR, S3_ADDR, (40004, 443), 6, (70_000, BELOW_THRESHOLD), (500, 530), "ACCEPT"),
    ]
    for t in (720, 840):  # MySQL reached from the internet
        mysql = (DB_ENI, DB_INTRUDER, DB_ADDR, (50100, 3306), 6, (10, 1500), (t, t + 9))
        table.append((*mysql, "ACCEPT"))
    return [
        {"version": 2, "account_id": ACCOUNT_A, "interface_id": nic, "srcaddr": src}
        | {"dstaddr": dst, "srcport": ports[0], "dstport": ports[1], "protocol": proto}
        | {"packets": counts[0], "bytes": counts[1], "start": start + when[0]}
        | {"end": start + when[1], "action": action, "log_status": "OK"}
        for nic, src, dst, ports, proto, counts, when, action in table
    ]


def write_flow_log(root: Path, records: list[Row], when: datetime) -> Path:
    """One gzip text file with AWS's header line, where AWS would deliver it at `when`."""
    columns = [registry.column_name(f) for f in V2_FIELDS]
    lines = [" ".join(V2_FIELDS)]
    lines += [" ".join("-" if r[c] is None else str(r[c]) for c in columns) for r in records]
    key = layout.object_key(
        layout.Partition("default", ACCOUNT_A, US_EAST_1), when, EXTRA_FLOW_LOG, "e0e1e2e3"
    )
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


@dataclass
class MixedLake:
    root: Path
    sample: SampleLake
    extra: list[Row]

    def rows(self) -> list[Row]:
        """The sample's records and the extra ones, with every column of the sample."""
        return self.sample.rows() + [{c: r.get(c) for c in self.sample.fields} for r in self.extra]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleLake:
    return write_sample_lake(tmp_path_factory.mktemp("lake"), hours=3)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> MixedLake:
    root = tmp_path_factory.mktemp("mixed")
    sample = write_sample_lake(root, hours=3)
    first = sample.end - timedelta(minutes=40)
    extra = extra_records(int(first.timestamp()))
    write_flow_log(root, extra, first + timedelta(minutes=20))
    return MixedLake(root, sample, extra)


# ---------------------------------------------------------------------------------------------
# Pairs


def test_packets_by_pair_is_the_insights_top_15(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "packets-by-pair")
    expected = sorted(
        pair_totals(sample.rows()),
        key=lambda r: (-r["packets"], -r["bytes"], r["srcaddr"], r["dstaddr"]),
    )
    assert_rows(got, expected[:15])
    assert len(got) == 15

    # narrowed to the web server's interface and its REJECTs: the clients after the SG change
    rejected = query(
        cli, sample.root, "packets-by-pair", f"interface_id={WEB_ENI}", "action=REJECT"
    )
    e = sample.expected
    assert {r["srcaddr"] for r in rejected} <= e.web_clients
    assert {r["dstaddr"] for r in rejected} == {WEB_ADDR}
    assert sum(r["flows"] for r in rejected) == e.web_rejected_after


def test_bytes_by_pair_top_10_with_average_min_max(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "bytes-by-pair")
    expected = sorted(
        pair_totals(sample.rows()),
        key=lambda r: (-r["bytes"], -r["packets"], r["srcaddr"], r["dstaddr"]),
    )
    assert_rows(got, expected[:10])
    top = got[0]
    assert top["min_bytes"] <= top["avg_bytes"] <= top["max_bytes"]


def test_bytes_by_pair_for_hosts_on_a_subnet(cli, sample) -> None:  # type: ignore[no-untyped-def]
    # AWS's sample filters isIpv4InSubnet(srcAddr, "192.0.2.0/24"): the sample's web clients
    got = query(cli, sample.root, "bytes-by-pair", "src=192.0.2.0/24", "limit=15")
    inside = [r for r in sample.rows() if in_cidr(r["srcaddr"], "192.0.2.0/24")]
    expected = sorted(
        pair_totals(inside), key=lambda r: (-r["bytes"], -r["packets"], r["srcaddr"], r["dstaddr"])
    )
    assert_rows(got, expected)
    clients = {c for c in sample.expected.web_clients if c.startswith("192.0.2.")}
    assert {r["srcaddr"] for r in got} == clients and {r["dstaddr"] for r in got} == {WEB_ADDR}


# ---------------------------------------------------------------------------------------------
# Rejects and connections


def expected_rejected_sources(rows: list[Row], limit: int = 20) -> list[Row]:
    out = []
    rejects = [r for r in rows if r["action"] == "REJECT"]
    for src, members in group(rejects, lambda r: r["srcaddr"]).items():
        ports = Counter(r["dstport"] for r in members)
        out.append(
            {"srcaddr": src, "rejects": len(members)}
            | {"packets": sum(r["packets"] for r in members)}
            | {"bytes": sum(r["bytes"] for r in members)}
            | {"destinations": len({r["dstaddr"] for r in members}), "ports": len(ports)}
            | {"top_dstport": min(ports, key=lambda p: (-ports[p], p)), **span(members)}
        )
    out.sort(key=lambda r: (-r["rejects"], r["srcaddr"]))
    return out[:limit]


def test_rejected_sources_top_20(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "rejected-sources")
    assert_rows(got, expected_rejected_sources(sample.rows()))
    e = sample.expected
    attacker = next(r for r in got if r["srcaddr"] == SSH_ATTACKER)
    assert (attacker["rejects"], attacker["top_dstport"], attacker["destinations"]) == (
        e.ssh_rejects,
        22,
        1,
    )
    scanner = next(r for r in got if r["srcaddr"] == e.scanner)
    assert scanner["rejects"] == e.scan_rejects and scanner["ports"] == e.scan_rejects


def test_rejected_sources_inside_the_vpc_are_nacl_return_traffic(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "rejected-sources", "src=10.0.0.0/8")
    e = sample.expected
    assert {r["srcaddr"]: r["rejects"] for r in got} == {
        DB_ADDR: e.eph_responses_rejected,  # the database's answers, dropped by its subnet's NACL
        ICMP_LOCAL: e.icmp_rejects,  # echo replies, dropped on the way out
    }


def test_rejected_sources_within_a_time_window(cli, sample) -> None:  # type: ignore[no-untyped-def]
    since = sample.expected.change_at
    got = query(cli, sample.root, "rejected-sources", "limit=100", since=iso(since))
    later = [r for r in sample.rows() if r["start"] >= since.timestamp()]
    assert_rows(got, expected_rejected_sources(later, 100))
    web = [r for r in got if r["srcaddr"] in sample.expected.web_clients]
    assert sum(r["rejects"] for r in web) == sample.expected.web_rejected_after


def test_connections_to_the_web_server(cli, sample) -> None:  # type: ignore[no-untyped-def]
    e = sample.expected
    got = query(cli, sample.root, "connections-to", f"dst={WEB_ADDR}", "port=80")
    assert {r["srcaddr"] for r in got} == e.web_clients
    assert sum(r["accepts"] for r in got) == e.web_accepted_before
    assert sum(r["rejects"] for r in got) == e.web_rejected_after
    requests = [
        r for r in traffic(sample.rows()) if r["dstaddr"] == WEB_ADDR and r["dstport"] == 80
    ]
    expected = [
        {"srcaddr": src, "dstaddr": WEB_ADDR, "dstport": 80, "protocol": 6}
        | sums(members)
        | actions(members)
        | span(members)
        for src, members in group(requests, lambda r: r["srcaddr"]).items()
    ]
    expected.sort(key=lambda r: (-r["flows"], r["srcaddr"]))
    assert_rows(got, expected)


def test_connections_to_leave_out_replies_unless_asked(cli, sample) -> None:  # type: ignore[no-untyped-def]
    worker = NAT_SOURCES[0]  # only ever answered (DNS and HTTPS through the NAT gateway)
    assert query(cli, sample.root, "connections-to", f"dst={worker}") == []
    replies = query(
        cli, sample.root, "connections-to", f"dst={worker}", "replies=true", "limit=1000"
    )
    received = [r for r in traffic(sample.rows()) if r["dstaddr"] == worker]
    assert sum(r["flows"] for r in replies) == len(received)
    # the answers come from the resolvers, or from the NAT gateway's side of the translation
    assert {r["srcaddr"] for r in replies} == {*NAT_DESTINATIONS, NAT_ADDR}
    assert all(r["dstport"] >= 1024 for r in replies)
    # an app host only calls others: the API's answers leave port 8080 for a higher port, the
    # database's and S3's answers leave 3306 and 443: all replies
    app = APP[0].addr
    assert query(cli, sample.root, "connections-to", f"dst={app}") == []
    answered = query(cli, sample.root, "connections-to", f"dst={app}", "replies=true", "limit=500")
    senders = {r["srcaddr"] for r in traffic(sample.rows()) if r["dstaddr"] == app}
    assert {r["srcaddr"] for r in answered} == senders and {API_ADDR, DB_ADDR} <= senders
    assert API_PORT in {r["srcport"] for r in traffic(sample.rows()) if r["srcaddr"] == API_ADDR}


# ---------------------------------------------------------------------------------------------
# Protocols


def test_protocol_users_default_is_udp(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "protocol-users")
    udp = [r for r in traffic(sample.rows()) if r["protocol"] == 17]
    expected = [
        {"srcaddr": src, "protocol": 17, "protocol_name": "UDP"}
        | sums(members)
        | {"destinations": len({r["dstaddr"] for r in members}), **span(members)}
        for src, members in group(udp, lambda r: r["srcaddr"]).items()
    ]
    expected.sort(key=lambda r: (-r["flows"], -r["bytes"], r["srcaddr"]))
    assert_rows(got, expected)
    # DNS through the NAT gateway: the workers, the gateway itself, and Google's resolvers
    assert {r["srcaddr"] for r in got} == {*NAT_SOURCES, NAT_ADDR, *NAT_DESTINATIONS}


def test_protocol_users_tcp_for_one_source(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "protocol-users", "protocol=tcp", f"src={WEB_ADDR}/32")
    sent = [r for r in traffic(sample.rows()) if r["srcaddr"] == WEB_ADDR and r["protocol"] == 6]
    assert len(got) == 1 and got[0]["protocol_name"] == "TCP"
    assert (got[0]["flows"], got[0]["bytes"]) == (len(sent), sum(r["bytes"] for r in sent))


def test_unusual_protocols(cli, mixed, sample) -> None:  # type: ignore[no-untyped-def]
    assert query(cli, sample.root, "unusual-protocols") == [], "the sample: ICMP, TCP, UDP only"
    got = query(cli, mixed.root, "unusual-protocols")
    odd = [r for r in traffic(mixed.rows()) if r["protocol"] not in (1, 6, 17)]
    names = {47: "GRE", 50: "ESP", 132: "SCTP"}
    expected = [
        {"protocol": proto, "protocol_name": names[proto], "srcaddr": src, "dstaddr": dst}
        | sums(members)
        | actions(members)
        | span(members)
        for (proto, src, dst), members in group(
            odd, lambda r: (r["protocol"], r["srcaddr"], r["dstaddr"])
        ).items()
    ]
    expected.sort(key=lambda r: (-r["flows"], r["protocol"], r["srcaddr"], r["dstaddr"]))
    assert_rows(got, expected)
    assert [(r["protocol_name"], r["flows"]) for r in got] == [
        ("GRE", 3),
        ("GRE", 3),
        ("ESP", 2),
        ("SCTP", 1),
    ]
    esp = query(cli, mixed.root, "unusual-protocols", "protocol=esp")
    assert [(r["srcaddr"], r["accepts"], r["rejects"]) for r in esp] == [(ESP_PEER, 0, 2)]


def test_traffic_by_family(cli, sample) -> None:  # type: ignore[no-untyped-def]
    e = sample.expected
    got = {r["family"]: r for r in query(cli, sample.root, "traffic-by-family")}
    assert set(got) == {"IPv4", "IPv6"}
    v6 = got["IPv6"]
    assert (v6["flows"], v6["bytes"], v6["rejects"]) == (e.ipv6_flows, e.ipv6_bytes, e.ipv6_rejects)
    assert got["IPv4"]["flows"] + v6["flows"] == e.ok
    assert got["IPv4"]["bytes"] + v6["bytes"] == e.bytes
    assert got["IPv4"]["packets"] + v6["packets"] == e.packets
    assert got["IPv4"]["accepts"] + v6["accepts"] == e.accepted
    only = query(cli, sample.root, "traffic-by-family", "family=ipv6")
    assert only == [v6]


# ---------------------------------------------------------------------------------------------
# Interfaces and resources


def own_address(rows: list[Row]) -> str:
    seen = Counter(a for r in rows for a in (r["srcaddr"], r["dstaddr"]))
    return min(seen, key=lambda a: (-seen[a], not is_private(a), a))


def test_interface_summary(cli, sample) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "interface-summary", "limit=100")
    expected = []
    for eni, members in group(traffic(sample.rows()), lambda r: r["interface_id"]).items():
        own = own_address(members)
        peers = {r["dstaddr"] if r["srcaddr"] == own else r["srcaddr"] for r in members}
        expected.append(
            {"interface_id": eni, "address": own}
            | sums(members)
            | actions(members)
            | {"peers": len(peers), **span(members)}
        )
    expected.sort(key=lambda r: (-r["bytes"], r["interface_id"]))
    assert_rows(got, expected)

    e = sample.expected
    by_eni = {r["interface_id"]: r for r in got}
    web, db, icmp, nat = by_eni[WEB_ENI], by_eni[DB_ENI], by_eni[ICMP_ENI], by_eni[NAT_ENI]
    assert (web["address"], web["rejects"]) == (WEB_ADDR, e.web_rejected_after)
    assert (db["address"], db["accepts"], db["rejects"], db["peers"]) == (
        DB_ADDR,
        e.eph_requests,
        e.eph_responses_rejected,
        len(DB_CLIENTS),
    )
    # one peer only: the private end is the interface's own
    assert (icmp["address"], icmp["peers"]) == (ICMP_LOCAL, 1)
    assert nat["address"] == NAT_ADDR
    assert IDLE_ENI_A not in by_eni, "NODATA only: no traffic to summarise"


def test_top_resources_instances_and_subnets(cli, sample) -> None:  # type: ignore[no-untyped-def]
    rows = traffic(sample.rows())

    def expected(key: str, rank: str) -> list[Row]:
        out = [
            {"resource": resource}
            | {"interfaces": len({r["interface_id"] for r in members})}
            | sums(members)
            | actions(members)
            | span(members)
            for resource, members in group(
                (r for r in rows if r[key] is not None), lambda r: r[key]
            ).items()
        ]
        return sorted(out, key=lambda r: (-r[rank], r["resource"]))[:50]

    instances = query(cli, sample.root, "top-resources")
    assert_rows(instances, expected("instance_id", "bytes"))
    assert "i-" + NAT_ENI[4:] not in {r["resource"] for r in instances}  # no instance behind it
    subnets = query(cli, sample.root, "top-resources", "by=subnet", "metric=flows")
    assert_rows(subnets, expected("subnet_id", "flows"))
    assert SUBNET_PUBLIC in {r["resource"] for r in subnets}


def test_top_resources_needs_v3_fields(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    v2 = write_sample_lake(tmp_path, hours=1, fields=[registry.column_name(f) for f in V2_FIELDS])
    result = cli("query", "top-resources", "--lake", v2.root)
    assert result.code == 1 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert "instance-id subnet-id" in result.err


def test_packet_level_talkers(cli, sample) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in sample.rows() if r["pkt_srcaddr"] is not None]
    pairs = [
        {"pkt_srcaddr": src, "pkt_dstaddr": dst} | sums(members)
        for (src, dst), members in group(
            rows, lambda r: (r["pkt_srcaddr"], r["pkt_dstaddr"])
        ).items()
    ]
    pairs.sort(key=lambda r: (-r["bytes"], r["pkt_srcaddr"], r["pkt_dstaddr"]))
    assert_rows(query(cli, sample.root, "packet-level-talkers"), pairs[:50])
    got = query(cli, sample.root, "packet-level-talkers", "limit=10000")
    assert_rows(got, pairs)
    sources = query(cli, sample.root, "packet-level-talkers", "by=source", "metric=packets")
    totals = {
        src: sums(members) for src, members in group(rows, lambda r: r["pkt_srcaddr"]).items()
    }
    assert set(sources[0]) == {"pkt_srcaddr", "bytes", "packets", "flows"}
    assert [r["packets"] for r in sources] == sorted(
        (t["packets"] for t in totals.values()), reverse=True
    )[: len(sources)]
    assert all(
        totals[r["pkt_srcaddr"]] == {k: r[k] for k in ("flows", "packets", "bytes")}
        for r in sources
    )
    # behind the NAT gateway the original sender shows: a worker talks to 8.8.8.8 on both
    # its own interface and the gateway's
    worker = next(
        r for r in got if r["pkt_srcaddr"] in NAT_SOURCES and r["pkt_dstaddr"] == "8.8.8.8"
    )
    assert worker["flows"] > len(
        [r for r in rows if r["srcaddr"] == worker["pkt_srcaddr"] and r["dstaddr"] == "8.8.8.8"]
    )


# ---------------------------------------------------------------------------------------------
# Security


def exposure_expected(rows: list[Row]) -> list[Row]:
    """Every accepted public source on a sensitive port, per server port and source."""
    exposed = [
        r
        for r in traffic(rows)
        if r["action"] == "ACCEPT"
        and r["protocol"] in (6, 17)
        and r["dstport"] in ADMIN_PORTS | DATABASE_PORTS
        and not is_private(r["srcaddr"])
    ]
    out = [
        {"dstaddr": dst, "dstport": port, "protocol": proto, "srcaddr": src}
        | sums(members)
        | span(members)
        for (dst, port, proto, src), members in group(
            exposed, lambda r: (r["dstaddr"], r["dstport"], r["protocol"], r["srcaddr"])
        ).items()
    ]
    return sorted(
        out, key=lambda r: (-r["flows"], r["dstaddr"], r["dstport"], r["protocol"], r["srcaddr"])
    )


def test_sensitive_port_exposure(cli, sample, mixed) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, sample.root, "sensitive-port-exposure")
    assert_rows(got, exposure_expected(sample.rows()))
    # the admin's SSH to the bastion, and the IPv6 jump host's SSH (global IPv6 addresses)
    assert {(r["dstaddr"], r["dstport"], r["service"], r["srcaddr"]) for r in got} == {
        (BASTION_ADDR, 22, "ssh", SSH_ADMIN),
        (IPV6_HOST, 22, "ssh", IPV6_JUMP),
    }
    admin_in = [
        r
        for r in traffic(sample.rows())
        if r["srcaddr"] == SSH_ADMIN and r["dstport"] == 22 and r["action"] == "ACCEPT"
    ]
    bastion = next(r for r in got if r["srcaddr"] == SSH_ADMIN)
    assert bastion["flows"] == len(admin_in) > 0
    # the IPv6 jump host is inside the VPC's IPv6 range: trusted, not the internet
    trusted = query(cli, sample.root, "sensitive-port-exposure", f"trusted={IPV6_VPC_CIDR}")
    assert [r["srcaddr"] for r in trusted] == [SSH_ADMIN]
    # MySQL reached from the internet in the mixed lake
    mixed_rows = query(cli, mixed.root, "sensitive-port-exposure")
    assert_rows(mixed_rows, exposure_expected(mixed.rows()))
    mysql = [(r["srcaddr"], r["service"], r["flows"]) for r in mixed_rows if r["dstport"] == 3306]
    assert mysql == [(DB_INTRUDER, "mysql", 2)]


def admin_expected(rows: list[Row], ports: set[int], limit: int = 20) -> list[Row]:
    hits = [r for r in traffic(rows) if r["dstport"] in ports and r["protocol"] in (6, 17)]
    out = [
        {"dstaddr": dst, "dstport": port, "protocol": proto}
        | {"clients": len({r["srcaddr"] for r in members})}
        | sums(members)
        | actions(members)
        | span(members)
        for (dst, port, proto), members in group(
            hits, lambda r: (r["dstaddr"], r["dstport"], r["protocol"])
        ).items()
    ]
    return sorted(
        out, key=lambda r: (-r["bytes"], -r["flows"], r["dstaddr"], r["dstport"], r["protocol"])
    )[:limit]


def test_admin_port_traffic(cli, sample) -> None:  # type: ignore[no-untyped-def]
    e = sample.expected
    ssh_rdp = query(cli, sample.root, "admin-port-traffic", "ports=ssh-rdp")
    assert_rows(ssh_rdp, admin_expected(sample.rows(), {22, 3389}))
    bastion = next(r for r in ssh_rdp if r["dstaddr"] == BASTION_ADDR)
    assert (bastion["service"], bastion["clients"], bastion["rejects"]) == ("ssh", 2, e.ssh_rejects)
    assert {r["service"] for r in ssh_rdp} == {"ssh", "rdp"}

    admin = query(cli, sample.root, "admin-port-traffic", "limit=100")
    assert_rows(admin, admin_expected(sample.rows(), ADMIN_PORTS, 100))
    telnet = [r for r in admin if r["dstport"] == 23]
    assert {r["dstaddr"] for r in telnet} == e.hscan_hosts  # the horizontal scan's targets

    database = query(cli, sample.root, "admin-port-traffic", "ports=database")
    assert_rows(database, admin_expected(sample.rows(), DATABASE_PORTS))
    mysql = next(r for r in database if r["dstaddr"] == DB_ADDR)
    assert (mysql["service"], mysql["clients"], mysql["accepts"]) == (
        "mysql",
        len(DB_CLIENTS),
        e.eph_requests,
    )


# ---------------------------------------------------------------------------------------------
# NAT gateway


def nat_expected(
    rows: list[Row], view: str, nat: str | None, private: Callable[[str], bool]
) -> list[Row]:
    def gateway(address: str) -> bool:
        return address == nat if nat else private(address)

    keep = {
        "senders": lambda r: gateway(r["dstaddr"]) and private(r["srcaddr"]),
        "instances": lambda r: (
            (gateway(r["dstaddr"]) and private(r["srcaddr"]))
            or (gateway(r["srcaddr"]) and private(r["dstaddr"]))
        ),
        "uploads": lambda r: gateway(r["srcaddr"]) and not private(r["dstaddr"]),
        "downloads": lambda r: gateway(r["dstaddr"]) and not private(r["srcaddr"]),
    }[view]
    out = [
        {"srcaddr": src, "dstaddr": dst} | sums(members) | span(members)
        for (src, dst), members in group(
            (r for r in traffic(rows) if keep(r)), lambda r: (r["srcaddr"], r["dstaddr"])
        ).items()
    ]
    return sorted(out, key=lambda r: (-r["bytes"], r["srcaddr"], r["dstaddr"]))[:10]


@pytest.mark.parametrize("view", ["senders", "instances", "uploads", "downloads"])
def test_nat_gateway_traffic(cli, sample, view: str) -> None:  # type: ignore[no-untyped-def]
    # AWS's samples: x.x.x.x is the gateway's private IP, y.y. the VPC's first two octets
    got = query(
        cli,
        sample.root,
        "nat-gateway-traffic",
        f"nat_ip={NAT_ADDR}",
        "private=10.0.",
        f"view={view}",
    )
    expected = nat_expected(sample.rows(), view, NAT_ADDR, lambda a: a.startswith("10.0."))
    assert_rows(got, expected)
    ends = {
        "senders": ({*NAT_SOURCES}, {NAT_ADDR}),
        "instances": ({*NAT_SOURCES, NAT_ADDR}, {*NAT_SOURCES, NAT_ADDR}),
        "uploads": ({NAT_ADDR}, {*NAT_DESTINATIONS}),
        "downloads": ({*NAT_DESTINATIONS}, {NAT_ADDR}),
    }[view]
    assert ({r["srcaddr"] for r in got}, {r["dstaddr"] for r in got}) == ends


def test_nat_gateway_traffic_without_the_gateway_address(cli, sample) -> None:  # type: ignore[no-untyped-def]
    # every private address stands for the gateway: uploads are all the VPCs' internet uploads
    got = query(cli, sample.root, "nat-gateway-traffic", "view=uploads")
    assert_rows(got, nat_expected(sample.rows(), "uploads", None, is_private))
    cidr = query(
        cli, sample.root, "nat-gateway-traffic", f"nat_ip={NAT_ADDR}", "private=10.0.1.128/25"
    )
    assert {r["srcaddr"] for r in got if r["dstaddr"] == NAT_ADDR} <= set(NAT_SOURCES)
    assert {r["srcaddr"] for r in cidr} == set(NAT_SOURCES)


def test_nat_gateway_traffic_bad_input_is_one_line(cli, sample) -> None:  # type: ignore[no-untyped-def]
    for bad in ("view=sideways", "nat_ip=10.0.0", "private=not-a-network"):
        result = cli("query", "nat-gateway-traffic", "--lake", sample.root, "-p", bad)
        assert result.code == 2, bad
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


# ---------------------------------------------------------------------------------------------
# Transfers and records


def test_large_transfers(cli, mixed) -> None:  # type: ignore[no-untyped-def]
    got = query(cli, mixed.root, "large-transfers", "min_bytes=100000000")
    assert [r["bytes"] for r in got] == list(BIG_TRANSFERS)
    # 2.5 GB in 50 s; 600 MB in 59 s; 150 MB whose first and last packet share a second
    assert [r["bytes_per_second"] for r in got] == pytest.approx(
        [50_000_000.0, round(600_000_000 / 59, 1), 150_000_000.0]
    )
    assert got[0]["srcaddr"] == APP_ADDR and got[0]["dstaddr"] == S3_ADDR
    # without a threshold: the largest records whatever their size, the 99 MB one among them
    largest = query(cli, mixed.root, "large-transfers", "limit=10")
    sizes = sorted((r["bytes"] for r in traffic(mixed.rows())), reverse=True)[:10]
    assert [r["bytes"] for r in largest] == sizes
    assert largest[3]["bytes"] == BELOW_THRESHOLD
    uploads = query(cli, mixed.root, "large-transfers", "min_bytes=100000000", f"dst={S3_ADDR}")
    assert [r["bytes"] for r in uploads] == list(BIG_TRANSFERS[:2])


def test_flows_filters_like_the_seeds_insights_query(cli, sample) -> None:  # type: ignore[no-untyped-def]
    # filter srcAddr like "10.0.1." and dstAddr like "8.8.8." | sort @timestamp desc
    got = query(cli, sample.root, "flows", "src=10.0.1.", "dst=8.8.8.", "limit=1000")
    rows = traffic(sample.rows())
    matching = [
        r for r in rows if r["srcaddr"].startswith("10.0.1.") and r["dstaddr"].startswith("8.8.8.")
    ]
    assert len(got) == len(matching) > 0
    assert [r["start_time"] for r in got] == sorted(
        (at(r["start"]) for r in matching), reverse=True
    )
    assert sum(r["bytes"] for r in got) == sum(r["bytes"] for r in matching)


def test_flows_accepted_and_rejected_tcp_and_ipv6(cli, sample) -> None:  # type: ignore[no-untyped-def]
    rows = traffic(sample.rows())
    for action in ("ACCEPT", "REJECT"):
        got = query(cli, sample.root, "flows", f"action={action}", "protocol=tcp", "limit=100000")
        expected = [r for r in rows if r["action"] == action and r["protocol"] == 6]
        assert len(got) == len(expected) and {r["action"] for r in got} == {action}
    e = sample.expected
    ipv6 = query(cli, sample.root, "flows", "family=ipv6", "limit=1000")
    assert len(ipv6) == e.ipv6_flows and sum(r["bytes"] for r in ipv6) == e.ipv6_bytes
    ipv4 = query(cli, sample.root, "flows", "family=ipv4", "limit=100000")
    assert len(ipv4) == e.ok - e.ipv6_flows


def test_flows_dedup_and_sort(cli, sample) -> None:  # type: ignore[no-untyped-def]
    on_web = [r for r in traffic(sample.rows()) if r["interface_id"] == WEB_ENI]
    latest: dict[tuple[Any, ...], int] = {}
    for r in on_web:
        key = (r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["protocol"])
        latest[key] = max(latest.get(key, 0), r["start"])
    got = query(cli, sample.root, "flows", f"interface_id={WEB_ENI}", "dedup=true", "limit=10000")
    assert len(got) == len(latest) < len(on_web)
    for row in got:
        key = (row["srcaddr"], row["dstaddr"], row["srcport"], row["dstport"], row["protocol"])
        assert row["start_time"] == at(latest[key])
    biggest = query(cli, sample.root, "flows", "sort=bytes", "limit=3")
    assert [r["bytes"] for r in biggest] == sorted(
        (r["bytes"] for r in traffic(sample.rows())), reverse=True
    )[:3]
