"""`flowlake athena ddl|setup`, and what `flowlake query --engine athena` needs to run.

Each command parses its options and calls flowlake.athena; nothing else.
"""

import os
from typing import TYPE_CHECKING, Annotated

import typer

from flowlake.cli import athena_options as athena_opt
from flowlake.cli import options as opt
from flowlake.cli.app import app
from flowlake.errors import UsageError

if TYPE_CHECKING:
    from flowlake.athena.table import FlowLogTable
    from flowlake.engines.athena import AthenaEngine, AthenaSettings
    from flowlake.lake import Lake
    from flowlake.lake.store import S3Options

athena = typer.Typer(
    name="athena",
    help="Amazon Athena: the table over an S3 lake (DDL, set-up). Queries: query --engine athena.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(athena, name="athena")

S3Lake = Annotated[
    str | None,
    typer.Option(
        "--lake",
        "-l",
        help="s3://bucket/prefix holding AWSLogs/ (or FLOWLAKE_LAKE).",
        show_default=False,
    ),
]
FileFormat = Annotated[
    str | None,
    typer.Option("--format", "-f", help="text or parquet [default: what the lake's files are]."),
]
TableFields = Annotated[
    str | None,
    typer.Option(
        help="The flow log's format, in its order [default: read from a file's header].",
    ),
]
Accounts = Annotated[
    str | None,
    typer.Option(help="More account ids for the projection, comma separated (future deliveries)."),
]
Regions = Annotated[
    str | None,
    typer.Option(help="More regions for the projection, comma separated (future deliveries)."),
]
SetupOutputLocation = Annotated[
    str | None,
    typer.Option(
        "--output-location",
        "--output",
        help="s3:// prefix for Athena's result files [default: the workgroup's].",
        envvar="FLOWLAKE_ATHENA_OUTPUT_LOCATION",
    ),
]


def s3_options(profile: str | None, region: str | None, endpoint_url: str | None) -> "S3Options":
    from flowlake import config
    from flowlake.lake.store import S3Options

    return S3Options(
        profile=config.setting("profile", profile),
        region=config.setting("region", region),
        endpoint_url=config.setting("endpoint_url", endpoint_url),
    )


def athena_settings(
    database: str | None = None,
    table: str | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    timeout: float | None = None,
    profile: str | None = None,
    region: str | None = None,
) -> "AthenaSettings":
    from flowlake import config
    from flowlake.athena.table import check_name
    from flowlake.engines.athena import AthenaSettings
    from flowlake.lake.store import S3Options

    defaults = AthenaSettings()
    price = os.environ.get("FLOWLAKE_ATHENA_PRICE_PER_TB")
    try:
        price_per_tb = float(price) if price else defaults.price_per_tb
    except ValueError:
        raise UsageError(f"FLOWLAKE_ATHENA_PRICE_PER_TB={price!r} is not a number") from None
    if output_location and not output_location.startswith("s3://"):
        raise UsageError(f"--output-location must be an s3:// prefix, not {output_location!r}")
    return AthenaSettings(
        database=check_name(database or defaults.database, "database"),
        table=check_name(
            table or os.environ.get("FLOWLAKE_ATHENA_TABLE") or defaults.table, "table"
        ),
        workgroup=workgroup or defaults.workgroup,
        output_location=output_location,
        price_per_tb=price_per_tb,
        timeout=timeout,
        aws=S3Options(config.setting("profile", profile), config.setting("region", region)),
    )


def _split(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def lake_table(
    lake: str | None,
    fmt: str | None,
    fields: str | None,
    database: str | None,
    table: str | None,
    accounts: str | None,
    regions: str | None,
    s3: "S3Options",
) -> "FlowLogTable":
    from flowlake import config, registry
    from flowlake.athena.lake_shape import inspect_lake
    from flowlake.athena.table import check_partition_values, table_for
    from flowlake.lake.store import open_store

    location = config.setting("lake", lake)
    if not location:
        raise UsageError("no lake given: pass --lake s3://bucket/prefix or set FLOWLAKE_LAKE")
    if not location.startswith("s3://"):
        raise UsageError(f"Athena reads S3: --lake must be s3://bucket/prefix, not {location!r}")
    settings = athena_settings(database, table)  # bad input fails before any listing
    check_partition_values(_split(accounts), _split(regions))
    field_list = registry.parse_format(fields) if fields else None
    shape = inspect_lake(open_store(location, s3), read_format=field_list is None)
    return table_for(
        shape,
        database=settings.database,
        name=settings.table,
        file_format=fmt,
        fields=field_list,
        accounts=_split(accounts),
        regions=_split(regions),
    )


@athena.command("ddl")
def ddl(
    lake: S3Lake = None,
    fmt: FileFormat = None,
    fields: TableFields = None,
    database: athena_opt.Database = None,
    table: athena_opt.Table = None,
    accounts: Accounts = None,
    regions: Regions = None,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
    config: Annotated[
        bool,
        typer.Option(
            "--config",
            help="Also the network-config tables (config/ in the lake, from `config snapshot`).",
        ),
    ] = False,
) -> None:
    """Print the DDL for a lake: CREATE DATABASE, CREATE EXTERNAL TABLE with partition
    projection for the lake's S3 layout (accounts, regions and days found in it), and the
    flow_logs view the catalogue's queries read. The lake is listed to find them.

    Example: flowlake athena ddl --lake s3://my-logs/vpc --database netlogs --config
    """
    from flowlake.athena.ddl import statements

    the_table = lake_table(
        lake, fmt, fields, database, table, accounts, regions,
        s3_options(profile, region, endpoint_url),
    )  # fmt: skip
    ddl_statements = statements(the_table)
    if config:
        from flowlake import config as settings
        from flowlake.netconfig.ddl import config_tables_ddl

        location = str(settings.setting("lake", lake))  # lake_table checked it is s3://
        ddl_statements += config_tables_ddl(location, the_table.database)
    print(";\n\n".join(ddl_statements) + ";")


@athena.command("setup")
def setup_command(
    lake: S3Lake = None,
    database: athena_opt.Database = None,
    table: athena_opt.Table = None,
    workgroup: athena_opt.Workgroup = None,
    output_location: SetupOutputLocation = None,
    fmt: FileFormat = None,
    fields: TableFields = None,
    accounts: Accounts = None,
    regions: Regions = None,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
) -> None:
    """Create (or bring up to date) the database and table in the Glue Data Catalog and the
    flow_logs view in Athena. Safe to rerun: what is already right is left alone.

    Example: flowlake athena setup --lake s3://my-logs/vpc --output s3://my-athena-results/flowlake/
    """
    from flowlake.athena.setup import setup
    from flowlake.engines.athena import AthenaEngine

    settings = athena_settings(database, table, workgroup, output_location, None, profile, region)
    the_table = lake_table(
        lake, fmt, fields, settings.database, settings.table, accounts, regions,
        s3_options(profile, region, endpoint_url),
    )  # fmt: skip
    for line in setup(AthenaEngine(settings), the_table, settings.view):
        print(line)


def athena_query(
    engine: str,
    lake: str | None,
    since: str | None,
    until: str | None,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    database: str | None,
    workgroup: str | None,
    output_location: str | None,
    max_scan: str | None,
    timeout: float | None,
) -> tuple["Lake", "AthenaEngine"]:
    """`flowlake query --engine athena`: the engine, and the lake (window) to compile for."""
    from flowlake import config
    from flowlake.athena.scan import parse_size
    from flowlake.engines.athena import AthenaEngine
    from flowlake.timewindow import TimeWindow

    if engine != "athena":
        raise UsageError(f"unknown engine {engine!r}: use duckdb or athena")
    limit = parse_size(max_scan) if max_scan else None
    window = TimeWindow.parse(since, until)
    settings = athena_settings(database, None, workgroup, output_location, timeout, profile, region)
    the_engine = AthenaEngine(settings)
    the_lake = the_engine.lake(window, s3_options(profile, region, endpoint_url), max_scan=limit)
    location = config.setting("lake", lake)
    if location and location.rstrip("/") not in the_lake.location:
        the_engine.notices.append(
            f"Athena reads its table's location {the_lake.location}, not the lake {location}"
        )
    return the_lake, the_engine
