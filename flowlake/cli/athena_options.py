"""Athena's options, defined once: `query --engine athena`, `athena setup`, `views --apply`.

Each can also come from the environment (FLOWLAKE_ATHENA_*). Defaults live in the library
(flowlake.engines.athena.AthenaSettings), so an option left out here is None.
"""

from typing import Annotated

import typer

Engine = Annotated[
    str,
    typer.Option("--engine", "-e", help="duckdb (in-process, the default) or athena."),
]
Database = Annotated[
    str | None,
    typer.Option(
        help="Athena: Glue database [default: flowlake].", envvar="FLOWLAKE_ATHENA_DATABASE"
    ),
]
Table = Annotated[
    str | None,
    typer.Option(
        help="Athena: the flow-log table [default: vpc_flow_logs].", envvar="FLOWLAKE_ATHENA_TABLE"
    ),
]
Workgroup = Annotated[
    str | None,
    typer.Option(help="Athena: workgroup [default: primary].", envvar="FLOWLAKE_ATHENA_WORKGROUP"),
]
OutputLocation = Annotated[
    str | None,
    typer.Option(
        "--output-location",
        help="Athena: s3:// prefix for its result files [default: the workgroup's].",
        envvar="FLOWLAKE_ATHENA_OUTPUT_LOCATION",
    ),
]
MaxScan = Annotated[
    str | None,
    typer.Option(
        help="Athena: refuse to run when the estimated scan is above this, e.g. 10GB.",
        show_default=False,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(help="Athena: seconds to wait for the query before stopping it.", min=0.1),
]
