"""The catalogue as views for BI tools: CREATE VIEW statements in both dialects, applied in
Athena (moto), and a DuckDB database file that answers without flowlake."""

from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from flowlake.athena.views import view_name, view_statements
from flowlake.catalog import catalog
from flowlake.lint import lint_athena
from flowlake.sample_lake import write_sample_lake

from .helpers import expected_reject_by_port, without

# a query with a required parameter has no default view; Athena has no config tables
WITH_VIEWS = sorted(
    name
    for name, spec in catalog().items()
    if not any(p.required and p.default is None for p in spec.params.values())
)
ATHENA_VIEWS = [name for name in WITH_VIEWS if not catalog()[name].tables]


def test_views_command_prints_one_view_per_query(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("views", "--dialect", "athena")
    assert result.code == 0, result.err
    statements = [s for s in result.out.split(";\n") if s.strip()]
    names = []
    for statement in statements:
        tree = sqlglot.parse_one(statement, read="athena")
        assert tree.args["replace"] and tree.args["kind"] == "VIEW"
        names.append(tree.this.name)
    assert sorted(names) == [view_name(n) for n in ATHENA_VIEWS]
    # the view wraps the query's Athena SQL, which the catalogue's tests lint: so does this
    assert lint_athena(statements[0]) == []
    for name in set(catalog()) - set(ATHENA_VIEWS):
        assert f"{name} (" in result.err


def test_apply_creates_the_views_in_athena(cli, s3: Any, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", s3.endpoint)
    result = cli("views", "--dialect", "athena", "--apply", "--database", "netlogs")
    assert result.code == 0, result.err
    athena = s3.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    sent = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    statements, _ = view_statements("athena")
    assert [e["Query"] for e in sent] == [s.sql for s in statements]
    assert {e["QueryExecutionContext"]["Database"] for e in sent} == {"netlogs"}
    assert len(result.out.splitlines()) == len(statements)
    assert result.out.splitlines()[0].startswith(f"view netlogs.{statements[0].view}: created")


def test_apply_is_for_athena(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("views", "--dialect", "duckdb", "--apply")
    assert result.code == 2
    assert "--apply creates views in Athena" in result.err


def fetch(con: Any, sql: str) -> list[dict[str, Any]]:
    return list(con.execute(sql).to_arrow_table().to_pylist())


def test_export_duckdb_opens_without_flowlake(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = write_sample_lake(tmp_path / "lake", hours=2)
    target = tmp_path / "out" / "flows.duckdb"
    result = cli("export-duckdb", target, "--lake", sample.root)
    assert result.code == 0, result.err
    assert f"table flow_logs ({sample.records} rows)" in result.err
    assert [p.name for p in target.parent.iterdir()] == ["flows.duckdb"]  # no temporary left

    # a plain DuckDB connection: no flowlake macros, no lake, no credentials
    con = duckdb.connect(str(target), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    assert fetch(con, "SELECT count(*) AS n FROM flow_logs") == [{"n": sample.records}]
    kinds = dict(
        con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall()
    )
    assert kinds["flow_logs"] == "BASE TABLE"
    assert {n for n, k in kinds.items() if k == "VIEW"} == {view_name(n) for n in WITH_VIEWS}
    assert "security_group_rules" in kinds  # config tables, empty without a snapshot
    rows = fetch(con, "SELECT * FROM reject_by_port")
    for row in rows:
        row["first_seen"] = row["first_seen"].strftime("%Y-%m-%dT%H:%M:%SZ")
        row["last_seen"] = row["last_seen"].strftime("%Y-%m-%dT%H:%M:%SZ")
    expected = expected_reject_by_port(sample.expected, limit=10**6)  # a view has no LIMIT
    assert without(rows, "packets", "bytes") == expected
    # the macros the views' IP matching uses were stored too
    assert fetch(con, "SELECT flowlake_ipv4_int('10.0.0.1') AS n") == [{"n": 167772161}]


def test_export_replaces_the_file_whole_or_not_at_all(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch
) -> None:
    sample = write_sample_lake(tmp_path / "lake", hours=1)
    target = tmp_path / "flows.duckdb"
    target.write_bytes(b"the previous export")

    def full_disk(source: Any, destination: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("flowlake.athena.duckdb_export.os.replace", full_disk)
    result = cli("export-duckdb", target, "--lake", sample.root)
    assert result.code == 1
    assert result.err == f"flowlake: error: cannot write {target}: No space left on device\n"
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows.duckdb", "lake"]


def test_commands_help_ends_with_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    for command in (["athena", "ddl"], ["athena", "setup"], ["views"], ["export-duckdb"]):
        result = cli(*command, "--help")
        assert result.code == 0
        assert "Example: flowlake " + " ".join(command) in " ".join(result.out.split())
