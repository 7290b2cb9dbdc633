"""Athena DDL for the config tables: Hive DDL that parses, views over the newest snapshot."""

import sqlglot
from sqlglot import exp

from flowlake.lint import lint_athena
from flowlake.netconfig.ddl import config_partitions_ddl, config_tables_ddl
from flowlake.netconfig.schema import column_names, snapshot_tables


def test_every_statement_parses_and_names_every_column() -> None:
    statements = config_tables_ddl(
        "s3://logs/flows", "net", "s3://trail/AWSLogs/111122223333/CloudTrail/", ["us-east-1"]
    )
    tables = snapshot_tables()
    # manifests, a table and a view per config table, CloudTrail's table and view
    assert len(statements) == 1 + 2 * len(tables) + 2
    created: dict[str, exp.Expression] = {}
    for sql in statements:
        tree = sqlglot.parse_one(sql, read="hive")
        assert isinstance(tree, exp.Create), sql
        created[tree.this.find(exp.Table).name] = tree  # type: ignore[union-attr]
    rules = created["security_group_rules_snapshots"]
    assert [c.name for c in rules.find_all(exp.ColumnDef)][:-1] == column_names(
        "security_group_rules"
    )
    assert "LOCATION 's3://logs/flows/config/security_group_rules/'" in rules.sql("hive")
    assert "PARTITIONED BY" in rules.sql("hive")
    manifest = created["config_snapshots"]
    assert "s3://logs/flows/config/_snapshots/" in manifest.sql("hive")
    for table in tables:  # every view reads the newest complete snapshot of each scope
        view = statements[1 + len(tables) + tables.index(table)]
        assert view.startswith(f'CREATE OR REPLACE VIEW "net"."{table}" AS')
        assert lint_athena(view) == [], view
        assert f'"net"."{table}_snapshots"' in view and 'max("snapshot")' in view
    cloudtrail = statements[-2]
    assert (
        "'storage.location.template'='s3://trail/AWSLogs/111122223333/CloudTrail/${region}/${day}'"
        in cloudtrail
    )
    assert lint_athena(statements[-1]) == []
    assert "'RevokeSecurityGroupIngress'" in statements[-1]


def test_partitions_and_bad_locations() -> None:
    (first, *_) = config_partitions_ddl("net")
    assert first == "MSCK REPAIR TABLE `net`.`vpcs_snapshots`"
    try:
        config_tables_ddl("/local/folder", "net")
    except ValueError as exc:
        assert "Athena reads tables from S3" in str(exc)
    else:
        raise AssertionError("a local folder is no Athena location")
