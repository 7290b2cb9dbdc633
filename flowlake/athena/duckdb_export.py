"""`flowlake export-duckdb FILE`: a DuckDB database file a BI tool can open without flowlake.

It holds `flow_logs` as a table (materialized, not a view over the lake: a view would need the
lake's paths, S3 credentials and httpfs wherever the file is opened), the network-config tables
(flowlake config; empty when the lake has no snapshot), every catalogue query as a view over
them, and the SQL macros those views may call (sql/duckdb/). The file is written under
a temporary name and renamed, so a reader never sees half of one.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowlake.athena.views import view_statements
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.errors import FlowlakeError
from flowlake.lake import Lake
from flowlake.resources import sql_dir


@dataclass
class Export:
    path: Path
    rows: int
    views: list[str]
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def export_duckdb(path: Path, lake: Lake) -> Export:
    import duckdb

    engine = DuckDBEngine(lake)
    result = engine.run("SELECT * FROM flow_logs", arrow=True)  # a bulk copy: stays in Arrow
    tables = {"flow_logs": result.table, **_config_tables(engine)}
    statements, skipped = view_statements("duckdb")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    views: list[str] = []
    unmade: list[str] = []
    try:
        con = duckdb.connect(str(temporary))
        try:
            for macro_file in sorted((sql_dir() / "duckdb").glob("*.sql")):
                con.execute(macro_file.read_text())
            for name, rows in tables.items():
                con.register("flowlake_rows", rows)
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM flowlake_rows")
                con.unregister("flowlake_rows")
            for statement in statements:
                try:
                    con.execute(statement.sql)
                    views.append(statement.view)
                except duckdb.Error as exc:  # a query over a table the file does not hold
                    unmade.append(f"{statement.query} ({str(exc).splitlines()[0]})")
        finally:
            con.close()
        os.replace(temporary, path)
    except duckdb.Error as exc:
        raise FlowlakeError(f"cannot write {path}: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise FlowlakeError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    notices = [*result.notices, *(f"no view for {s}" for s in (*skipped, *unmade))]
    return Export(path, result.table.num_rows, views, result.warnings, notices)


def _config_tables(engine: DuckDBEngine) -> dict[str, Any]:
    """The network-config tables the engine has for the lake (empty ones included, so that
    every view binds), as Arrow tables."""
    from flowlake.netconfig.schema import tables

    found = {}
    for name in tables():
        try:
            found[name] = engine.con.execute(f"SELECT * FROM {name}").to_arrow_table()
        except Exception:  # noqa: BLE001 - a table this lake's engine does not define
            continue
    return found
