"""The Athena output lint: realistic Athena SQL passes; each mistake is caught by its rule."""

import re

import pytest
import sqlglot

from flowlake.lint import (
    ArgumentCount,
    DateTimeUnits,
    DuckDBOnlySyntax,
    LintIssue,
    NullTreatment,
    Rule,
    UnknownFunction,
    UnsupportedType,
    athena_functions,
    lint_athena,
)
from flowlake.resources import sql_dir

GOOD = {
    "cte-date-trunc-percentile-rank": """
        WITH flows AS (
            SELECT from_unixtime("start") AS start_time, srcaddr, bytes
            FROM flow_logs
            WHERE "day" BETWEEN '2024/01/01' AND '2024/01/02' AND action = 'ACCEPT'
        )
        SELECT date_trunc('hour', start_time) AS hour,
               srcaddr,
               sum(bytes) AS bytes,
               approx_percentile(bytes, 0.95) AS p95_bytes,
               rank() OVER (PARTITION BY date_trunc('hour', start_time)
                            ORDER BY sum(bytes) DESC) AS rnk
        FROM flows
        GROUP BY 1, 2
    """,
    "cidr-contains": """
        SELECT srcaddr, dstaddr, count(*) AS flows
        FROM flow_logs
        WHERE contains('10.0.0.0/8', CAST(srcaddr AS IPADDRESS))
          AND NOT contains('172.16.0.0/12', TRY_CAST(dstaddr AS IPADDRESS))
        GROUP BY srcaddr, dstaddr
        ORDER BY flows DESC
        LIMIT 20
    """,
    "sequence-unnest-buckets": """
        WITH buckets AS (
            SELECT bucket
            FROM UNNEST(sequence(TIMESTAMP '2024-01-01 00:00:00',
                                 TIMESTAMP '2024-01-01 23:55:00',
                                 INTERVAL '5' MINUTE)) AS t(bucket)
        )
        SELECT b.bucket, coalesce(sum(f.bytes), 0) AS bytes
        FROM buckets AS b
        LEFT JOIN flow_logs AS f
          ON from_unixtime(f."start") >= b.bucket
         AND from_unixtime(f."start") < b.bucket + INTERVAL '5' MINUTE
        GROUP BY b.bucket
        ORDER BY b.bucket
    """,
    "aggregates": """
        SELECT interface_id,
               max_by(dstport, bytes) AS busiest_port,
               min_by(srcaddr, "start", 3) AS first_sources,
               count_if(action = 'REJECT') AS rejects,
               arbitrary(vpc_id) AS vpc_id,
               approx_distinct(srcaddr) AS sources,
               histogram(protocol) AS protocols,
               array_agg(DISTINCT dstport) AS ports,
               listagg(DISTINCT action, ',') WITHIN GROUP (ORDER BY action) AS actions,
               count(*) FILTER (WHERE dstport = 22) AS ssh
        FROM flow_logs
        GROUP BY interface_id
        HAVING count_if(action = 'REJECT') > 0
    """,
    "window-functions": """
        SELECT interface_id, "start",
               bytes - lag(bytes, 1, 0) OVER (PARTITION BY interface_id ORDER BY "start") AS delta,
               lead("start") IGNORE NULLS OVER (PARTITION BY interface_id ORDER BY "start") AS nxt,
               row_number() OVER (PARTITION BY interface_id ORDER BY bytes DESC) AS n,
               sum(bytes) OVER (ORDER BY "start" ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) AS roll
        FROM flow_logs
    """,
    "strings-and-regexps": """
        SELECT split_part(dstaddr, '.', 1) AS first_octet, count(*) AS flows
        FROM flow_logs
        WHERE regexp_like(interface_id, '^eni-[0-9a-f]+$')
          AND strpos(dstaddr, ':') = 0
          AND try_cast(split_part(dstaddr, '.', 4) AS INTEGER) IS NOT NULL
          AND regexp_extract(log_status, '^(OK|NODATA)$', 1) IS NOT NULL
          AND lower(action) LIKE 'acc%'
        GROUP BY 1
    """,
    "dates-and-conditionals": """
        SELECT date_diff('second', from_unixtime("start"), from_unixtime("end")) AS seconds,
               date_add('hour', -1, current_timestamp) AS an_hour_ago,
               format_datetime(from_unixtime("start"), 'yyyy-MM-dd HH:mm') AS started,
               date_format(from_unixtime("start"), '%Y-%m-%d') AS day_text,
               parse_datetime('2024-01-01', 'yyyy-MM-dd') AS parsed,
               from_iso8601_timestamp('2024-01-01T00:00:00Z') AS iso,
               to_unixtime(current_timestamp) - "start" AS age,
               EXTRACT(HOUR FROM from_unixtime("start")) AS hour,
               from_unixtime("start") AT TIME ZONE 'UTC' AS utc,
               CASE WHEN protocol = 6 THEN 'tcp' WHEN protocol = 17 THEN 'udp' END AS proto,
               IF(action = 'REJECT', 1, 0) AS rejected,
               nullif(packets, 0) AS packets
        FROM flow_logs
        WHERE from_unixtime("start") >= current_date - INTERVAL '7' DAY
    """,
    "arrays-and-lambdas": """
        SELECT interface_id,
               cardinality(ports) AS n_ports,
               array_join(transform(filter(ports, p -> p < 1024), p -> CAST(p AS VARCHAR)), ',')
                   AS low_ports,
               element_at(ports, 1) AS first_port,
               contains(ARRAY[22, 3389], element_at(ports, 1)) AS admin_port
        FROM (SELECT interface_id, array_agg(dstport ORDER BY dstport) AS ports
              FROM flow_logs GROUP BY interface_id) AS per_interface
    """,
    "union-exists-values": """
        SELECT srcaddr AS address FROM flow_logs WHERE action = 'REJECT'
        UNION ALL
        SELECT dstaddr FROM flow_logs AS f
        WHERE EXISTS (SELECT 1 FROM (VALUES ('10.0.0.1')) AS known(address)
                      WHERE known.address = f.dstaddr)
    """,
}


