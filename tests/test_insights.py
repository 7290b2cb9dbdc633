"""`flowlake insights`: every Logs Insights query of the seeds and every AWS sample query for
flow logs, run on the sample lake through the CLI and checked against the same answer computed
here from the records the lake was written from; their Athena SQL passes the function lint and,
translated back to DuckDB, gives the same rows. Plus the language's pieces and its errors."""

import io
import ipaddress
import json
import math
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flowlake.dialect_check import athena_to_duckdb
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.insights import translate
from flowlake.insights.fields import insights_name
from flowlake.lake import Lake
from flowlake.lint import lint_athena
from flowlake.registry import DEFAULT_FORMAT
from flowlake.sample_lake import (
    BASTION_ADDR,
    NAT_ADDR,
    SSH_ATTACKER,
    WEB_ADDR,
    write_sample_lake,
)
from flowlake.timewindow import TimeWindow

Rec = dict[str, Any]
Row = dict[str, Any]
LIMIT = 10_000  # rows without `limit`, as the current Insights documentation says

# The lake's columns as Insights names them (the fields these tests use).
NAMES = {
    "version": "version",
    "account_id": "accountId",
    "interface_id": "interfaceId",
    "srcaddr": "srcAddr",
    "dstaddr": "dstAddr",
    "srcport": "srcPort",
    "dstport": "dstPort",
    "protocol": "protocol",
    "packets": "packets",
    "bytes": "bytes",
    "start": "start",
    "end": "end",
    "action": "action",
    "log_status": "logStatus",
    "subnet_id": "subnetId",
    "tcp_flags": "tcpFlags",
    "pkt_srcaddr": "pktSrcAddr",
    "pkt_dst_aws_service": "pktDstAwsService",
    "flow_direction": "flowDirection",
    "traffic_path": "trafficPath",
    "az_id": "azId",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return write_sample_lake(tmp_path_factory.mktemp("insights-lake"), hours=3)


@pytest.fixture(scope="module")
def records(sample) -> list[Rec]:  # type: ignore[no-untyped-def]
    """Each record as Insights sees it: camelCase fields, @timestamp, @message, @logStream."""
    out = []
    for row in sample.rows():
        rec = {NAMES[c]: v for c, v in row.items() if c in NAMES}
        rec["@timestamp"] = datetime.fromtimestamp(row["start"], UTC)
        rec["@message"] = " ".join("-" if v is None else str(v) for v in row.values())
        rec["@logStream"] = f"{row['interface_id']}-all"
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def engine(sample) -> DuckDBEngine:  # type: ignore[no-untyped-def]
    return DuckDBEngine(Lake(str(sample.root)))


# -- the answers, computed here --------------------------------------------------------------


def plain(value: Any) -> Any:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value


def ordered(items: list[Any], keys: Sequence[tuple[Callable[[Any], Any], bool]]) -> list[Any]:
    """Sorted by the keys, the first the most significant; missing values last either way."""
    for get, descending in reversed(keys):
        present = [i for i in items if get(i) is not None]
        missing = [i for i in items if get(i) is None]
        present.sort(key=get, reverse=descending)
        items = present + missing
    return items


Column = str | tuple[str, Callable[[Rec], Any]]


def listing(
    records: Iterable[Rec],
    where: Callable[[Rec], bool],
    columns: Sequence[Column],
    sort: Sequence[tuple[str, bool]] = (("@timestamp", True),),
    limit: int = LIMIT,
) -> list[Row]:
    """Records as a non-stats query shows them: sorted (newest first unless told), ties broken
    by the shown columns, at most `limit`."""
    getters = [(c, lambda r, c=c: r[c]) if isinstance(c, str) else c for c in columns]
    items = [(r, {n: get(r) for n, get in getters}) for r in records if where(r)]
    keys: list[tuple[Callable[[Any], Any], bool]] = [
        (lambda item, s=s: item[0][s], desc) for s, desc in sort
    ]
    keys += [(lambda item, n=n: item[1][n], False) for n, _ in getters]
    return [{k: plain(v) for k, v in row.items()} for _, row in ordered(items, keys)[:limit]]


def stats(
    records: Iterable[Rec],
    where: Callable[[Rec], bool],
    by: Sequence[tuple[str, Callable[[Rec], Any]]],
    aggregates: Sequence[tuple[str, Callable[[list[Rec]], Any]]],
    sort: Sequence[tuple[str, bool]] = (),
    limit: int = LIMIT,
) -> list[Row]:
    """A stats result: group keys then aggregates, in the sort order then by every column."""
    groups: dict[tuple[Any, ...], list[Rec]] = {}
    for r in records:
        if where(r):
            groups.setdefault(tuple(get(r) for _, get in by), []).append(r)
    if not by and not groups:
        groups[()] = []  # an aggregate over no rows is still one row
    rows = [
        {**{n: k for (n, _), k in zip(by, key, strict=True)}, **{n: f(g) for n, f in aggregates}}
        for key, g in groups.items()
    ]
    names = [n for n, _ in by] + [n for n, _ in aggregates]
    keys = [(lambda r, s=s: r[s], desc) for s, desc in sort]
    keys += [(lambda r, n=n: r[n], False) for n in names]
    return [{k: plain(v) for k, v in row.items()} for row in ordered(rows, keys)[:limit]]


def total(field: str) -> Callable[[list[Rec]], Any]:
    def f(group: list[Rec]) -> Any:
        values = [r[field] for r in group if r[field] is not None]
        return sum(values) if values else None

    return f


def mean(field: str) -> Callable[[list[Rec]], Any]:
    def f(group: list[Rec]) -> Any:
        values = [r[field] for r in group if r[field] is not None]
        return statistics.fmean(values) if values else None

    return f


def extreme(field: str, pick: Callable[..., Any]) -> Callable[[list[Rec]], Any]:
    def f(group: list[Rec]) -> Any:
        values = [r[field] for r in group if r[field] is not None]
        return pick(values) if values else None

    return f


def count(group: list[Rec]) -> int:
    return len(group)


def field(name: str) -> tuple[str, Callable[[Rec], Any]]:
    return (name, lambda r: r[name])


def bin_of(seconds: int, name: str) -> tuple[str, Callable[[Rec], Any]]:
    """A bin(): the start of the period holding the record, whole periods since the epoch."""
    return (name, lambda r: datetime.fromtimestamp(r["start"] // seconds * seconds, UTC))


def like(value: Any, text: str) -> bool:
    return value is not None and text in str(value)


def not_like(value: Any, text: str) -> bool:
    return value is not None and text not in str(value)


def in_subnet(value: Any, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(cidr)
    except (TypeError, ValueError):
        return False


def everything(r: Rec) -> bool:
    return True


def rejected(r: Rec) -> bool:
    return r["action"] == "REJECT"


Expected = Callable[[list[Rec]], list[Row]]

# -- the seeds' queries, as written there (placeholders filled with the lake's addresses) ------

NAT_PRIVATE = "10.0."  # AWS's 'y.y.': the first two octets of the VPC's CIDR


def nat_like(src: str | None = None, dst: str | None = None) -> Callable[[Rec], bool]:
    def f(r: Rec) -> bool:
        return (src is None or like(r["srcAddr"], src)) and (dst is None or like(r["dstAddr"], dst))

    return f


SEED_QUERIES: dict[str, tuple[str, Expected]] = {
    "step-2-reject-listing": (
        # 000: "Step 2: Check the Flow Log Entry"
        "fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, action"
        '| filter action="REJECT"| sort @timestamp desc',
        lambda rs: listing(
            rs,
            rejected,
            ["@timestamp", "interfaceId", "srcAddr", "dstAddr", "srcPort", "dstPort", "action"],
        ),
    ),
    "basic-traffic-analysis": (
        # 003: "Basic Traffic Analysis"
        "fields @timestamp, srcAddr, dstAddr, action, bytes\n| filter dstPort = 443\n"
        "| stats sum(bytes) as totalTraffic by srcAddr\n| sort totalTraffic desc",
        lambda rs: stats(
            rs,
            lambda r: r["dstPort"] == 443,
            [field("srcAddr")],
            [("totalTraffic", total("bytes"))],
            sort=[("totalTraffic", True)],
        ),
    ),
    "security-investigation": (
        # 003: "Security Investigation"
        "fields @timestamp, srcAddr, dstAddr, dstPort\n"
        '| filter action = "REJECT" and dstPort = 22\n| limit 50',
        lambda rs: listing(
            rs,
            lambda r: rejected(r) and r["dstPort"] == 22,
            ["@timestamp", "srcAddr", "dstAddr", "dstPort"],
            limit=50,
        ),
    ),
    "nat-gateway-health-check": (
        # 003: "NAT Gateway Health Check"
        "fields @timestamp, srcAddr, dstAddr\n"
        '| filter srcAddr like "10.0.1." and isIpv4InSubnet(dstAddr, "8.8.8.0/24")\n'
        "| stats count() by bin(5m)",
        lambda rs: stats(
            rs,
            lambda r: like(r["srcAddr"], "10.0.1.") and in_subnet(r["dstAddr"], "8.8.8.0/24"),
            [bin_of(300, "bin(5m)")],
            [("count()", count)],
        ),
    ),
    "why-is-my-traffic-blocked": (
        # 003: "A. Why is my traffic blocked?"
        'fields @timestamp, srcAddr, dstAddr, dstPort, action\n| filter action = "REJECT"\n'
        "| sort @timestamp desc\n| limit 50",
        lambda rs: listing(
            rs, rejected, ["@timestamp", "srcAddr", "dstAddr", "dstPort", "action"], limit=50
        ),
    ),
    "suspicious-ip-as-written": (
        # 003: "B. Who's talking to this suspicious IP?" (no such address in the lake)
        "fields @timestamp, srcAddr, dstAddr, bytes\n"
        '| filter dstAddr = "54.239.25.200" # Example: AWS external IP\n'
        "| stats sum(bytes) as totalBytes by srcAddr\n| sort totalBytes desc",
        lambda rs: stats(
            rs,
            lambda r: r["dstAddr"] == "54.239.25.200",
            [field("srcAddr")],
            [("totalBytes", total("bytes"))],
            sort=[("totalBytes", True)],
        ),
    ),
    "suspicious-ip-web-server": (
        "fields @timestamp, srcAddr, dstAddr, bytes\n"
        f'| filter dstAddr = "{WEB_ADDR}" # the web server\n'
        "| stats sum(bytes) as totalBytes by srcAddr\n| sort totalBytes desc",
        lambda rs: stats(
            rs,
            lambda r: r["dstAddr"] == WEB_ADDR,
            [field("srcAddr")],
            [("totalBytes", total("bytes"))],
            sort=[("totalBytes", True)],
        ),
    ),
    "is-my-nat-gateway-working": (
        # 003: "C. Is my NAT Gateway working?"
        "fields @timestamp, srcAddr, dstAddr, action\n"
        '| filter srcAddr like "10.0.1." and dstAddr like "8.8.8."\n'
        "| stats count(*) by bin(5m) # Traffic volume over time",
        lambda rs: stats(
            rs,
            nat_like("10.0.1.", "8.8.8."),
            [bin_of(300, "bin(5m)")],
            [("count(*)", count)],
        ),
    ),
    "top-talkers-bar-chart": (
        # 003: visualization, "Bar chart: Top talkers"
        "stats count(*) by srcAddr",
        lambda rs: stats(rs, everything, [field("srcAddr")], [("count(*)", count)]),
    ),
    "traffic-spikes-time-series": (
        # 003: visualization, "Time series: Traffic spikes"
        "stats sum(bytes) by bin(1h)",
        lambda rs: stats(
            rs, everything, [bin_of(3600, "bin(1h)")], [("sum(bytes)", total("bytes"))]
        ),
    ),
    "broken-nat-gateway": (
        # 003: "Real-World Example: Troubleshooting a Broken NAT Gateway"
        'fields @timestamp, srcAddr, dstAddr, action | filter srcAddr like "10.0.1." and '
        'dstAddr like "8.8.8." | sort @timestamp desc',
        lambda rs: listing(
            rs, nat_like("10.0.1.", "8.8.8."), ["@timestamp", "srcAddr", "dstAddr", "action"]
        ),
    ),
    "passive-monitoring-as-written": (
        # 003: "Passive Monitoring" (no such address in the lake)
        'fields @timestamp, srcAddr, dstAddr, action | filter dstAddr = "10.0.2.5" and '
        'action = "REJECT"',
        lambda rs: listing(
            rs,
            lambda r: r["dstAddr"] == "10.0.2.5" and rejected(r),
            ["@timestamp", "srcAddr", "dstAddr", "action"],
        ),
    ),
    "passive-monitoring-bastion": (
        f'fields @timestamp, srcAddr, dstAddr, action | filter dstAddr = "{BASTION_ADDR}" and '
        'action = "REJECT"',
        lambda rs: listing(
            rs,
            lambda r: r["dstAddr"] == BASTION_ADDR and rejected(r),
            ["@timestamp", "srcAddr", "dstAddr", "action"],
        ),
    ),
    "rejects-on-an-eni": (
        # 004: "find out rejects on a particular ENI"
        "stats sum(packets) as packetsTransferred by srcAddr, dstAddr\n"
        "| sort packetsTransferred desc\n| limit 15",
        lambda rs: stats(
            rs,
            everything,
            [field("srcAddr"), field("dstAddr")],
            [("packetsTransferred", total("packets"))],
            sort=[("packetsTransferred", True)],
            limit=15,
        ),
    ),
    "addresses-trying-to-connect": (
        # 004: "list of IP addresses trying to connect to specific IP or CIDR", its curly quote
        # kept, its placeholder "xxx.xxx.xxx.xxx" the SSH attacker; the filter written after
        # limit narrows the rows the limit counts
        "fields @timestamp, srcAddr, dstAddr\n| sort @timestamp desc\n| limit 5\n"
        f'| filter srcAddr like \u201c{SSH_ATTACKER}"',
        lambda rs: listing(
            rs,
            lambda r: like(r["srcAddr"], SSH_ATTACKER),
            ["@timestamp", "srcAddr", "dstAddr"],
            limit=5,
        ),
    ),
    "addresses-trying-to-connect-as-written": (
        "fields @timestamp, srcAddr, dstAddr\n| sort @timestamp desc\n| limit 5\n"
        '| filter srcAddr like \u201cxxx.xxx.xxx.xxx"',
        lambda rs: [],
    ),
}

# -- AWS's sample queries for flow logs (CloudWatch Logs Insights sample queries), as AWS
# writes them; NAT gateway placeholders: x.x.x.x the gateway's private address, y.y. the VPC's
# first two octets -------------------------------------------------------------------------

AWS_QUERIES: dict[str, tuple[str, Expected]] = {
    "top-15-packet-transfers": (
        "stats sum(packets) as packetsTransferred by srcAddr, dstAddr\n"
        "    | sort packetsTransferred  desc\n    | limit 15",
        SEED_QUERIES["rejects-on-an-eni"][1],
    ),
    "top-15-byte-transfers-in-subnet": (
        'filter isIpv4InSubnet(srcAddr, "192.0.2.0/24")\n'
        "    | stats sum(bytes) as bytesTransferred by dstAddr\n"
        "    | sort bytesTransferred desc\n    | limit 15",
        lambda rs: stats(
            rs,
            lambda r: in_subnet(r["srcAddr"], "192.0.2.0/24"),
            [field("dstAddr")],
            [("bytesTransferred", total("bytes"))],
            sort=[("bytesTransferred", True)],
            limit=15,
        ),
    ),
    "udp-users": (
        "filter protocol=17 | stats count(*) by srcAddr",
        lambda rs: stats(
            rs, lambda r: r["protocol"] == 17, [field("srcAddr")], [("count(*)", count)]
        ),
    ),
    "skipdata-by-hour": (
        'filter logStatus="SKIPDATA"\n    | stats count(*) by bin(1h) as t\n    | sort t',
        lambda rs: stats(
            rs,
            lambda r: r["logStatus"] == "SKIPDATA",
            [bin_of(3600, "t")],
            [("count(*)", count)],
            sort=[("t", False)],
        ),
    ),
    "avg-min-max-bytes-by-pair": (
        "stats avg(bytes), min(bytes), max(bytes) by srcAddr, dstAddr",
        lambda rs: stats(
            rs,
            everything,
            [field("srcAddr"), field("dstAddr")],
            [
                ("avg(bytes)", mean("bytes")),
                ("min(bytes)", extreme("bytes", min)),
                ("max(bytes)", extreme("bytes", max)),
            ],
        ),
    ),
    "top-10-byte-transfers": (
        "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr |\n"
        "sort bytesTransferred desc |\nlimit 10",
        lambda rs: stats(
            rs,
            everything,
            [field("srcAddr"), field("dstAddr")],
            [("bytesTransferred", total("bytes"))],
            sort=[("bytesTransferred", True)],
            limit=10,
        ),
    ),
    "top-20-rejected-sources": (
        'filter action="REJECT" |\nstats count(*) as numRejections by srcAddr |\n'
        "sort numRejections desc |\nlimit 20",
        lambda rs: stats(
            rs,
            rejected,
            [field("srcAddr")],
            [("numRejections", count)],
            sort=[("numRejections", True)],
            limit=20,
        ),
    ),
    "nat-top-senders": (
        f"filter (dstAddr like '{NAT_ADDR}' and srcAddr like '{NAT_PRIVATE}') \n"
        "| stats sum(bytes) as bytesTransferred by srcAddr, dstAddr\n"
        "| sort bytesTransferred desc\n| limit 10",
        lambda rs: nat_bytes(rs, nat_like(NAT_PRIVATE, NAT_ADDR)),
    ),
    "nat-to-and-from-instances": (
        f"filter (dstAddr like '{NAT_ADDR}' and srcAddr like '{NAT_PRIVATE}') or "
        f"(srcAddr like '{NAT_ADDR}' and dstAddr like '{NAT_PRIVATE}')\n"
        "| stats sum(bytes) as bytesTransferred by srcAddr, dstAddr\n"
        "| sort bytesTransferred desc\n| limit 10",
        lambda rs: nat_bytes(
            rs,
            lambda r: nat_like(NAT_PRIVATE, NAT_ADDR)(r) or nat_like(NAT_ADDR, NAT_PRIVATE)(r),
        ),
    ),
    "nat-uploads": (
        f"filter (srcAddr like '{NAT_ADDR}' and dstAddr not like '{NAT_PRIVATE}') \n"
        "| stats sum(bytes) as bytesTransferred by srcAddr, dstAddr\n"
        "| sort bytesTransferred desc\n| limit 10",
        lambda rs: nat_bytes(
            rs, lambda r: like(r["srcAddr"], NAT_ADDR) and not_like(r["dstAddr"], NAT_PRIVATE)
        ),
    ),
    "nat-downloads": (
        f"filter (dstAddr like '{NAT_ADDR}' and srcAddr not like '{NAT_PRIVATE}') \n"
        "| stats sum(bytes) as bytesTransferred by srcAddr, dstAddr\n"
        "| sort bytesTransferred desc\n| limit 10",
        lambda rs: nat_bytes(
            rs, lambda r: like(r["dstAddr"], NAT_ADDR) and not_like(r["srcAddr"], NAT_PRIVATE)
        ),
    ),
}


def nat_bytes(rs: list[Rec], where: Callable[[Rec], bool]) -> list[Row]:
    return stats(
        rs,
        where,
        [field("srcAddr"), field("dstAddr")],
        [("bytesTransferred", total("bytes"))],
        sort=[("bytesTransferred", True)],
        limit=10,
    )


ALL_QUERIES = {**{f"seed:{k}": v for k, v in SEED_QUERIES.items()}, **AWS_QUERIES}


_ENGINES: dict[str, DuckDBEngine] = {}


def run(cli, sample, query: str, *options: str) -> list[Row]:  # type: ignore[no-untyped-def]
    """The query's rows from `flowlake insights` on the sample lake. Without options, its
    Athena SQL is also checked: it passes the function lint and, translated back to DuckDB,
    gives the rows of the DuckDB SQL."""
    result = cli("insights", query, "--lake", sample.root, "--format", "json", *options)
    assert result.code == 0, result.err
    if not options and query != "-":
        engine = _ENGINES.setdefault(str(sample.root), DuckDBEngine(Lake(str(sample.root))))
        check_athena(engine, query)
    return json.loads(result.out)


def check_athena(engine: DuckDBEngine, query: str) -> None:
    columns = engine.columns()
    athena = translate(query, "athena", columns).sql
    assert lint_athena(athena) == []
    duckdb_rows = engine.run(translate(query, "duckdb", columns).sql).rows()
    # floats compared approximately: DuckDB sums them in parallel, in any order
    assert_rows(engine.run(athena_to_duckdb(athena)).rows(), duckdb_rows)


def assert_rows(actual: list[Row], expected: list[Row]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert list(got) == list(want), "columns and their order"
        for name, value in want.items():
            if isinstance(value, float) or isinstance(got[name], float):
                assert got[name] == pytest.approx(value, rel=1e-9), name
            else:
                assert got[name] == value, name


# -- the seeds' and AWS's queries ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_QUERIES))
def test_query_gives_the_answer_computed_from_the_records_in_both_dialects(
    cli, sample, records, name
) -> None:  # type: ignore[no-untyped-def]
    query, expected = ALL_QUERIES[name]
    assert_rows(run(cli, sample, query), expected(records))  # run() checks the Athena SQL too


def test_the_queries_find_the_seeds_stories(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    """The answers above are not empty where the lake holds the story (known figures)."""
    expected = sample.expected
    ssh = run(cli, sample, SEED_QUERIES["security-investigation"][0])
    assert len(ssh) == min(50, expected.ssh_rejects) and {r["srcAddr"] for r in ssh} == {
        SSH_ATTACKER
    }
    nat = run(cli, sample, SEED_QUERIES["nat-gateway-health-check"][0])
    assert nat and max(r["bin(5m)"] for r in nat) < plain(expected.nat_stop_at)
    skipped = run(cli, sample, AWS_QUERIES["skipdata-by-hour"][0])
    assert sum(r["count(*)"] for r in skipped) == expected.skipdata == 3
    rejects = run(cli, sample, AWS_QUERIES["top-20-rejected-sources"][0])
    assert rejects[0]["srcAddr"] == "10.0.3.10"  # the database whose answers the NACL drops
    assert rejects[0]["numRejections"] == expected.eph_responses_rejected


def test_ip_functions_write_the_macros_constructs(engine) -> None:  # type: ignore[no-untyped-def]
    query = SEED_QUERIES["nat-gateway-health-check"][0]
    athena = translate(query, "athena").sql
    assert "CONTAINS('8.8.8.0/24', TRY_CAST(dstaddr AS IPADDRESS))" in athena
    assert "FLOWLAKE_IPV4_INT(dstaddr) BETWEEN 134744064 AND 134744319" in translate(query).sql
    v6 = 'filter isIpv6InSubnet(srcAddr, "2001:db8:1234:a100::/64") | stats count(*) as n'
    assert (
        "FLOWLAKE_IPV6_HEX(srcaddr) BETWEEN '20010db81234a1000000000000000000'" in translate(v6).sql
    )
    assert (
        "CONTAINS('2001:db8:1234:a100::/64', TRY_CAST(srcaddr AS IPADDRESS))"
        in translate(v6, "athena").sql
    )


# -- the language, piece by piece ------------------------------------------------------------


def test_functions(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    query = (
        "fields srcAddr, strlen(srcAddr) as n, toupper(action) as up, tolower(logStatus) as low,"
        ' concat(srcAddr, ":", dstPort) as ep, substr(interfaceId, 4, 5) as sub,'
        ' substr(interfaceId, 4) as tail, replace(srcAddr, ".", "-") as rep,'
        ' trim(concat("  ", action, " ")) as tr, ltrim("xxa", "x") as lt,'
        " abs(srcPort - dstPort) as d, ceil(bytes / packets) as c, floor(bytes / packets) as f,"
        " greatest(srcPort, dstPort) as g, least(srcPort, dstPort) as l, bytes % 7 as m,"
        " 2 ^ 3 as p, -packets + 1 as neg, toMillis(@timestamp) as ms,"
        " fromMillis(start * 1000) as back, datefloor(@timestamp, 1h) as hour,"
        " dateceil(@timestamp, 15m) as quarter, isempty(subnetId) as e, isblank(srcAddr) as b,"
        ' ispresent(dstAddr) as present, strcontains(srcAddr, "113") as has113\n'
        '| filter logStatus = "OK" and dstPort in [22, 443] and srcAddr not like /^10\\./\n'
        "| sort @timestamp desc | limit 40"
    )

    def when(r: Rec) -> datetime:
        return r["@timestamp"]

    columns: list[Column] = [
        "srcAddr",
        ("n", lambda r: len(r["srcAddr"])),
        ("up", lambda r: r["action"].upper()),
        ("low", lambda r: r["logStatus"].lower()),
        ("ep", lambda r: f"{r['srcAddr']}:{r['dstPort']}"),
        ("sub", lambda r: r["interfaceId"][4:9]),
        ("tail", lambda r: r["interfaceId"][4:]),
        ("rep", lambda r: r["srcAddr"].replace(".", "-")),
        ("tr", lambda r: r["action"]),
        ("lt", lambda r: "a"),
        ("d", lambda r: abs(r["srcPort"] - r["dstPort"])),
        ("c", lambda r: math.ceil(r["bytes"] / r["packets"])),
        ("f", lambda r: math.floor(r["bytes"] / r["packets"])),
        ("g", lambda r: max(r["srcPort"], r["dstPort"])),
        ("l", lambda r: min(r["srcPort"], r["dstPort"])),
        ("m", lambda r: r["bytes"] % 7),
        ("p", lambda r: 8),
        ("neg", lambda r: 1 - r["packets"]),
        ("ms", lambda r: r["start"] * 1000),
        ("back", when),
        ("hour", lambda r: when(r).replace(minute=0, second=0)),
        ("quarter", lambda r: datetime.fromtimestamp(math.ceil(r["start"] / 900) * 900, UTC)),
        ("e", lambda r: False),
        ("b", lambda r: False),
        ("present", lambda r: True),
        ("has113", lambda r: int("113" in r["srcAddr"])),
    ]
    expected = listing(
        records,
        lambda r: (
            r["logStatus"] == "OK"
            and r["dstPort"] in (22, 443)
            and not r["srcAddr"].startswith("10.")
        ),
        columns,
        limit=40,
    )
    assert len(expected) == 40
    assert_rows(run(cli, sample, query), expected)


def test_conditions(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    middle = sample.start + timedelta(minutes=90)
    query = (
        'filter action in ["REJECT"] and interfaceId =~ "0b2c" and dstPort not in [80, 443]'
        f' and @timestamp >= "{plain(middle)}"'
        f" and @timestamp < {int(sample.end.timestamp()) * 1000}"
        ' and not (srcAddr like "10." or protocol != 6) and dstPort >= "22" and bytes * 2 > 50'
        "\n| stats count(*) as n, count_distinct(dstAddr) as targets"
    )
    chosen = [
        r
        for r in records
        if rejected(r)
        and "0b2c" in r["interfaceId"]
        and r["dstPort"] not in (80, 443)
        and r["@timestamp"] >= middle
        and not r["srcAddr"].startswith("10.")
        and r["protocol"] == 6
        and r["dstPort"] >= 22
        and r["bytes"] * 2 > 50
    ]
    assert chosen
    assert run(cli, sample, query) == [
        {"n": len(chosen), "targets": len({r["dstAddr"] for r in chosen})}
    ]
    subnets = (
        'fields isIpv6InSubnet(srcAddr, "2001:db8:1234:a100::/56") as v6,'
        ' isIpInSubnet(dstAddr, "10.20.0.0/16") as b, isIpv4InSubnet(srcAddr, "0.0.0.0/0") as v4,'
        " coalesce(pktDstAwsService, flowDirection) as c\n"
        "| stats count(*) as n by v6, b, v4, c"
    )
    expected = stats(
        records,
        everything,
        [
            ("v6", lambda r: in_subnet(r["srcAddr"], "2001:db8:1234:a100::/56")),
            ("b", lambda r: in_subnet(r["dstAddr"], "10.20.0.0/16")),
            ("v4", lambda r: in_subnet(r["srcAddr"], "0.0.0.0/0")),
            ("c", lambda r: r["pktDstAwsService"] or r["flowDirection"]),
        ],
        [("n", count)],
    )
    rows = run(cli, sample, subnets)
    assert_rows(rows, expected)
    v6 = sum(r["n"] for r in rows if r["v6"])
    assert v6 == sum(
        1 for r in records if r["srcAddr"] and r["srcAddr"].startswith("2001:db8:1234:a1")
    )
    assert v6 > 0 and any(r["b"] for r in rows)


def test_parse_glob_and_regex_on_the_message(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    # the sample lake writes AWS's v5 custom format: version srcaddr dstaddr srcport dstport ...
    glob = (
        'parse @message "* * * * * *" as v, src, dst, sport, dport, rest\n'
        f'| filter dport = 22 and src = "{SSH_ATTACKER}"\n'
        "| stats count(*) as attempts, count_distinct(sport) as ports by v, dst"
    )
    attacks = [r for r in records if r["srcAddr"] == SSH_ATTACKER and r["dstPort"] == 22]
    assert run(cli, sample, glob) == [
        {
            "v": "5",
            "dst": BASTION_ADDR,
            "attempts": len(attacks),
            "ports": len({r["srcPort"] for r in attacks}),
        }
    ]
    assert len(attacks) == sample.expected.ssh_rejects
    regex = (
        "parse @message /^(?<ver>\\d+) (?<src>\\S+) (?<dst>\\S+)/\n"
        f'| filter src = "{SSH_ATTACKER}"\n'
        "| stats count(*) as attempts, count_distinct(dst) as targets by ver"
    )
    assert run(cli, sample, regex) == [{"ver": "5", "attempts": len(attacks), "targets": 1}]
    rest = f'parse @message "* * * *" as v, src, dst, rest | filter src = "{SSH_ATTACKER}"'
    rest += " | fields rest"
    assert_rows(
        run(cli, sample, rest),
        listing(
            records,
            lambda r: r["srcAddr"] == SSH_ATTACKER,
            [("rest", lambda r: r["@message"].split(" ", 3)[3])],
        ),
    )
    # no match: the fields are missing, not empty strings
    none = 'parse @message "nothing * like this" as x | filter ispresent(x) | stats count(*) as n'
    assert run(cli, sample, none) == [{"n": 0}]


def test_message_and_log_stream_rebuild_the_record(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    query = f'fields @message, @logStream | filter srcAddr = "{SSH_ATTACKER}"'
    expected = listing(records, lambda r: r["srcAddr"] == SSH_ATTACKER, ["@message", "@logStream"])
    assert expected and expected[0]["@message"].startswith(f"5 {SSH_ATTACKER} {BASTION_ADDR} ")
    assert expected[0]["@logStream"] == f"{sample.expected.ssh_bastion_eni}-all"
    assert_rows(run(cli, sample, query), expected)
    # a bare query shows @timestamp and @message, newest first
    bare = run(cli, sample, f'filter srcAddr = "{SSH_ATTACKER}"')
    assert_rows(
        bare,
        listing(records, lambda r: r["srcAddr"] == SSH_ATTACKER, ["@timestamp", "@message"]),
    )


def test_field_names_camel_case_raw_and_any_case(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    query = (
        "fields pktSrcAddr, tcpFlags, flowDirection, trafficPath, azId, pktDstAwsService,"
        " startTime, endTime, srcaddr, TCPFLAGS as shouted, SRCADDR as loud, `dstport` as quoted\n"
        '| filter interfaceId = "eni-0a1b2c3d4e5f600dc" | limit 12'
    )
    expected = listing(
        records,
        lambda r: r["interfaceId"] == "eni-0a1b2c3d4e5f600dc",
        [
            "pktSrcAddr",
            "tcpFlags",
            "flowDirection",
            "trafficPath",
            "azId",
            "pktDstAwsService",
            ("startTime", lambda r: r["start"]),
            ("endTime", lambda r: r["end"]),
            ("srcaddr", lambda r: r["srcAddr"]),
            ("shouted", lambda r: r["tcpFlags"]),
            ("loud", lambda r: r["srcAddr"]),
            ("quoted", lambda r: r["dstPort"]),
        ],
        limit=12,
    )
    assert len(expected) == 12
    assert_rows(run(cli, sample, query), expected)
    assert insights_name("pkt_src_aws_service") == "pktSrcAwsService"
    assert insights_name("tgw_src_eni") == "tgwSrcEni"


def test_dedup_keeps_the_first_in_sort_order_and_missing_values(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    query = (
        'fields @timestamp, srcAddr, dstPort | filter action = "REJECT" | sort @timestamp desc'
        " | dedup dstPort"
    )
    newest = listing(records, rejected, ["@timestamp", "srcAddr", "dstPort"])
    seen: set[int] = set()
    expected = []
    for row in newest:
        if row["dstPort"] not in seen:
            seen.add(row["dstPort"])
            expected.append(row)
    assert len(expected) == len({p for p, _ in sample.expected.rejects_by_port})
    assert_rows(run(cli, sample, query), expected)
    # NODATA and SKIPDATA records have no source address: none of them is a duplicate
    rows = run(cli, sample, "fields interfaceId, srcAddr | dedup srcAddr | limit 5000")
    sources = {r["srcAddr"] for r in records if r["srcAddr"] is not None}
    missing = sum(r["srcAddr"] is None for r in records)
    assert missing == sample.expected.nodata + sample.expected.skipdata
    assert len(rows) == len(sources) + missing


def test_display_shows_the_last_display(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    query = (
        "FIELDS @message\n"
        '| PARSE @message "* * * * * *" as v, src, dst, sport, dport, rest\n'
        '| FILTER dport IN ["22", "3306"]\n'
        "| DISPLAY srcAddr\n"
        '| DISPLAY src, dport, dport = "22" as isSsh\n| LIMIT 30'
    )

    def port(r: Rec) -> str:
        return r["@message"].split(" ")[4]

    expected = listing(
        records,
        lambda r: port(r) in ("22", "3306"),
        [
            ("src", lambda r: r["@message"].split(" ")[1]),
            ("dport", port),
            ("isSsh", lambda r: port(r) == "22"),
        ],
        limit=30,
    )
    assert len(expected) == 30
    assert_rows(run(cli, sample, query), expected)


def test_aggregates_and_stats_over_stats(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    query = (
        f'filter srcAddr = "{SSH_ATTACKER}"\n'
        "| stats earliest(srcPort) as firstPort, latest(srcPort) as lastPort,"
        " min(@timestamp) as firstSeen, max(@timestamp) as lastSeen,"
        " count_distinct(srcPort) as ports, stddev(srcPort) as spread, pct(packets, 50) as p50,"
        " sortsFirst(action) as a, count(dstPort) as counted, sum(bytes) / count(*) as perFlow"
        " by dstAddr"
    )
    attacks = sorted((r for r in records if r["srcAddr"] == SSH_ATTACKER), key=lambda r: r["start"])
    assert len({r["start"] for r in attacks}) == len(attacks), "earliest/latest need one first"
    assert run(cli, sample, query) == [
        {
            "dstAddr": BASTION_ADDR,
            "firstPort": attacks[0]["srcPort"],
            "lastPort": attacks[-1]["srcPort"],
            "firstSeen": plain(attacks[0]["@timestamp"]),
            "lastSeen": plain(attacks[-1]["@timestamp"]),
            "ports": len({r["srcPort"] for r in attacks}),
            "spread": pytest.approx(statistics.stdev(r["srcPort"] for r in attacks)),
            "p50": 2,
            "a": "REJECT",
            "counted": len(attacks),
            "perFlow": 120.0,
        }
    ]
    twice = (
        'filter action = "REJECT" | stats count(*) as n by dstPort | filter n >= 5'
        " | stats count(*) as ports, sum(n) as rejects"
    )
    per_port: dict[int, int] = {}
    for r in records:
        if rejected(r):
            per_port[r["dstPort"]] = per_port.get(r["dstPort"], 0) + 1
    busy = [n for n in per_port.values() if n >= 5]
    assert run(cli, sample, twice) == [{"ports": len(busy), "rejects": sum(busy)}]
    # a limit before stats: the statistics of the rows it keeps
    top = "sort bytes desc | limit 10 | stats count(*) as n, sum(bytes) as topBytes"
    largest = sorted((r["bytes"] for r in records if r["bytes"] is not None), reverse=True)
    assert run(cli, sample, top) == [{"n": 10, "topBytes": sum(largest[:10])}]


def test_bins_are_multiples_of_the_period_since_the_epoch(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    rows = run(cli, sample, "stats count(*) as n by bin(7m) as slot | sort slot desc")
    assert_rows(
        rows,
        stats(records, everything, [bin_of(420, "slot")], [("n", count)], sort=[("slot", True)]),
    )
    assert all(datetime.fromisoformat(r["slot"]).timestamp() % 420 == 0 for r in rows)
    months = run(
        cli, sample, "stats count(*) as n by bin(1mo) as month, datefloor(@timestamp, 1d) as day"
    )
    assert sum(r["n"] for r in months) == len(records)
    first_days = {r["@timestamp"].replace(day=1, hour=0, minute=0, second=0) for r in records}
    assert {r["month"] for r in months} == {plain(d) for d in first_days}


def test_time_window(cli, sample, records) -> None:  # type: ignore[no-untyped-def]
    since = sample.start + timedelta(minutes=60)
    until = since + timedelta(minutes=30)
    window = ["--since", plain(since), "--until", plain(until)]
    rows = run(cli, sample, "stats count(*) as n, min(@timestamp) as first", *window)
    inside = [r for r in records if since <= r["@timestamp"] < until]
    assert rows == [{"n": len(inside), "first": plain(min(r["@timestamp"] for r in inside))}]
    shown = cli("insights", "stats count(*)", "--show-sql", "--dialect", "athena", *window)
    assert shown.code == 0 and f"\"day\" BETWEEN '{since:%Y/%m/%d}'" in shown.out
    assert f"FROM_ISO8601_TIMESTAMP('{plain(since)}')" in shown.out


def test_without_limit_the_default_limit_and_newest_first(
    cli, sample, records, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from flowlake.insights import to_sql

    assert to_sql.DEFAULT_LIMIT == LIMIT
    assert "LIMIT 10000" in translate("fields srcAddr").sql
    monkeypatch.setattr(to_sql, "DEFAULT_LIMIT", 7)
    rows = run(cli, sample, 'fields @timestamp, action | filter action = "ACCEPT"')
    expected = listing(
        records, lambda r: r["action"] == "ACCEPT", ["@timestamp", "action"], limit=7
    )
    assert_rows(rows, expected)
    assert rows == sorted(rows, key=lambda r: r["@timestamp"], reverse=True)


def test_values_reach_sql_as_literals(cli, sample) -> None:  # type: ignore[no-untyped-def]
    hostile = "filter action = \"x' OR '1'='1\" or srcAddr in [\"'); DROP TABLE flow_logs; --\"]"
    assert run(cli, sample, hostile) == []
    assert "'x'' OR ''1''=''1'" in translate(hostile).sql


# -- the command -----------------------------------------------------------------------------


def test_show_sql_prints_each_dialect(cli, sample) -> None:  # type: ignore[no-untyped-def]
    query = 'filter isIpv4InSubnet(srcAddr, "10.0.0.0/8") | stats count(*) as n by bin(5m)'
    athena = cli("insights", query, "--show-sql", "--dialect", "athena")
    assert athena.code == 0, athena.err
    assert "CONTAINS('10.0.0.0/8', TRY_CAST(srcaddr AS IPADDRESS))" in athena.out
    assert athena.out.rstrip().endswith(";") and lint_athena(athena.out) == []
    duck = cli("insights", query, "--show-sql")
    assert "FLOWLAKE_IPV4_INT(srcaddr) BETWEEN 167772160 AND 184549375" in duck.out
    # @message is the line of the lake's format: AWS's default, --fields, or the lake's own
    default = cli("insights", "fields @message", "--show-sql").out
    assert "CAST(log_status AS TEXT)" in default and "flow_direction" not in default
    custom = cli(
        "insights", "fields @message", "--show-sql", "--fields", "srcaddr dstaddr action"
    ).out
    assert "log_status" not in custom and "CAST(srcaddr AS TEXT)" in custom
    lake = cli("insights", "fields @message", "--show-sql", "--lake", sample.root).out
    assert (
        lake.index("CAST(version") < lake.index("CAST(srcaddr") < lake.index("CAST(flow_direction")
    )


def test_query_from_stdin(cli, sample, records, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        sys, "stdin", io.StringIO('filter action = "REJECT"\n| stats count(*) as n\n')
    )
    assert run(cli, sample, "-") == [{"n": sample.expected.rejected}]


def test_help_has_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("insights", "--help")
    assert result.code == 0 and "Example: flowlake insights" in " ".join(result.out.split())


class FakeAthena:
    """Athena as the insights command sees it (flowlake.engines.athena.AthenaEngine): a table
    whose columns end with a partition column, queried in Athena SQL. It checks that SQL with
    the lint and runs it translated back to DuckDB over the sample lake."""

    name = dialect = "athena"

    def __init__(self, duckdb: DuckDBEngine) -> None:
        self.duckdb = duckdb
        self.sql: list[str] = []

    def glue_table(self) -> dict[str, Any]:
        return {"PartitionKeys": [{"Name": "day", "Type": "string"}]}

    def columns(self) -> list[str]:
        lake = [c for c in self.duckdb.columns() if not c.endswith("_time")]
        return [*lake, "day", "start_time", "end_time"]

    def run(self, sql: str) -> Any:
        assert lint_athena(sql) == []
        self.sql.append(sql)
        return self.duckdb.run(athena_to_duckdb(sql))


def test_athena_engine_gets_athena_sql_over_its_table(
    cli, sample, records, engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from flowlake import insights
    from flowlake.cli import athena_cmd

    query, expected = SEED_QUERIES["nat-gateway-health-check"]
    athena = FakeAthena(engine)
    run = insights.run(query, Lake(str(sample.root)), athena)
    assert "CONTAINS('8.8.8.0/24', TRY_CAST(dstaddr AS IPADDRESS))" in athena.sql[0]
    assert run.translation.dialect == "athena"
    assert_rows([{k: plain(v) for k, v in r.items()} for r in run.result.rows()], expected(records))
    # the table's partition column is no part of the line (DuckDB has no `day` to read)
    line = insights.run(
        f'fields @message | filter srcAddr = "{SSH_ATTACKER}" | limit 1',
        Lake(str(sample.root)),
        athena,
    )
    assert len(line.result.rows()[0]["@message"].split(" ")) == len(sample.fields)

    # the command: Athena set up as `query --engine athena` does, the window in the SQL
    since, until = sample.start + timedelta(hours=1), sample.end
    window = TimeWindow(since, until)
    monkeypatch.setattr(
        athena_cmd, "athena_query", lambda *options: (Lake(str(sample.root), window), athena)
    )
    result = cli("insights", query, "--engine", "athena", "-f", "json")
    assert result.code == 0, result.err
    assert '"day" BETWEEN' in athena.sql[-1]
    inside = [r for r in records if since <= r["@timestamp"] < until]
    assert_rows(json.loads(result.out), expected(inside))
    assert len(expected(inside)) < len(expected(records))


ERRORS = [
    ("fields srcAddr | pattern @message", "at 1:18: unsupported command 'pattern'"),
    ("fields srcAddr | frobnicate", "at 1:18: unknown command 'frobnicate'"),
    ("fields foo(srcAddr)", "at 1:8: unknown function foo()"),
    ("filter isValidIp(srcAddr)", "at 1:8: unsupported function isValidIp()"),
    ('filter action = = "REJECT"', "at 1:17: unexpected '='"),
    ('filter action = "REJECT', "at 1:17: unexpected character '\"'"),
    ("fields srcAddr\n| filter dstPort >", "at 2:18: unexpected end of query"),
    ("fields srcAddr |", "at 1:16: a command is missing after '|'"),
    ("filter nosuch = 1", "at 1:8: unknown field nosuch"),
    ("fields count(*)", "at 1:8: count() only goes in stats"),
    ("stats srcAddr", "at 1:7: stats needs an aggregate function"),
    ("stats sum(count(*))", "at 1:11: count() cannot go inside sum()"),
    ("stats count(*), count(*)", "at 1:17: stats names 'count(*)' twice"),
    (
        "stats count(*) by srcAddr | filter dstPort = 22",
        "at 1:36: field dstPort is not in the result of stats",
    ),
    ('filter isIpv4InSubnet(srcAddr, "10.0.0.0/33")', "at 1:32: '10.0.0.0/33' is not a CIDR block"),
    ('filter isIpv4InSubnet(srcAddr, "2001:db8::/32")', "takes an IPv4 subnet"),
    ("fields srcAddr | dedup srcAddr | sort srcAddr", "at 1:34: only limit may follow dedup"),
    ("stats count(*) by bin(2mo)", "at 1:23: a period of 2mo"),
    ("filter bytes > 5m", "at 1:16: a period such as 5m goes in bin()"),
    ('parse @message "* *" as a', "at 1:16: parse pattern has 2 '*' but 1 name(s)"),
    ("parse @message /(\\d+)/", "at 1:16: a parse regex names what it extracts"),
    ("filter srcAddr like /(unclosed/", "at 1:21: invalid regular expression"),
    ("filter srcAddr", "at 1:8: 'srcAddr' is not a condition"),
    ("limit 0", "at 1:7: limit must be at least 1"),
    ("", "the query is empty"),
]


@pytest.mark.parametrize(("query", "message"), ERRORS)
def test_bad_query_is_one_line_naming_it_and_where(cli, sample, query, message) -> None:  # type: ignore[no-untyped-def]
    result = cli("insights", query, "--lake", sample.root)
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert result.err.startswith("flowlake: error: insights query")
    assert message in result.err


def test_default_format_lake(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    v2 = write_sample_lake(tmp_path / "v2", hours=1, fields=list(DEFAULT_FORMAT))
    result = cli("insights", "fields flowDirection", "--lake", v2.root)
    assert result.code == 2
    assert "at 1:8: field flowDirection needs the flow-log field flow-direction" in result.err
    # a public query that parses the default format itself, its names shadowing the lake's
    query = (
        "fields @timestamp, @message\n"
        '| parse @message "* * * * * * * * * * * * * *" as version, account_id, interface_id,'
        " srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action,"
        " log_status\n"
        '| filter action = "REJECT"\n| sort @timestamp desc\n| limit 2000'
    )
    lines = [
        {
            "@timestamp": datetime.fromtimestamp(row["start"], UTC),
            "@message": " ".join("-" if v is None else str(v) for v in row.values()),
            "action": row["action"],
        }
        for row in v2.rows()
    ]
    assert all(len(line["@message"].split(" ")) == 14 for line in lines)
    expected = listing(lines, rejected, ["@timestamp", "@message"], limit=2000)
    assert len(expected) == v2.expected.rejected
    rows = json.loads(cli("insights", query, "--lake", v2.root, "-f", "json").out)
    assert_rows(rows, expected)


def test_bad_options(cli, sample) -> None:  # type: ignore[no-untyped-def]
    engine = cli("insights", "stats count(*)", "--lake", sample.root, "--engine", "spark")
    assert engine.code == 2 and "unknown engine 'spark'" in engine.err
    dialect = cli("insights", "stats count(*)", "--lake", sample.root, "--dialect", "athena")
    assert dialect.code == 2 and "--dialect goes with --show-sql" in dialect.err
    unknown = cli("insights", "stats count(*)", "--show-sql", "--dialect", "mysql")
    assert unknown.code == 2 and "unknown dialect 'mysql'" in unknown.err
