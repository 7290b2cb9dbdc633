"""`config import` and `config snapshot`: documents in, one committed snapshot out."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flowlake.errors import UsageError
from flowlake.lake.store import S3Options
from flowlake.netconfig.documents import Document, load_file
from flowlake.netconfig.flatten import Tables, flatten, owner_ids, regions
from flowlake.netconfig.storage import Scope, Written, writable_store, write_snapshot


@dataclass(frozen=True)
class Collected:
    written: Written
    scopes: list[Scope]
    documents: int
    location: str


def import_documents(
    documents: list[Document],
    lake: str,
    s3: S3Options | None = None,
    account: str | None = None,
    region: str | None = None,
    source: str = "import",
    now: datetime | None = None,
) -> Collected:
    """Store saved describe-* documents as one snapshot of the scope they describe.

    The account is `account`, else the owner most resources name; the region is `region`,
    else the one their Availability Zones name, else '' (describe-* output does not say).
    """
    from flowlake.athena.table import check_partition_values

    # the scope keys the lake's snapshots: only values AWS could write
    check_partition_values([] if account is None else [account], [] if region is None else [region])
    owners = owner_ids(documents)
    zones = regions(documents)
    if region is None and len(zones) > 1:
        raise UsageError(
            f"the documents span regions {', '.join(zones)}: import each region with --region"
        )
    scope = (account or (owners[0] if owners else ""), region or (zones[0] if zones else ""))
    tables = flatten(documents, *scope)
    return _store({scope: tables}, lake, s3, source, len(documents), now)


def import_files(
    paths: Iterable[Path],
    lake: str,
    s3: S3Options | None = None,
    account: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> Collected:
    """`flowlake config import FILE...`: every file is read and checked before anything is
    written, so one bad file leaves the lake as it was."""
    paths = list(paths)
    if not paths:
        raise UsageError("no files to import: pass saved `aws ec2 describe-*` JSON files")
    documents = [d for path in paths for d in load_file(path)]
    names = ", ".join(p.name for p in paths)
    source = f"import {names}"[:300]
    return import_documents(documents, lake, s3, account, region, source, now)


def snapshot_aws(
    lake: str,
    s3: S3Options | None = None,
    region_names: list[str] | None = None,
    now: datetime | None = None,
) -> Collected:
    """`flowlake config snapshot`: read each region through boto3, store one snapshot."""
    from flowlake.athena.table import check_partition_values
    from flowlake.netconfig import ec2

    options = s3 or S3Options()
    wanted = region_names or [r for r in [ec2.default_region(options)] if r]
    if not wanted:
        raise UsageError("no region to snapshot: pass --regions us-east-1,... or --region")
    check_partition_values([], wanted)
    account = ec2.account_id(options)
    scoped: dict[Scope, Tables] = {}
    count = 0
    for region in wanted:
        documents = ec2.read_region(options, region)
        count += len(documents)
        scoped[(account, region)] = flatten(documents, account, region)
    return _store(scoped, lake, options, f"snapshot {account} {','.join(wanted)}", count, now)


def _store(
    scoped: dict[Scope, Tables],
    lake: str,
    s3: S3Options | None,
    source: str,
    documents: int,
    now: datetime | None,
) -> Collected:
    store = writable_store(lake, s3 or S3Options())
    written = write_snapshot(store, scoped, source, now)
    return Collected(written, sorted(scoped), documents, store.url)
