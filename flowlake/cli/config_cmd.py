"""`flowlake config snapshot` and `flowlake config import`: the network configuration into the
lake, for reject-attribution, diagnose and the audits."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flowlake.cli import options as opt
from flowlake.cli.app import app
from flowlake.errors import UsageError

if TYPE_CHECKING:
    from flowlake.lake.store import S3Options
    from flowlake.netconfig.collect import Collected

config_app = typer.Typer(
    name="config",
    help="Network configuration (security groups, network ACLs, routes, interfaces) in the lake.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(config_app, name="config")

Account = Annotated[
    str | None,
    typer.Option(help="Account the documents describe (default: the owner they name)."),
]


def _lake(lake: str | None) -> str:
    from flowlake import config

    location = config.setting("lake", lake)
    if not location:
        raise UsageError(
            "no lake given: pass --lake FOLDER|s3://bucket/prefix or set FLOWLAKE_LAKE"
        )
    return location


def _options(profile: str | None, region: str | None, endpoint_url: str | None) -> "S3Options":
    from flowlake import config
    from flowlake.lake.store import S3Options

    return S3Options(
        profile=config.setting("profile", profile),
        region=config.setting("region", region),
        endpoint_url=config.setting("endpoint_url", endpoint_url),
    )


def _report(done: "Collected") -> None:
    written = done.written
    scopes = ", ".join(f"{a or '?'}/{r or '?'}" for a, r in done.scopes)
    if written.snapshot is None:
        print(
            f"flowlake: config unchanged since snapshot {written.unchanged_since} ({scopes}): "
            "nothing written",
            file=sys.stderr,
        )
    else:
        print(
            f"flowlake: snapshot {written.snapshot} of {scopes} written to "
            f"{done.location.rstrip('/')}/config/",
            file=sys.stderr,
        )
    width = max((len(t) for t in written.rows), default=5)
    for table, rows in sorted(written.rows.items()):
        print(f"{table:<{width}}  {rows}")


@config_app.command("import")
def import_files(
    files: Annotated[
        list[Path], typer.Argument(help="Saved `aws ec2 describe-*` JSON output files.")
    ],
    lake: opt.Lake = None,
    account: Account = None,
    region: Annotated[
        str | None,
        typer.Option(help="Region the documents describe (default: the one their zones name)."),
    ] = None,
    profile: opt.Profile = None,
    endpoint_url: opt.EndpointUrl = None,
) -> None:
    """Store saved `aws ec2 describe-*` output (security groups, network ACLs, route tables,
    network interfaces, subnets, VPCs, NAT and internet gateways, peering, endpoints, instances)
    in the lake as one snapshot. Every file is checked before anything is written.

    Example: flowlake config import sg.json nacl.json rtb.json eni.json --lake ./flow-logs
    """
    from flowlake.netconfig.collect import import_files as run

    options = _options(profile, None, endpoint_url)
    _report(run(files, _lake(lake), options, account, region))


@config_app.command("snapshot")
def snapshot(
    lake: opt.Lake = None,
    regions: Annotated[
        str | None,
        typer.Option(help="Comma-separated regions to read (default: the profile's region)."),
    ] = None,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
) -> None:
    """Read the network configuration of each region through the AWS API (paginated describe
    calls) and store it in the lake as one snapshot, atomically.

    Example: flowlake config snapshot --lake s3://my-logs/vpc --regions us-east-1,eu-west-1
    """
    from flowlake.netconfig.collect import snapshot_aws

    wanted = [r.strip() for r in (regions or "").split(",") if r.strip()] or None
    options = _options(profile, region, endpoint_url)
    _report(snapshot_aws(_lake(lake), options, wanted))
