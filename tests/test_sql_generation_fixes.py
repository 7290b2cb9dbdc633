"""Views without the queries' default LIMIT, Athena's day window with --until alone, the address
family on every Athena CIDR test, an IPv6 destination in brackets, and chart ticks and labels."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlglot
from sqlglot import exp

from flowlake import sample_lake as s
from flowlake.athena.partitions import DAY_FORMATS, PartitionedWindow, java_to_strftime
from flowlake.catalog import catalog
from flowlake.charts import chart_data, chart_svg
from flowlake.compiler import compile_query, transpile
from flowlake.lint import lint_athena
from flowlake.timewindow import TimeWindow

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> s.SampleLake:
    return s.write_sample_lake(tmp_path_factory.mktemp("lake"), now=NOW, hours=6)


def query_rows(cli: Any, lake: s.SampleLake, name: str, *params: str) -> list[dict[str, Any]]:
    args = [a for p in params for a in ("-p", p)]
    result = cli("query", name, *args, "--lake", lake.root, "--format", "json")
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


# B2: a view is the whole answer, for a BI tool to filter


def test_exported_views_filtered_give_the_querys_answer(
    cli: Any, lake: s.SampleLake, tmp_path: Path
) -> None:
    target = tmp_path / "flows.duckdb"
    assert cli("export-duckdb", target, "--lake", lake.root).code == 0
    con = duckdb.connect(str(target), read_only=True)

    def count(sql: str) -> int:
        return int(con.execute(sql).fetchone()[0])  # type: ignore[index]

    attacker = "203.0.113.7"  # the SSH attacker: more records than flows' default 50
    many = "limit=100000"
    from_attacker = query_rows(cli, lake, "flows", f"src={attacker}", many)
    assert len(from_attacker) > 50
    assert count(f"SELECT count(*) FROM flows WHERE srcaddr = '{attacker}'") == len(from_attacker)
    rejected = query_rows(cli, lake, "recent-rejects", f"srcaddr={attacker}", many)
    sql = f"SELECT count(*) FROM recent_rejects WHERE srcaddr = '{attacker}'"
    assert count(sql) == len(rejected) > 50

    # an aggregate view: every group, not the top 20, so a filter finds port 445 too
    ports = query_rows(cli, lake, "reject-by-port", many)
    assert len(ports) > 20
    assert count("SELECT count(*) FROM reject_by_port") == len(ports)
    port_445 = query_rows(cli, lake, "reject-by-port", "port=445")
    row = con.execute("SELECT rejects, sources FROM reject_by_port WHERE dstport = 445").fetchall()
    assert row == [(port_445[0]["rejects"], port_445[0]["sources"])]
    # the order stays: a plain SELECT * reads as the query does
    top = con.execute("SELECT dstport, rejects FROM reject_by_port").fetchall()[:20]
    assert top == [(r["dstport"], r["rejects"]) for r in ports[:20]]


@pytest.mark.parametrize("dialect", ["duckdb", "athena"])
def test_printed_views_have_no_outermost_limit(cli: Any, dialect: str) -> None:
    result = cli("views", "--dialect", dialect)
    assert result.code == 0, result.err
    statements = [t for t in result.out.split(";\n") if t.strip()]
    assert len(statements) > 20
    for statement in statements:
        view = sqlglot.parse_one(statement, read=dialect)
        assert view.expression.args.get("limit") is None, statement


def test_a_view_keeps_a_limit_that_is_part_of_the_query() -> None:
    source = "WITH newest AS (SELECT x FROM t ORDER BY x DESC LIMIT 1) SELECT x FROM newest LIMIT 5"
    for dialect in ("duckdb", "athena"):
        tree = sqlglot.parse_one(transpile(source, dialect, view=True), read=dialect)
        assert tree.args.get("limit") is None
        assert tree.find(exp.CTE).find(exp.Limit).expression.name == "1"  # type: ignore[union-attr]
        assert "LIMIT 5" in transpile(source, dialect)  # not a view: unchanged


# B9: --until alone bounds Athena's partitions too


def test_until_alone_bounds_the_athena_days(cli: Any) -> None:
    result = cli("sql", "reject-by-port", "--dialect", "athena", "--until", "2024-05-03")
    assert result.code == 0, result.err
    assert "\"day\" <= '2024/05/03'" in result.out
    assert lint_athena(result.out) == []
    # records are filed by delivery, up to an hour after they start: the next day's too
    late = cli("sql", "reject-by-port", "--dialect", "athena", "--until", "2024-05-02T23:30Z")
    assert "\"day\" <= '2024/05/03'" in late.out
    # the Hive layout's table writes the day its own way
    until = datetime(2024, 5, 2, 12, tzinfo=UTC)
    hive = PartitionedWindow(None, until, day_format=java_to_strftime(DAY_FORMATS["hive"]))
    sql = compile_query("reject-by-port", {}, "athena", hive).sql
    assert "\"day\" <= 'year=2024/month=05/day=02'" in sql
    # a window with a start keeps its BETWEEN; DuckDB has no partitions
    both = TimeWindow(until - timedelta(days=1), until)
    assert (
        "\"day\" BETWEEN '2024/05/01' AND '2024/05/02'"
        in compile_query("reject-by-port", {}, "athena", both).sql
    )
    assert '"day"' not in compile_query("reject-by-port", {}, "duckdb", hive).sql


# IPv6 CIDRs: Athena's contains() holds IPv4 as IPv4-mapped IPv6, so ::/0 would match IPv4


def unguarded_cidr_tests(sql: str) -> list[str]:
    """Every contains(CIDR literal, address) of Athena SQL that is not the right side of an AND
    checking the address's family: strpos(address, ':') > 0 for an IPv6 CIDR, = 0 for IPv4."""
    bad = []
    for contains in sqlglot.parse_one(sql, read="athena").find_all(exp.ArrayContains):
        if not isinstance(contains.this, exp.Literal):
            continue  # a CIDR column: the cidr_contains macro, which checks the family
        address = contains.expression.this.sql("athena")
        guard = f"STRPOS({address}, ':') {'>' if ':' in contains.this.name else '='} 0"
        parent = contains.parent
        if not (isinstance(parent, exp.And) and parent.this.sql("athena") == guard):
            bad.append(contains.sql("athena"))
    return bad


