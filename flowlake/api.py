"""The library API the CLI is a skin over: compile a catalogue query, run it on a lake."""

from dataclasses import dataclass
from typing import Any

from flowlake import registry
from flowlake.compiler import CompiledQuery, compile_query
from flowlake.engines.base import Result
from flowlake.errors import MissingFieldsError
from flowlake.lake import Lake
from flowlake.timewindow import TimeWindow


@dataclass
class QueryRun:
    compiled: CompiledQuery
    result: Result


def check_fields(query: CompiledQuery, columns: list[str]) -> None:
    missing = [f for f in query.spec.fields if f not in columns]
    if missing:
        have = [c for c in columns if c not in ("start_time", "end_time")]
        aws = lambda cs: " ".join(registry.field_for(c).aws_name for c in cs)  # noqa: E731
        raise MissingFieldsError(
            f"query {query.spec.name} needs flow-log field(s) {aws(missing)}, which this lake's "
            f"format does not have (it has: {aws(have) or 'no files'})"
        )


def check_tables(query: CompiledQuery, engine: Any) -> None:
    """The network-config tables (and CloudTrail) a query reads must be in the lake."""
    if query.spec.tables:
        from flowlake.netconfig.views import require_tables

        require_tables(engine, query.spec.tables, query.spec.name)


def run_query(
    name: str,
    params: dict[str, Any] | None,
    lake: Lake,
    engine: Any = None,
) -> QueryRun:
    from flowlake.engines.duckdb import DuckDBEngine

    compiled = compile_query(name, params, engine.dialect if engine else "duckdb", lake.window)
    if engine is None:
        from flowlake.netconfig.views import tables_read_by

        # only the network-config tables the query reads: creating all 18 views (and listing
        # the lake's snapshots) took ~20 ms of every query
        engine = DuckDBEngine(lake, config_tables=tables_read_by(compiled.sql))
    check_fields(compiled, engine.columns())
    check_tables(compiled, engine)
    return QueryRun(compiled, engine.run(compiled.sql))


__all__ = ["Lake", "QueryRun", "TimeWindow", "compile_query", "run_query"]
