"""`flowlake views` and `flowlake export-duckdb`: the catalogue for BI tools, as views."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from flowlake.cli import athena_options as athena_opt
from flowlake.cli import options as opt
from flowlake.cli.app import app, build_lake, report
from flowlake.errors import FlowlakeError, UsageError


@app.command()
def views(
    dialect: opt.Dialect = "duckdb",
    apply: Annotated[
        bool, typer.Option("--apply", help="Create the views in Athena (with --dialect athena).")
    ] = False,
    database: athena_opt.Database = None,
    workgroup: athena_opt.Workgroup = None,
    output_location: athena_opt.OutputLocation = None,
    profile: opt.Profile = None,
    region: opt.Region = None,
) -> None:
    """Print CREATE VIEW statements for every catalogue query (default parameters, no time
    window: a BI tool filters), or create them in Athena with --apply.

    Example: flowlake views --dialect athena --apply --database flowlake
    """
    from flowlake.athena.views import view_statements
    from flowlake.compiler import DIALECTS

    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}: use {' or '.join(DIALECTS)}")
    if apply and dialect != "athena":
        raise UsageError(
            "--apply creates views in Athena: add --dialect athena (for DuckDB, "
            "`flowlake export-duckdb FILE` writes a database file with them)"
        )
    statements, skipped = view_statements(dialect)
    if skipped:
        print(f"flowlake: no view for {'; '.join(skipped)}", file=sys.stderr)
    if not apply:
        print(";\n\n".join(s.sql for s in statements) + ";")
        return
    from flowlake.cli.athena_cmd import athena_settings
    from flowlake.engines.athena import AthenaEngine

    settings = athena_settings(database, None, workgroup, output_location, None, profile, region)
    engine = AthenaEngine(settings)
    for statement in statements:
        try:
            execution = engine.execute(statement.sql)
        except FlowlakeError as exc:
            raise FlowlakeError(f"view {statement.view}: {exc}") from None
        print(
            f"view {settings.database}.{statement.view}: created or replaced "
            f"(Athena query {execution['QueryExecutionId']})"
        )


@app.command("export-duckdb")
def export_duckdb(
    file: Annotated[Path, typer.Argument(help="The DuckDB database file to write.")],
    lake: opt.Lake = None,
    since: opt.Since = None,
    until: opt.Until = None,
    fields: opt.Fields = None,
    strict: opt.Strict = False,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
) -> None:
    """Write a DuckDB database file for BI tools: the lake's flow logs (in the window) as the
    table flow_logs, every catalogue query as a view over it, and the macros they use.

    Example: flowlake export-duckdb flows.duckdb --lake ./flow-logs --since 7d
    """
    from flowlake.athena.duckdb_export import export_duckdb as export
    from flowlake.cli.progress import scanning

    the_lake = build_lake(lake, since, until, fields, strict, profile, region, endpoint_url)
    with scanning(the_lake):
        written = export(file, the_lake)
    print(
        f"wrote {written.path}: table flow_logs ({written.rows} rows) and "
        f"{len(written.views)} views ({', '.join(written.views)})",
        file=sys.stderr,
    )
    report(written.warnings, written.notices)
