"""Every catalogue query as a view, for BI tools (QuickSight, Superset, Grafana, Metabase) that
read a table and filter it themselves: `CREATE OR REPLACE VIEW reject_by_port AS ...`.

Views take each query's default parameters (a query that requires one has no view), no time
window and no row limit: a BI tool adds its own filter, and it must see every row.
On Athena no view has the `day` partition column (and an aggregate view no time column at all),
so a filter on a view reads every partition: for months of history, filter `flow_logs` on `day`
as well as `start_time` (`"day" >= '2024/05/01'` in the default layout), or run the query with
`--engine athena --since`.
"""

from dataclasses import dataclass
from functools import cache

from flowlake.athena.ddl import trino_identifier
from flowlake.catalog import catalog
from flowlake.compiler import compile_query


@dataclass(frozen=True)
class ViewStatement:
    query: str
    view: str
    sql: str


def view_name(query: str) -> str:
    """`reject-by-port` -> `reject_by_port`: a name both engines take unquoted."""
    return query.replace("-", "_")


@cache
def view_statements(dialect: str) -> tuple[tuple[ViewStatement, ...], tuple[str, ...]]:
    """CREATE OR REPLACE VIEW for every catalogue query in `dialect` (duckdb or athena), and
    why the queries left out were: a query with a required parameter has no default view,
    and the network-config tables (flowlake config) are DuckDB's only.
    (Cached, as the catalogue is: views have no time window, so nothing in them changes.)"""
    statements, skipped = [], []
    for name, spec in catalog().items():
        required = [p.name for p in spec.params.values() if p.required and p.default is None]
        if required:
            skipped.append(f"{name} (needs parameter {', '.join(required)})")
            continue
        if dialect == "athena" and spec.tables:
            skipped.append(f"{name} (reads {', '.join(spec.tables)}, not tables in Athena)")
            continue
        compiled = compile_query(name, {}, dialect, view=True)
        view = view_name(name)
        quoted = trino_identifier(view)  # Trino and DuckDB both quote with double quotes
        sql = f"CREATE OR REPLACE VIEW {quoted} AS\n{compiled.sql}"
        statements.append(ViewStatement(name, view, sql))
    return tuple(statements), tuple(skipped)
