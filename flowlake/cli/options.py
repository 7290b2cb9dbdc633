"""Options shared by several commands, defined once."""

from pathlib import Path
from typing import Annotated

import typer

Lake = Annotated[
    str | None,
    typer.Option(
        "--lake",
        "-l",
        help="Folder or s3://bucket/prefix holding flow logs (or FLOWLAKE_LAKE, flowlake.toml).",
        show_default=False,
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        help="Start of the window: ISO 8601 (2024-05-01T10:00Z) or a duration back (15m, 24h, 7d)."
    ),
]
Until = Annotated[
    str | None, typer.Option(help="End of the window (exclusive), same forms as --since.")
]
Params = Annotated[
    list[str] | None,
    typer.Option(
        "--param", "-p", help="Query parameter NAME=VALUE (repeatable).", show_default=False
    ),
]
Format = Annotated[
    str, typer.Option("--format", "-f", help="table, csv, json, jsonl, markdown or parquet.")
]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the result to FILE instead of stdout.")
]


def _format_given(value: str | None) -> str | None:
    """`--fields "$FORMAT"` with FORMAT unset must not fall back to the default format."""
    if value is not None and not value.strip():
        raise typer.BadParameter("needs the flow log's format, e.g. 'version account-id ...'")
    return value


Fields = Annotated[
    str | None,
    typer.Option(
        help="Format of files without a header line, e.g. 'version account-id ...' "
        "(default: AWS's v2 default format).",
        callback=_format_given,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict", help="Fail on a malformed line or unreadable file instead of skipping it."
    ),
]
Profile = Annotated[str | None, typer.Option(help="AWS profile for S3 (boto3 credential chain).")]
Region = Annotated[str | None, typer.Option(help="AWS region.")]
EndpointUrl = Annotated[
    str | None, typer.Option(help="S3-compatible endpoint URL, e.g. http://127.0.0.1:9000.")
]
Dialect = Annotated[str, typer.Option("--dialect", "-d", help="duckdb or athena.")]