@pytest.mark.parametrize("sql", GOOD.values(), ids=GOOD.keys())
def test_accepts_realistic_athena_sql(sql: str) -> None:
    assert lint_athena(sql) == []


@pytest.mark.parametrize("sql", GOOD.values(), ids=GOOD.keys())
def test_accepts_what_flowlake_compiles(sql: str) -> None:
    # flowlake's compiler reads Athena templates and writes Athena, pretty printed
    compiled = sqlglot.transpile(sql, read="athena", write="athena", pretty=True)[0]
    assert lint_athena(compiled) == []


BAD = [
    # unknown functions
    ("SELECT epoch(ts) FROM flow_logs", UnknownFunction, "epoch()"),
    ("SELECT list_sum(ports) FROM flow_logs", UnknownFunction, "list_sum()"),
    (
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY bytes) FROM t",
        UnknownFunction,
        "percentile_cont()",
    ),
    ("SELECT PERCENTILE_CONT(bytes, 0.5) FROM t", UnknownFunction, "percentile_cont()"),
    ("SELECT DATE_BIN(INTERVAL '5' MINUTE, ts) FROM t", UnknownFunction, "date_bin()"),
    ("SELECT strftime(ts, '%H') FROM t", UnknownFunction, "strftime()"),
    # DuckDB-only syntax
    ("SELECT * EXCLUDE (bytes) FROM flow_logs", DuckDBOnlySyntax, "EXCLUDE"),
    ("SELECT * EXCEPT (bytes) FROM flow_logs", DuckDBOnlySyntax, "EXCLUDE"),
    ("SELECT * REPLACE (bytes * 8 AS bytes) FROM flow_logs", DuckDBOnlySyntax, "REPLACE"),
    (
        "SELECT srcaddr FROM flow_logs QUALIFY row_number() OVER (ORDER BY bytes DESC) = 1",
        DuckDBOnlySyntax,
        "QUALIFY",
    ),
    ("SELECT srcaddr, count(*) FROM flow_logs GROUP BY ALL", DuckDBOnlySyntax, "GROUP BY ALL"),
    ("SELECT srcaddr FROM flow_logs ORDER BY ALL", DuckDBOnlySyntax, "ORDER BY ALL"),
    (
        "SELECT srcaddr FROM flow_logs WHERE contains([22, 443], dstport)",
        DuckDBOnlySyntax,
        "list literal",
    ),
    ("SELECT {'port': dstport} FROM flow_logs", DuckDBOnlySyntax, "struct literal"),
    ("SELECT srcaddr FROM flow_logs WHERE action ILIKE 'reject'", DuckDBOnlySyntax, "ILIKE"),
    ("SELECT srcaddr FROM a UNION BY NAME SELECT srcaddr FROM b", DuckDBOnlySyntax, "BY NAME"),
    ("SELECT dstport::VARCHAR FROM flow_logs", DuckDBOnlySyntax, "::"),
    ("SELECT CAST(x AS STRUCT(port INTEGER)) FROM t", DuckDBOnlySyntax, "STRUCT"),
    ("SELECT * FROM a ANTI JOIN b USING (srcaddr)", DuckDBOnlySyntax, "ANTI JOIN"),
    ("SELECT ports[1:2] FROM t", DuckDBOnlySyntax, "slice"),
    ("SELECT * FROM flow_logs LIMIT 10 PERCENT", DuckDBOnlySyntax, "PERCENT"),
    # types
    ("SELECT CAST(bytes AS INT128) FROM t", UnsupportedType, "INT128"),  # DuckDB's HUGEINT
    ("SELECT CAST(ports AS LIST(INTEGER)) FROM t", UnsupportedType, "LIST"),
    ("SELECT CAST(srcaddr AS INET) FROM t", UnsupportedType, "INET"),
    ("SELECT CAST(x AS INTERVAL) FROM t", UnsupportedType, "INTERVAL"),
    # null treatment (sqlglot writes DuckDB's any_value(x) so)
    ("SELECT ARBITRARY(srcaddr) IGNORE NULLS FROM t", NullTreatment, "arbitrary()"),
    # date and time units
    (
        "SELECT DATE_ADD('DAY', CAST(INTERVAL '1' DAY AS BIGINT), ts) FROM t",
        DateTimeUnits,
        "does not cast",
    ),
    ("SELECT ts + INTERVAL '1' MILLISECOND FROM t", DateTimeUnits, "MILLISECOND"),
    ("SELECT ts + INTERVAL '1 day 2 hours' FROM t", DateTimeUnits, "one unit"),
    ("SELECT ts + INTERVAL (n) MINUTE FROM t", DateTimeUnits, "quoted string"),
    ("SELECT EXTRACT(ISODOW FROM ts) FROM t", DateTimeUnits, "ISODOW"),
    ("SELECT date_trunc('fortnight', ts) FROM t", DateTimeUnits, "fortnight"),
    # argument counts
    ("SELECT LOG(bytes) FROM t", ArgumentCount, "log() takes 2"),
    ("SELECT CONCAT(srcaddr) FROM t", ArgumentCount, "concat() takes 2 or more"),
    ("SELECT REGEXP_LIKE(action, 'reject', 'i') FROM t", ArgumentCount, "regexp_like()"),
    ("SELECT split_part(dstaddr, '.') FROM t", ArgumentCount, "split_part() takes 3"),
]


