"""`flowlake athena setup`: the database and table in the Glue Data Catalog, the view in Athena.

Idempotent, so it can run on every deployment: the database is created when missing; the table
is created when missing, left alone when its definition is the one wanted, and updated when it
differs (a new account or region in the lake); the view is CREATE OR REPLACE, the same SQL.
The table goes through Glue rather than Athena's DDL so that a rerun can compare definitions
(CREATE EXTERNAL TABLE IF NOT EXISTS would keep an outdated one without a word).
"""

from typing import Any

from flowlake.athena.ddl import view_ddl
from flowlake.athena.table import VIEW, FlowLogTable
from flowlake.engines.athena import AthenaEngine


def _not_found(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "EntityNotFoundException"


def ensure_database(engine: AthenaEngine, database: str) -> str:
    import botocore.exceptions

    glue = engine.client("glue")
    with engine.errors(f"Glue database {database}"):
        try:
            glue.get_database(Name=database)
            return f"database {database}: exists"
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
        glue.create_database(
            DatabaseInput={"Name": database, "Description": "VPC flow logs (flowlake)"}
        )
    return f"database {database}: created"


def _comparable(table: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Glue table this set-up decides (Glue adds ids, times, owners ...)."""
    storage = table.get("StorageDescriptor", {})
    serde = storage.get("SerdeInfo", {})
    return {
        "TableType": table.get("TableType"),
        "Parameters": table.get("Parameters", {}),
        "PartitionKeys": [(k["Name"], k["Type"]) for k in table.get("PartitionKeys", [])],
        "Columns": [(c["Name"], c["Type"]) for c in storage.get("Columns", [])],
        "Location": storage.get("Location"),
        "InputFormat": storage.get("InputFormat"),
        "OutputFormat": storage.get("OutputFormat"),
        "Serde": (serde.get("SerializationLibrary"), serde.get("Parameters", {})),
    }


def ensure_table(engine: AthenaEngine, table: FlowLogTable) -> str:
    import botocore.exceptions

    glue = engine.client("glue")
    wanted = table.glue_input()
    name = f"{table.database}.{table.name}"
    with engine.errors(f"Glue table {name}"):
        try:
            current = glue.get_table(DatabaseName=table.database, Name=table.name)["Table"]
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
            glue.create_table(DatabaseName=table.database, TableInput=wanted)
            return f"table {name}: created"
        before, after = _comparable(current), _comparable(wanted)
        if before == after:
            return f"table {name}: unchanged"
        glue.update_table(DatabaseName=table.database, TableInput=wanted)
    changed = ", ".join(k for k in after if before[k] != after[k])
    return f"table {name}: updated ({changed})"


def setup(engine: AthenaEngine, table: FlowLogTable, view: str = VIEW) -> list[str]:
    """Create or bring up to date the database, table and view; one line per object."""
    report = [ensure_database(engine, table.database), ensure_table(engine, table)]
    execution = engine.execute(view_ddl(table, view))
    report.append(
        f"view {table.database}.{view}: created or replaced "
        f"(Athena query {execution['QueryExecutionId']})"
    )
    return report