def address_params() -> list[tuple[str, str]]:
    return [
        (name, p.name)
        for name, spec in sorted(catalog().items())
        for p in spec.params.values()
        if p.type == "address"
    ]


@pytest.mark.parametrize(("name", "param"), address_params())
@pytest.mark.parametrize("cidr", ["::/0", "10.0.0.0/8"])
def test_every_athena_cidr_test_checks_the_family(name: str, param: str, cidr: str) -> None:
    params = {**catalog()[name].example_params(), param: cidr}
    sql = compile_query(name, params, "athena").sql
    assert f"'{cidr}'" in sql
    assert unguarded_cidr_tests(sql) == []
    assert lint_athena(sql) == []


def test_an_ipv6_cidr_matches_no_ipv4_flow(cli: Any, lake: s.SampleLake) -> None:
    many = "limit=100000"
    everything = query_rows(cli, lake, "flows", many)
    ipv4 = [r for r in everything if ":" not in r["srcaddr"]]
    assert ipv4 and len(ipv4) < len(everything)  # both families in the lake
    ipv6 = query_rows(cli, lake, "flows", "src=::/0", many)
    assert len(ipv6) == lake.expected.ipv6_flows
    assert all(":" in r["srcaddr"] for r in ipv6)
    assert len(query_rows(cli, lake, "flows", "src=0.0.0.0/0", many)) == len(ipv4)


# B13: an IPv6 destination and its port


def test_diagnose_header_brackets_an_ipv6_destination(cli: Any, lake: s.SampleLake) -> None:
    args = ["--src", s.IPV6_REJECTED, "--dst", s.IPV6_HOST, "--port", "5432"]
    result = cli("diagnose", *args, "--lake", lake.root, "--since", "2024-05-01")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == f"{s.IPV6_REJECTED} -> [{s.IPV6_HOST}]:5432 (tcp)"


# B11: chart ticks and bar labels


def tick_texts(table: pa.Table, hint: dict[str, Any]) -> list[str]:
    svg = chart_svg(chart_data(table, hint), "t")  # text kept as text
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_counts_get_whole_ticks_in_chart_files() -> None:
    bins = [datetime(2024, 5, 1, 10, tzinfo=UTC) + timedelta(minutes=5 * i) for i in range(6)]
    flows = pa.table(
        {
            "bin_start": pa.array(bins, pa.timestamp("us", tz="UTC")),
            "flows": pa.array([0, 1, 0, 1, 1, 0], pa.int64()),
        }
    )
    texts = tick_texts(flows, {"kind": "line", "x": "bin_start", "y": "flows"})
    assert "1" in texts and not [t for t in texts if re.fullmatch(r"[\d.]+m", t)], texts
    ports = pa.table({"dstport": pa.array([22], pa.int32()), "rejects": pa.array([1], pa.int64())})
    texts = tick_texts(ports, {"kind": "bar", "x": "dstport", "y": "rejects"})
    assert not [t for t in texts if re.fullmatch(r"[\d.]+m", t)], texts
    # a fraction is still a fraction
    ratio = flows.set_column(1, "flows", pa.array([0.0, 0.5, 0.25, 0.5, 0.5, 0.0]))
    assert "500m" in tick_texts(ratio, {"kind": "line", "x": "bin_start", "y": "flows"})


def test_port_bars_are_named_by_port_and_protocol() -> None:
    hint = {"kind": "bar", "x": "dstport", "y": "rejects"}
    mixed = pa.table(
        {
            "dstport": pa.array([53, 53, 0, 22, 0], pa.int32()),
            "protocol": pa.array([6, 17, 1, 6, 58], pa.int32()),
            "rejects": pa.array([9, 8, 7, 6, 5], pa.int64()),
        }
    )
    assert chart_data(mixed, hint).x == ["53/tcp", "53/udp", "icmp", "22/tcp", "icmpv6"]
    # one port protocol: the plain port numbers, ICMP by name
    tcp = mixed.filter(pc.not_equal(mixed["protocol"], 17))
    assert chart_data(tcp, hint).x == ["53", "icmp", "22", "icmpv6"]


def test_insights_on_athena_bound_days_and_check_the_family(cli: Any) -> None:
    """The Insights translator writes the same window and CIDR tests as the macros."""
    until = cli(
        "insights", "stats count(*)", "--show-sql", "--dialect", "athena", "--until", "2024-05-03"
    )
    assert until.code == 0, until.err
    assert "\"day\" <= '2024/05/03'" in until.out

    def cidr_sql(function: str, cidr: str) -> str:
        query = f'filter {function}(srcAddr, "{cidr}") | stats count(*)'
        result = cli("insights", query, "--show-sql", "--dialect", "athena")
        assert result.code == 0, result.err
        return " ".join(result.out.split())

    assert "STRPOS(srcaddr, ':') > 0 AND CONTAINS('::/0'" in cidr_sql("isIpv6InSubnet", "::/0")
    assert "STRPOS(srcaddr, ':') = 0 AND CONTAINS('10.0.0.0/8'" in cidr_sql(
        "isIpv4InSubnet", "10.0.0.0/8"
    )