@pytest.mark.parametrize(("sql", "rule", "fragment"), BAD, ids=[b[0][:60] for b in BAD])
def test_rejects_with_the_right_rule(sql: str, rule: type[Rule], fragment: str) -> None:
    issues = lint_athena(sql)
    messages = [issue.message for issue in issues if issue.rule == rule.name]
    assert messages, f"{rule.__name__} found nothing; issues: {issues}"
    assert any(fragment in message for message in messages), messages


@pytest.mark.parametrize("sql", ["SELECT FROM WHERE", "SELECT (", "SELECT 'no end"])
def test_unparseable_sql_is_a_parse_issue(sql: str) -> None:
    issues = lint_athena(sql)
    assert [issue.rule for issue in issues] == ["parse"]
    assert issues[0].message.startswith("Athena cannot parse this SQL")


def test_issues_are_reported_once_and_per_statement() -> None:
    issues = lint_athena("SELECT epoch(a), epoch(b) FROM t; SELECT list_sum(c) FROM t")
    assert issues == [
        LintIssue(UnknownFunction.name, "epoch() is not a function of Athena engine version 3"),
        LintIssue(UnknownFunction.name, "list_sum() is not a function of Athena engine version 3"),
    ]


def test_the_athena_spelling_counts_not_sqlglots() -> None:
    # sqlglot parses DuckDB's ILIKE and writes it back as LOWER(..) LIKE LOWER(..): the text
    # Athena receives is what matters, so ILIKE is still caught
    assert [i.rule for i in lint_athena("SELECT a FROM t WHERE a ILIKE 'x'")] == ["duckdb-syntax"]
    # and ARRAY[...] is fine where a bare [...] is not
    assert lint_athena("SELECT ARRAY[1, 2][1], ports[1] FROM t") == []


