"""`flowlake compact`: raw flow logs into an hour-partitioned Parquet lake, incrementally."""

import re
import sys
from typing import Annotated

import typer

from flowlake.cli import options as opt
from flowlake.cli.app import app, build_lake, report
from flowlake.errors import FlowlakeError, UsageError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str) -> int:
    """`67108864`, `64M`, `64MiB`, `1.5G` -> bytes (binary units)."""
    match = _SIZE.match(text)
    if not match or float(match[1]) <= 0:
        raise UsageError(f"invalid size {text!r}: use bytes or a number with K, M or G, e.g. 64M")
    return int(float(match[1]) * _UNITS[match[2].lower()])


@app.command()
def compact(
    lake: opt.Lake = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Folder or s3://bucket/prefix of the compacted lake.", show_default=False
        ),
    ] = None,
    since: opt.Since = None,
    until: opt.Until = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Write nothing: recount the sources and the compacted files and compare them "
            "with the manifest (exit 1 on a difference).",
        ),
    ] = False,
    batch_bytes: Annotated[
        str,
        typer.Option(help="Source bytes read per batch (memory grows with it)."),
    ] = "128M",
    fields: opt.Fields = None,
    strict: opt.Strict = False,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
) -> None:
    """Copy a lake's new and changed flow-log files into zstd Parquet, partitioned by account,
    region and hour (AWS's Hive layout), sorted by action then start time (a query of rejects
    skips the row groups of accepted traffic), with the lake's network-config snapshots and
    CloudTrail logs copied as they are; query the result as any lake. Run it on a schedule
    (with --since 2d): batches of runs that share an hour are merged, one file an hour.

    Example: flowlake compact --lake s3://logs/flow --to s3://logs-compacted/flow --since 2d
    """
    from flowlake.compact import compact as run_compact
    from flowlake.compact.verify import verify as run_verify

    if not to:
        raise UsageError("no destination given: pass --to FOLDER|s3://bucket/prefix")
    size = parse_size(batch_bytes)
    the_lake = build_lake(lake, since, until, fields, strict, profile, region, endpoint_url)
    if verify:
        checked = run_verify(the_lake, to)
        print(
            f"{checked.destination}: {checked.batches} batch(es), {checked.files} file(s), "
            f"{checked.rows:,} rows; {checked.sources_checked} source file(s) recounted"
        )
        for line in checked.differences:
            print(f"DIFFERENT {line}")
        report([], checked.notes)
        if not checked.ok:
            raise FlowlakeError(f"verify found {len(checked.differences)} difference(s)")
        print("OK: the compacted lake holds exactly the rows of its sources")
        return

    def progress(line: str) -> None:
        print(f"flowlake: {line}", file=sys.stderr, flush=True)

    done = run_compact(the_lake, to, batch_bytes=size, progress=progress)
    if done.batches:
        print(
            f"compacted {done.sources} source file(s): {done.rows:,} rows, "
            f"{done.lines_skipped} malformed line(s) skipped, in {len(done.batches)} batch(es) "
            f"of {done.files} Parquet file(s) under {done.destination}"
            + (f" ({len(done.replaced)} batch(es) rewritten)" if done.replaced else "")
        )
    print(f"{done.up_to_date} source file(s) up to date (compacted before, unchanged)")
    if done.merged:
        print(
            f"merged {sum(len(m.batches) for m in done.merged)} batch(es) sharing hour partitions "
            f"into {len(done.merged)}: {sum(m.files_before for m in done.merged)} Parquet file(s) "
            f"became {sum(m.files_after for m in done.merged)}"
        )
    copied = done.companions
    if copied.config or copied.cloudtrail:
        print(
            f"copied {copied.config} network-config file(s) and {copied.cloudtrail} CloudTrail "
            "file(s) the compacted lake did not have"
        )
    report(done.warnings, [])
    if done.pending:
        for line in done.pending:
            print(f"flowlake: warning: {line}", file=sys.stderr)
        raise FlowlakeError(f"{len(done.pending)} batch(es) with changed sources left as before")
