"""Athena DDL for the flow-log table: CREATE DATABASE and CREATE EXTERNAL TABLE in Athena's Hive
DDL, and the `flow_logs` view (a Trino statement) every catalogue query reads.

Every statement can be rerun: IF NOT EXISTS for the database and table, OR REPLACE for views.
"""

from flowlake.athena.table import VIEW, FlowLogTable


def hive_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def trino_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _property(value: str) -> str:
    # double quotes, as AWS's examples write TBLPROPERTIES: Hive escapes with a backslash,
    # and Java date formats quote their literals with single quotes
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def database_ddl(database: str) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {hive_identifier(database)}"


def table_ddl(table: FlowLogTable) -> str:
    columns = ",\n".join(f"  {hive_identifier(c)} {t}" for c, t in table.columns)
    partitions = ",\n".join(f"  {hive_identifier(c)} {t}" for c, t in table.partition_keys)
    if table.file_format == "text":
        row_format = "ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '"
    else:
        row_format = "STORED AS PARQUET"
    properties = ",\n".join(
        f"  {_property(k)} = {_property(v)}" for k, v in table.properties().items()
    )
    name = f"{hive_identifier(table.database)}.{hive_identifier(table.name)}"
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n{columns}\n)\n"
        f"PARTITIONED BY (\n{partitions}\n)\n"
        f"{row_format}\n"
        f"LOCATION '{table.location}'\n"
        f"TBLPROPERTIES (\n{properties}\n)"
    )


def view_ddl(table: FlowLogTable, view: str = VIEW) -> str:
    """The view the catalogue's queries read: the table's columns (partitions included) and,
    as on DuckDB, start_time and end_time as UTC timestamps."""
    derived = [
        f"from_unixtime({trino_identifier(c)}) AS {c}_time"
        for c in ("start", "end")
        if c in table.column_names
    ]
    source = f"{trino_identifier(table.database)}.{trino_identifier(table.name)}"
    return (
        f"CREATE OR REPLACE VIEW {trino_identifier(table.database)}.{trino_identifier(view)} AS\n"
        f"SELECT *{''.join(', ' + d for d in derived)}\nFROM {source}"
    )


def statements(table: FlowLogTable, view: str = VIEW) -> list[str]:
    return [database_ddl(table.database), table_ddl(table), view_ddl(table, view)]