def _listed_names() -> list[str]:
    text = (sql_dir() / "athena" / "functions_v3.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


MUST_HAVE = {
    "from_unixtime",
    "to_unixtime",
    "date_trunc",
    "date_add",
    "date_diff",
    "format_datetime",
    "date_format",
    "parse_datetime",
    "from_iso8601_timestamp",
    "approx_distinct",
    "approx_percentile",
    "arbitrary",
    "max_by",
    "min_by",
    "count_if",
    "array_agg",
    "histogram",
    "element_at",
    "cardinality",
    "sequence",
    "split_part",
    "strpos",
    "regexp_like",
    "regexp_extract",
    "contains",
    "row_number",
    "rank",
    "lag",
    "lead",
    "listagg",
    "cast",
    "try_cast",
    "coalesce",
    "if",
    "nullif",
    "extract",
    "current_timestamp",
    "invoker_principal",
}
# DuckDB (or Presto-only) names that Athena v3 does not have
MUST_NOT_HAVE = {
    "epoch",
    "list_sum",
    "percentile_cont",
    "percentile_disc",
    "quantile_cont",
    "median",
    "date_bin",
    "date_part",
    "strftime",
    "time_bucket",
    "first",
    "last",
    "is_subnet_of",
}


def test_function_list_is_lowercase_unique_and_complete() -> None:
    names = _listed_names()
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert duplicates == []
    assert [name for name in names if not re.fullmatch(r"[a-z_][a-z0-9_]*", name)] == []
    assert sorted(MUST_HAVE - set(names)) == []
    assert sorted(MUST_NOT_HAVE & set(names)) == []
    assert len(names) > 300
    assert athena_functions() == frozenset(names)


def test_function_list_says_where_it_comes_from() -> None:
    text = (sql_dir() / "athena" / "functions_v3.txt").read_text(encoding="utf-8")
    header = text.split("\n\n")[0]
    assert "trino" in header.lower() and "athena" in header.lower()
    assert "# aggregate" in text and "# window" in text


def test_operators_are_not_calls() -> None:
    assert lint_athena("SELECT a FROM t WHERE NOT (a = 1) OR b = 2") == []
    assert lint_athena("SELECT a FROM t WHERE (a = 1) AND NOT (b = 2 OR -(c) > 1)") == []
