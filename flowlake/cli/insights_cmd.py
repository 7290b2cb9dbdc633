"""`flowlake insights`: a CloudWatch Logs Insights query, run as SQL on the lake or printed."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowlake.cli import athena_options as athena_opt
from flowlake.cli import options as opt
from flowlake.cli.app import app, build_lake, report
from flowlake.errors import UsageError

if TYPE_CHECKING:
    from flowlake.lake import Lake

Query = Annotated[
    str,
    typer.Argument(help="The Logs Insights query, as typed in the console; - reads it from stdin."),
]
ShowSql = Annotated[
    bool, typer.Option("--show-sql", help="Print the query's SQL instead of running it.")
]
Dialect = Annotated[
    str | None,
    typer.Option(
        "--dialect",
        "-d",
        help="With --show-sql: duckdb or athena [default: the engine's].",
        show_default=False,
    ),
]


@app.command()
def insights(
    query: Query,
    lake: opt.Lake = None,
    since: opt.Since = None,
    until: opt.Until = None,
    engine: athena_opt.Engine = "duckdb",
    fmt: opt.Format = "table",
    output: opt.Output = None,
    show_sql: ShowSql = False,
    dialect: Dialect = None,
    fields: opt.Fields = None,
    strict: opt.Strict = False,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
    database: athena_opt.Database = None,
    workgroup: athena_opt.Workgroup = None,
    output_location: athena_opt.OutputLocation = None,
    max_scan: athena_opt.MaxScan = None,
    timeout: athena_opt.Timeout = None,
) -> None:
    """Run a CloudWatch Logs Insights query on a lake of flow logs, or print it as SQL.

    Fields as Insights names them (@timestamp, @message, srcAddr, dstPort, action ...);
    commands fields, display, filter, stats, sort, limit, parse, dedup. With --engine athena
    the query runs on the lake's Athena table (see `flowlake athena setup`). Without --lake,
    --show-sql assumes AWS's default format (or --fields).

    Example: flowlake insights 'filter action = "REJECT" | stats count(*) as rejects by dstPort
    | sort rejects desc | limit 10' --lake ./flow-logs --since 24h
    """
    from flowlake import insights as library
    from flowlake import output as out
    from flowlake.insights.parser import parse

    text = sys.stdin.read() if query == "-" else query
    if engine not in library.ENGINES:
        raise UsageError(f"unknown engine {engine!r}: use {' or '.join(library.ENGINES)}")
    if dialect is not None and not show_sql:
        raise UsageError("--dialect goes with --show-sql; to run on Athena use --engine athena")
    parse(text)  # a syntax error is reported before the lake is read
    if show_sql:
        _print_sql(text, dialect or engine, lake, since, until, fields, strict)
        return

    from flowlake.cli.progress import scanning

    runner: Any = None
    if engine == "duckdb":
        the_lake = build_lake(lake, since, until, fields, strict, profile, region, endpoint_url)
    else:
        the_lake, runner = _athena(
            lake, since, until, profile, region, endpoint_url,
            database, workgroup, output_location, max_scan, timeout,
        )  # fmt: skip
    with scanning(the_lake):
        run = library.run(text, the_lake, runner or engine)
    out.render(run.result, fmt, output, title="Logs Insights query")
    report(run.result.warnings, run.result.notices)


def _athena(*options: Any) -> tuple["Lake", Any]:
    """The Athena engine and the lake (window) it reads, as `query --engine athena` sets
    them up."""
    from flowlake.cli.athena_cmd import athena_query

    return athena_query("athena", *options)


def _print_sql(
    text: str,
    dialect: str,
    lake: str | None,
    since: str | None,
    until: str | None,
    fields: str | None,
    strict: bool,
) -> None:
    """The SQL over the lake's columns when a lake is given (read locally: printing never
    asks Athena), else over the format given (--fields) or AWS's default one."""
    from flowlake import config, registry
    from flowlake import insights as library
    from flowlake.insights.fields import format_columns
    from flowlake.timewindow import TimeWindow

    if dialect not in ("duckdb", "athena"):
        raise UsageError(f"unknown dialect {dialect!r}: use duckdb or athena")
    window = TimeWindow.parse(since, until)
    columns: list[str] | None = None
    if config.setting("lake", lake):
        columns = library.engine_for(
            "duckdb", build_lake(lake, since, until, fields, strict)
        ).columns()
    elif field_text := config.setting("fields", fields):
        columns = format_columns(registry.parse_format(field_text))
    print(library.translate(text, dialect, columns, window).sql + ";")
