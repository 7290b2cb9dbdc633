"""docs/insights.md: every Logs Insights query of the seeds, every AWS sample query for flow logs
and every named query of AWS's Athena integration maps to a flowlake command. Each command runs
on the sample lake through the CLI and its answer is checked against the same question computed
directly from the records (`SampleLake.rows()`)."""

import re
import shlex
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flowlake.catalog import catalog
from flowlake.sample_lake import (
    DB_ADDR,
    NAT_ADDR,
    NAT_SOURCES,
    WEB_ENI,
    SampleLake,
    write_sample_lake,
)

from .helpers import iso, parse_json
from .test_queries_reports import (
    ADMIN_PORTS,
    Row,
    actions,
    admin_expected,
    assert_rows,
    at,
    expected_rejected_sources,
    group,
    in_cidr,
    nat_expected,
    pair_totals,
    sums,
    traffic,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "insights.md"
HEADING = re.compile(r"^### (?P<id>\S+)\n(?P<body>.*?)(?=^#{2,3} |\Z)", re.M | re.S)
BLOCK = re.compile(r"^```(?P<kind>[a-z]+)\n(?P<text>.*?)\n```$", re.M | re.S)

# Addresses in AWS's and the seeds' examples that the sample lake does not have: the same
# question is asked of one it has.
IN_THE_SAMPLE = {
    "54.239.25.200": "52.216.8.45",  # an S3 address the app hosts talk to
    "10.0.2.5": "10.0.2.15",  # an app host whose database answers are rejected
    "eni-0123456789abcdef0": WEB_ENI,
}


@dataclass(frozen=True)
class Mapping:
    id: str
    kind: str  # insights or athena
    source: str  # the Insights text or the named query's description
    command: str  # the flowlake line, as written
    name: str
    params: dict[str, str]  # as run on the sample lake


def parse(text: str) -> list[Mapping]:
    found = []
    for heading in HEADING.finditer(text):
        blocks = [(b["kind"], b["text"]) for b in BLOCK.finditer(heading["body"])]
        kinds = [kind for kind, _ in blocks]
        assert kinds in (["insights", "sh"], ["athena", "sh"]), (heading["id"], kinds)
        (kind, source), (_, command) = blocks
        words = shlex.split(command)
        assert len(command.splitlines()) == 1 and words[:2] == ["flowlake", "query"], command
        params: dict[str, str] = {}
        for flag, pair in zip(words[3::2], words[4::2], strict=True):
            assert flag == "-p", command
            name, _, value = pair.partition("=")
            params[name] = IN_THE_SAMPLE.get(value, value)
        found.append(Mapping(heading["id"], kind, source, command, words[2], params))
    return found


MAPPINGS = parse(DOC.read_text())


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleLake:
    return write_sample_lake(tmp_path_factory.mktemp("lake"), hours=3)


# ---------------------------------------------------------------------------------------------
# What each mapping must answer, computed from the records


@dataclass
class Context:
    sample: SampleLake
    params: dict[str, str]

    @property
    def rows(self) -> list[Row]:
        return traffic(self.sample.rows())

    def limit(self, default: int) -> int:
        return int(self.params.get("limit", default))


Check = Callable[[list[Row], Context], None]


def recent_rejects(got: list[Row], ctx: Context) -> None:
    p = ctx.params
    rejects = [
        r
        for r in ctx.rows
        if r["action"] == "REJECT"
        and ("dstport" not in p or r["dstport"] == int(p["dstport"]))
        and ("dstaddr" not in p or r["dstaddr"] == p["dstaddr"])
    ]
    newest = sorted((r["start"] for r in rejects), reverse=True)[: ctx.limit(50)]
    assert newest, "the sample has such rejects"
    assert [row["start_time"] for row in got] == [at(s) for s in newest]
    assert {row["action"] for row in got} == {"REJECT"}
    if "dstaddr" in p:
        assert {row["dstaddr"] for row in got} == {p["dstaddr"]}


def top_by(key: str, metric: str, default_limit: int) -> Check:
    """top-talkers and the like: each row's metric is its key's total; the top N totals."""

    def check(got: list[Row], ctx: Context) -> None:
        port = ctx.params.get("port")
        rows = [r for r in ctx.rows if port is None or r["dstport"] == int(port)]
        totals = {k: sums(members)[metric] for k, members in group(rows, lambda r: r[key]).items()}
        assert [row[metric] for row in got] == sorted(totals.values(), reverse=True)[
            : ctx.limit(default_limit)
        ]
        assert all(row[metric] == totals[row[key]] for row in got)

    return check


def in_nat_health(r: Row, dst: str) -> bool:
    if "/" in dst:
        return in_cidr(r["dstaddr"], dst)
    return str(r["dstaddr"]).startswith(dst)


def nat_gateway_health(got: list[Row], ctx: Context) -> None:
    src, dst = ctx.params["src"], ctx.params["dst"]
    flows = [r for r in ctx.rows if r["srcaddr"].startswith(src) and in_nat_health(r, dst)]
    per_bin = Counter(at(r["start"] // 300 * 300) for r in flows)
    assert {row["bin_start"]: row["flows"] for row in got if row["flows"]} == per_bin
    assert sum(row["flows"] for row in got) == len(flows)
    # the outage: bins after the traffic stopped are listed, with zero flows
    stop = iso(ctx.sample.expected.nat_stop_at)
    after = [row for row in got if row["bin_start"] > stop]
    assert after and all(row["flows"] == 0 for row in after)


def traffic_to(got: list[Row], ctx: Context) -> None:
    target = ctx.params["target"]
    to = [r for r in ctx.rows if r["dstaddr"] == target]
    totals = {src: sums(members) for src, members in group(to, lambda r: r["srcaddr"]).items()}
    assert got and {row["srcaddr"] for row in got} == set(totals)
    for row in got:
        assert (row["bytes"], row["flows"]) == (
            totals[row["srcaddr"]]["bytes"],
            totals[row["srcaddr"]]["flows"],
        )
    assert [row["bytes"] for row in got] == sorted(
        (t["bytes"] for t in totals.values()), reverse=True
    )


def traffic_from(got: list[Row], ctx: Context) -> None:
    source = ctx.params["source"]
    sent = [r for r in ctx.rows if r["srcaddr"] == source]
    groups = group(sent, lambda r: (r["dstaddr"], r["dstport"], r["protocol"]))
    assert got and len(got) == min(len(groups), ctx.limit(100))
    for row in got:
        members = groups[(row["dstaddr"], row["dstport"], row["protocol"])]
        assert {k: row[k] for k in ("accepts", "rejects", "bytes", "flows")} == actions(members) | {
            "bytes": sums(members)["bytes"],
            "flows": len(members),
        }
    if source == "10.0.2.15":  # an app host: its MySQL requests to the database among them
        assert any(row["dstaddr"] == DB_ADDR and row["dstport"] == 3306 for row in got)


def traffic_over_time(got: list[Row], ctx: Context) -> None:
    per_hour: Counter[str] = Counter()
    for r in ctx.rows:
        per_hour[at(r["start"] // 3600 * 3600)] += r["bytes"]
    assert {row["bin_start"]: row["bytes"] for row in got if row["bytes"]} == dict(per_hour)
    assert sum(row["bytes"] for row in got) == ctx.sample.expected.bytes


def flows(got: list[Row], ctx: Context) -> None:
    p = ctx.params

    def keep(r: Row) -> bool:
        return (
            ("src" not in p or _match(r["srcaddr"], p["src"]))
            and ("dst" not in p or _match(r["dstaddr"], p["dst"]))
            and ("action" not in p or r["action"] == p["action"])
            and ("protocol" not in p or r["protocol"] == {"tcp": 6, "udp": 17}[p["protocol"]])
            and ("interface_id" not in p or r["interface_id"] == p["interface_id"])
        )

    matching = [r for r in ctx.rows if keep(r)]
    if p.get("dedup") == "true":
        latest: dict[tuple[Any, ...], Row] = {}
        for r in matching:
            key = (r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["protocol"])
            if key not in latest or r["start"] > latest[key]["start"]:
                latest[key] = r
        matching = list(latest.values())
        tuples = {
            (r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["protocol"]) for r in got
        }
        assert len(tuples) == len(got), "one record per connection"
    n = min(len(matching), ctx.limit(50))
    assert n > 0
    if p.get("sort") == "bytes":
        assert [row["bytes"] for row in got] == sorted(
            (r["bytes"] for r in matching), reverse=True
        )[:n]
    else:
        assert [row["start_time"] for row in got] == sorted(
            (at(r["start"]) for r in matching), reverse=True
        )[:n]
    assert all(keep({**row, "start": 0}) for row in got)


def _match(address: str, wanted: str) -> bool:
    return (
        in_cidr(address, wanted)
        if "/" in wanted
        else address.startswith(wanted) or address == wanted
    )


def pairs_by(metric: str, default_limit: int) -> Check:
    def check(got: list[Row], ctx: Context) -> None:
        src = ctx.params.get("src")
        rows = [r for r in ctx.rows if src is None or in_cidr(r["srcaddr"], src)]
        other = "packets" if metric == "bytes" else "bytes"
        expected = sorted(
            pair_totals(rows),
            key=lambda r: (-r[metric], -r[other], r["srcaddr"], r["dstaddr"]),
        )
        assert_rows(got, expected[: ctx.limit(default_limit)])
        if src:  # Insights' answer: bytes by destination
            by_dst: Counter[str] = Counter()
            for r in rows:
                by_dst[r["dstaddr"]] += r["bytes"]
            summed: Counter[str] = Counter()
            for row in got:
                summed[row["dstaddr"]] += row["bytes"]
            assert summed == by_dst

    return check


def connections_to(got: list[Row], ctx: Context) -> None:
    dst = ctx.params["dst"]
    requests = [
        r
        for r in ctx.rows
        if r["dstaddr"] == dst and not (r["srcport"] < r["dstport"] and r["dstport"] >= 1024)
    ]
    expected = [
        {"srcaddr": src, "dstaddr": dst, "dstport": port, "protocol": proto}
        | sums(members)
        | actions(members)
        for (src, port, proto), members in group(
            requests, lambda r: (r["srcaddr"], r["dstport"], r["protocol"])
        ).items()
    ]
    expected.sort(
        key=lambda r: (-r["flows"], r["srcaddr"], r["dstaddr"], r["dstport"], r["protocol"])
    )
    assert_rows(got, expected[:50])
    assert any(row["rejects"] for row in got), "the web server's HTTP rejects"


def protocol_users(got: list[Row], ctx: Context) -> None:
    udp = [r for r in ctx.rows if r["protocol"] == 17]
    counts = Counter(r["srcaddr"] for r in udp)
    assert {row["srcaddr"]: row["flows"] for row in got} == dict(counts)


def log_health(got: list[Row], ctx: Context) -> None:
    e = ctx.sample.expected
    skipped = [r for r in ctx.sample.rows() if r["log_status"] == "SKIPDATA"]
    per_hour = Counter(at(r["start"] // 3600 * 3600) for r in skipped)
    assert {row["log_status"] for row in got} == {"SKIPDATA"}
    assert {row["interface_id"] for row in got} == e.skipdata_enis
    assert sum(row["records"] for row in got) == e.skipdata == len(skipped)
    assert Counter({row["bin_start"]: row["records"] for row in got}) == per_hour


def rejected_sources(got: list[Row], ctx: Context) -> None:
    assert_rows(got, expected_rejected_sources(ctx.sample.rows()))


def nat_view(got: list[Row], ctx: Context) -> None:
    p = ctx.params
    prefix = p["private"]
    expected = nat_expected(
        ctx.sample.rows(), p["view"], p["nat_ip"], lambda a: a.startswith(prefix)
    )
    assert_rows(got, expected)
    assert any(NAT_ADDR in (row["srcaddr"], row["dstaddr"]) for row in got)


def admin_ports(got: list[Row], ctx: Context) -> None:
    ports = {"admin": ADMIN_PORTS, "ssh-rdp": {22, 3389}}[ctx.params.get("ports", "admin")]
    assert_rows(got, admin_expected(ctx.sample.rows(), ports, ctx.limit(20)))


def family_totals(got: list[Row], ctx: Context) -> None:
    family = ctx.params["family"]
    mine = [r for r in ctx.rows if (":" in r["srcaddr"]) == (family == "ipv6")]
    assert [(row["family"], row["flows"], row["bytes"]) for row in got] == [
        ({"ipv4": "IPv4", "ipv6": "IPv6"}[family], len(mine), sum(r["bytes"] for r in mine))
    ]
    if family == "ipv6":
        assert got[0]["bytes"] == ctx.sample.expected.ipv6_bytes


def reject_by_port(got: list[Row], ctx: Context) -> None:
    expected = ctx.sample.expected.rejects_by_port
    assert len(got) == min(len(expected), 20)
    for row in got:
        assert row["rejects"] == expected[(row["dstport"], row["protocol"])]
    assert [row["rejects"] for row in got] == sorted(expected.values(), reverse=True)[:20]


def packet_level_sources(got: list[Row], ctx: Context) -> None:
    rows = [r for r in ctx.sample.rows() if r["pkt_srcaddr"] is not None]
    totals = {k: sums(m)["bytes"] for k, m in group(rows, lambda r: r["pkt_srcaddr"]).items()}
    assert [row["bytes"] for row in got] == sorted(totals.values(), reverse=True)[:50]
    assert all(totals[row["pkt_srcaddr"]] == row["bytes"] for row in got)
    assert any(row["pkt_srcaddr"] in NAT_SOURCES for row in got)


def packet_level_pairs(got: list[Row], ctx: Context) -> None:
    rows = [r for r in ctx.sample.rows() if r["pkt_srcaddr"] is not None]
    pairs = [
        {"pkt_srcaddr": s, "pkt_dstaddr": d} | sums(m)
        for (s, d), m in group(rows, lambda r: (r["pkt_srcaddr"], r["pkt_dstaddr"])).items()
    ]
    pairs.sort(key=lambda r: (-r["bytes"], r["pkt_srcaddr"], r["pkt_dstaddr"]))
    assert_rows(got, pairs[:50])


def resources(key: str) -> Check:
    def check(got: list[Row], ctx: Context) -> None:
        rows = [r for r in ctx.rows if r[key] is not None]
        totals = {k: sums(m)["bytes"] for k, m in group(rows, lambda r: r[key]).items()}
        assert [row["bytes"] for row in got] == sorted(totals.values(), reverse=True)[:50]
        assert all(totals[row["resource"]] == row["bytes"] for row in got)

    return check


CHECKS: dict[str, Check] = {
    "seed-step-2-rejects": recent_rejects,
    "seed-basic-traffic-analysis": top_by("srcaddr", "bytes", 10),
    "seed-security-investigation": recent_rejects,
    "seed-nat-gateway-health-check": nat_gateway_health,
    "seed-why-is-my-traffic-blocked": recent_rejects,
    "seed-suspicious-ip": traffic_to,
    "seed-is-my-nat-gateway-working": nat_gateway_health,
    "seed-bar-chart-top-talkers": top_by("srcaddr", "flows", 10),
    "seed-time-series-bytes": traffic_over_time,
    "seed-broken-nat-gateway": flows,
    "seed-passive-monitoring": recent_rejects,
    "seed-top-15-packet-transfers": pairs_by("packets", 15),
    "seed-addresses-connecting-to-an-ip": connections_to,
    "aws-top-15-packet-transfers": pairs_by("packets", 15),
    "aws-top-15-byte-transfers-subnet": pairs_by("bytes", 10),
    "aws-udp-users": protocol_users,
    "aws-skipdata-by-hour": log_health,
    "aws-one-record-per-connection": flows,
    "aws-avg-min-max-bytes": pairs_by("bytes", 10),
    "aws-top-10-byte-transfers": pairs_by("bytes", 10),
    "aws-top-20-rejected-sources": rejected_sources,
    "aws-nat-top-senders": nat_view,
    "aws-nat-to-and-from-instances": nat_view,
    "aws-nat-uploads": nat_view,
    "aws-nat-downloads": nat_view,
    "athena-accepted-traffic": flows,
    "athena-admin-port-traffic": admin_ports,
    "athena-ipv4-traffic": family_totals,
    "athena-ipv6-traffic": family_totals,
    "athena-rejected-tcp-traffic": flows,
    "athena-rejected-traffic": reject_by_port,
    "athena-ssh-rdp-traffic": admin_ports,
    "athena-top-talkers": top_by("srcaddr", "bytes", 10),
    "athena-top-talkers-packet-level": packet_level_sources,
    "athena-top-talking-instances": resources("instance_id"),
    "athena-top-talking-subnets": resources("subnet_id"),
    "athena-top-tcp-traffic": flows,
    "athena-total-bytes-transferred": pairs_by("bytes", 10),
    "athena-total-bytes-transferred-packet-level": packet_level_pairs,
    "athena-traffic-from-source": traffic_from,
    "athena-traffic-to-destination": traffic_to,
}

# The queries of this catalogue's report series (queries/); every one must be exercised here.
OWN_QUERIES = {
    "packets-by-pair",
    "bytes-by-pair",
    "rejected-sources",
    "connections-to",
    "protocol-users",
    "nat-gateway-traffic",
    "flows",
    "traffic-by-family",
    "admin-port-traffic",
    "top-resources",
    "packet-level-talkers",
}

# A distinctive piece of each Logs Insights query in the seeds (../shared/seeds/) and of each
# AWS sample query for flow logs; each must be in an insights block of the document.
SEED_AND_AWS_INSIGHTS = [
    "fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, action"
    ' | filter action="REJECT"',
    "filter dstPort = 443 | stats sum(bytes) as totalTraffic by srcAddr",
    'filter action = "REJECT" and dstPort = 22 | limit 50',
    'filter srcAddr like "10.0.1." and isIpv4InSubnet(dstAddr, "8.8.8.0/24")'
    " | stats count() by bin(5m)",
    'fields @timestamp, srcAddr, dstAddr, dstPort, action | filter action = "REJECT"'
    " | sort @timestamp desc | limit 50",
    'filter dstAddr = "54.239.25.200"',
    'filter srcAddr like "10.0.1." and dstAddr like "8.8.8." | stats count(*) by bin(5m)',
    "stats count(*) by srcAddr",
    "stats sum(bytes) by bin(1h)",
    'filter srcAddr like "10.0.1." and dstAddr like "8.8.8." | sort @timestamp desc',
    'filter dstAddr = "10.0.2.5" and action = "REJECT"',
    "stats sum(packets) as packetsTransferred by srcAddr, dstAddr"
    " | sort packetsTransferred desc | limit 15",
    "fields @timestamp, srcAddr, dstAddr | sort @timestamp desc | limit 5"
    ' | filter srcAddr like "xxx.xxx.xxx.xxx"',
    'filter isIpv4InSubnet(srcAddr, "192.0.2.0/24")'
    " | stats sum(bytes) as bytesTransferred by dstAddr",
    "filter protocol=17 | stats count(*) by srcAddr",
    'filter logStatus="SKIPDATA" | stats count(*) by bin(1h) as t',
    "dedup srcAddr, dstAddr, srcPort, dstPort, protocol",
    "stats avg(bytes), min(bytes), max(bytes) by srcAddr, dstAddr",
    "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr"
    " | sort bytesTransferred desc | limit 10",
    'filter action="REJECT" | stats count(*) as numRejections by srcAddr'
    " | sort numRejections desc | limit 20",
    "filter (dstAddr like 'x.x.x.x' and srcAddr like 'y.y.') | stats",
    "or (srcAddr like 'xxx.xx.xx.xx' and dstAddr like 'y.y.')",
    "filter (srcAddr like 'x.x.x.x' and dstAddr not like 'y.y.')",
    "filter (dstAddr like 'x.x.x.x' and srcAddr not like 'y.y.')",
]

ATHENA_NAMED_QUERIES = [
    "VpcFlowLogsAcceptedTraffic",
    "VpcFlowLogsAdminPortTraffic",
    "VpcFlowLogsIPv4Traffic",
    "VpcFlowLogsIPv6Traffic",
    "VpcFlowLogsRejectedTCPTraffic",
    "VpcFlowLogsRejectedTraffic",
    "VpcFlowLogsSshRdpTraffic",
    "VpcFlowLogsTopTalkers",
    "VpcFlowLogsTopTalkersPacketLevel",
    "VpcFlowLogsTopTalkingInstances",
    "VpcFlowLogsTopTalkingSubnets",
    "VpcFlowLogsTopTCPTraffic",
    "VpcFlowLogsTotalBytesTransferred",
    "VpcFlowLogsTotalBytesTransferredPacketLevel",
    "VpcFlowLogsTrafficFrmSrcAddr",
    "VpcFlowLogsTrafficToDstAddr",
]


def _flat(text: str) -> str:
    return " ".join(text.replace("\n", " ").split())


# ---------------------------------------------------------------------------------------------
# Tests


def test_the_document_maps_every_query() -> None:
    ids = [m.id for m in MAPPINGS]
    assert len(ids) == len(set(ids)), "mapping ids are unique"
    assert set(ids) == set(CHECKS), "every mapping has a check, every check a mapping"
    insights = [_flat(m.source) for m in MAPPINGS if m.kind == "insights"]
    for fragment in SEED_AND_AWS_INSIGHTS:
        assert any(_flat(fragment) in text for text in insights), fragment
    named = [m.source.split(":")[0] for m in MAPPINGS if m.kind == "athena"]
    assert sorted(named) == sorted(ATHENA_NAMED_QUERIES)
    assert OWN_QUERIES <= {m.name for m in MAPPINGS}


@pytest.mark.parametrize("mapping", MAPPINGS, ids=[m.id for m in MAPPINGS])
def test_the_mapped_command_answers(mapping: Mapping, cli, sample) -> None:  # type: ignore[no-untyped-def]
    if mapping.name not in catalog():
        assert mapping.name not in OWN_QUERIES
        pytest.skip(f"query {mapping.name} does not exist yet")
    args = ["query", mapping.name, "--lake", str(sample.root), "-f", "json"]
    for name, value in mapping.params.items():
        args += ["-p", f"{name}={value}"]
    result = cli(*args)
    assert result.code == 0, (mapping.command, result.err)
    CHECKS[mapping.id](parse_json(result.out), Context(sample, mapping.params))


@pytest.mark.parametrize(
    "name",
    sorted(
        OWN_QUERIES
        | {"interface-summary", "sensitive-port-exposure", "large-transfers", "unusual-protocols"}
    ),
)
def test_show_prints_the_insights_equivalent(name: str, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("show", name)
    assert result.code == 0, result.err
    spec = catalog()[name]
    assert spec.insights and "CloudWatch Logs Insights equivalent" in result.out
    assert spec.insights.splitlines()[0] in result.out
