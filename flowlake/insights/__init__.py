"""CloudWatch Logs Insights queries, run as SQL on a flow-log lake.

    translate(query, dialect, columns, window) -> Translation   the SQL, for DuckDB or Athena
    run(query, lake, engine) -> InsightsRun                      the rows, from DuckDB or Athena

`parser` reads the query (grammar.lark), `fields` names the lake's fields as Insights does,
`to_sql` builds the SQL. The supported language is listed in README.md ("Coming from
CloudWatch Logs Insights").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowlake.errors import UsageError
from flowlake.timewindow import TimeWindow

if TYPE_CHECKING:
    from flowlake.engines.base import Result
    from flowlake.insights.to_sql import Translation
    from flowlake.lake import Lake

ENGINES = ("duckdb", "athena")


@dataclass
class InsightsRun:
    translation: "Translation"
    result: "Result"


def translate(
    query: str,
    dialect: str = "duckdb",
    columns: Sequence[str] | None = None,
    window: TimeWindow | None = None,
) -> "Translation":
    """The query as SQL for `dialect`, over a lake with `columns` (its flow_logs columns in
    order; AWS's default format when None)."""
    from flowlake.insights.fields import LakeFields
    from flowlake.insights.parser import parse
    from flowlake.insights.to_sql import translate as to_sql

    lake = LakeFields(columns) if columns is not None else LakeFields.default()
    return to_sql(parse(query), lake, dialect, window)


def engine_for(name: str, lake: "Lake") -> Any:
    """The engine called `name`: DuckDB over `lake`, or Athena over its table with the default
    settings (the CLI passes its own Athena engine, set up from its options)."""
    if name == "duckdb":
        from flowlake.engines.duckdb import DuckDBEngine

        return DuckDBEngine(lake, config_tables=())  # Logs Insights reads flow logs alone
    if name == "athena":
        from flowlake.engines.athena import AthenaEngine

        return AthenaEngine()
    raise UsageError(f"unknown engine {name!r}: use {' or '.join(ENGINES)}")


def record_columns(engine: Any) -> list[str]:
    """The columns of the engine's flow_logs that a record has, in order: Athena's table adds
    its partition columns (day, account ...), which are no part of the line AWS wrote."""
    columns = list(engine.columns())
    glue_table = getattr(engine, "glue_table", None)
    if glue_table is None:
        return columns
    partitions = {key["Name"] for key in glue_table().get("PartitionKeys", [])}
    return [c for c in columns if c not in partitions]


def run(query: str, lake: "Lake", engine: str | Any = "duckdb") -> InsightsRun:
    """Translate the query for the engine's dialect over the lake's columns, and run it."""
    from flowlake.insights.fields import LakeFields
    from flowlake.insights.parser import parse
    from flowlake.insights.to_sql import translate as to_sql

    parsed = parse(query)  # a bad query fails before the lake is read
    runner = engine_for(engine, lake) if isinstance(engine, str) else engine
    fields = LakeFields(record_columns(runner))
    translation = to_sql(parsed, fields, runner.dialect, lake.window)
    return InsightsRun(translation, runner.run(translation.sql))


__all__ = ["ENGINES", "InsightsRun", "engine_for", "record_columns", "run", "translate"]
