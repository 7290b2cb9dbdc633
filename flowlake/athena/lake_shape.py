"""What an Athena table over a lake must say, read from the lake itself: its key layout, whether
it is per hour, its organizations, accounts and regions, the oldest year, and the files' format.

A table's text columns are positional, so the field order comes from a real file's header:
the newest file of every account and region is read (one GET of its first bytes each).
"""

import re
from dataclasses import dataclass

from flowlake import registry
from flowlake.errors import LakeError
from flowlake.lake.discovery import FLOW_LOG_SUFFIXES, detect_format
from flowlake.lake.store import LocalStore, ObjectInfo, S3Store, Store

_ORG = re.compile(r"^(o-[a-z0-9]+)/$")
_ACCOUNT = re.compile(r"^(aws-account-id=)?(\d{12})/$")
_SERVICE = ("vpcflowlogs/", "aws-service=vpcflowlogs/")
_REGION = re.compile(r"^(aws-region=)?([a-z]{2}(?:-[a-z]+)+-\d+)/$")
_YEAR = re.compile(r"^(?:year=)?(\d{4})/$")
_MONTH = re.compile(r"^(?:month=)?(\d{2})/$")
_DAY = re.compile(r"^(?:day=)?(\d{2})/$")
_HOUR = re.compile(r"^(?:hour=)?(\d{2})/$")


@dataclass(frozen=True)
class Root:
    """One account and region's prefix: `AWSLogs/[org/]<account>/vpcflowlogs/<region>/`."""

    prefix: str
    layout: str
    org: str | None
    account: str
    region: str


@dataclass(frozen=True)
class FileFormat:
    kind: str  # "text" or "parquet"
    columns: tuple[tuple[str, str], ...]
    """(column, Athena type) in file order."""
    header: bool
    sample: str
    """The file it was read from."""


@dataclass(frozen=True)
class LakeShape:
    location: str
    """The `AWSLogs/` prefix (s3://...): the table's LOCATION."""
    layout: str
    hourly: bool
    orgs: tuple[str, ...]
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    first_year: int | None
    file_format: FileFormat | None
    """None when the lake holds no flow-log file yet (or its format was not read)."""
    kinds: tuple[str, ...] = ()
    """text and/or parquet: what the newest files are, by their names (read or not)."""


def _leaf(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] + "/"


def _dirs(store: Store, prefix: str) -> list[str]:
    return store.list_dir(prefix)[0]


def _find_roots(store: Store, base: str) -> list[Root]:
    roots = []
    top = _dirs(store, base)
    orgs = [d for d in top if _ORG.match(_leaf(d))]
    account_dirs: list[tuple[str | None, str]] = [
        (None, d) for d in top if _ACCOUNT.match(_leaf(d))
    ]
    for org_dir in orgs:
        org_id = _leaf(org_dir).rstrip("/")
        account_dirs += [(org_id, d) for d in _dirs(store, org_dir) if _ACCOUNT.match(_leaf(d))]
    for org, account_dir in account_dirs:
        account_match = _ACCOUNT.match(_leaf(account_dir))
        assert account_match
        layout = "hive" if account_match.group(1) else "default"
        for service_dir in _dirs(store, account_dir):
            if _leaf(service_dir) != _SERVICE[layout == "hive"]:
                continue  # CloudTrail, another layout's folder, anything else
            for region_dir in _dirs(store, service_dir):
                region = _REGION.match(_leaf(region_dir))
                if region and bool(region.group(1)) == (layout == "hive"):
                    roots.append(Root(region_dir, layout, org, account_match[2], region[2]))
    return roots


def _newest(store: Store, root: str) -> tuple[int | None, bool | None, ObjectInfo | None]:
    """(oldest year, per hour?, newest flow-log file) under one root, listing only the newest
    year, month, day (and hour)."""
    years = [d for d in _dirs(store, root) if _YEAR.match(_leaf(d))]
    if not years:
        return None, None, None
    first_year = min(int(_YEAR.match(_leaf(d))[1]) for d in years)  # type: ignore[index]
    prefix = max(years)
    for level in (_MONTH, _DAY):
        found = [d for d in _dirs(store, prefix) if level.match(_leaf(d))]
        if not found:
            return first_year, None, None
        prefix = max(found)
    dirs, files = store.list_dir(prefix)
    hours = [d for d in dirs if _HOUR.match(_leaf(d))]
    if hours:
        files = store.list_dir(max(hours))[1]
    logs = [f for f in files if f.key.endswith(FLOW_LOG_SUFFIXES) and f.size]
    return first_year, bool(hours), max(logs, key=lambda f: f.key) if logs else None


def parquet_columns(store: Store, key: str) -> tuple[tuple[str, str], ...]:
    """The columns of a Parquet file with their Athena types, from its footer alone (a
    compacted lake's lineage column left out: it is no flow-log field)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from flowlake.lake.view import LINEAGE_COLUMN

    tail = _tail(store, key, 64 * 1024)
    footer_length = int.from_bytes(tail[-8:-4], "little") if len(tail) >= 8 else -1
    if tail[-4:] != b"PAR1" or footer_length < 0:
        raise LakeError(f"{store.reader_path(key)}: not a Parquet file")
    if footer_length + 8 > len(tail):
        tail = _tail(store, key, footer_length + 8)
    # a file of just the footer: the schema needs nothing else
    footer = b"PAR1" + tail[-(footer_length + 8) :]
    try:
        schema = pq.read_schema(pa.BufferReader(footer))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad footer
        raise LakeError(f"{store.reader_path(key)}: unreadable Parquet footer ({exc})") from None
    types = {
        pa.int8(): "tinyint", pa.int16(): "smallint", pa.int32(): "int", pa.int64(): "bigint",
        pa.float32(): "float", pa.float64(): "double", pa.bool_(): "boolean",
        pa.string(): "string", pa.large_string(): "string",
    }  # fmt: skip
    return tuple(
        (
            registry.column_name(f.name),
            types.get(f.type) or registry.field_for(f.name).athena_type,
        )
        for f in schema
        if f.name != LINEAGE_COLUMN
    )


def _tail(store: Store, key: str, length: int) -> bytes:
    if isinstance(store, S3Store):
        from flowlake.lake.aws import s3_errors

        with s3_errors(store.url):
            response = store.client.get_object(
                Bucket=store.bucket, Key=store.prefix + key, Range=f"bytes=-{length}"
            )
            return bytes(response["Body"].read())
    if isinstance(store, LocalStore):
        with open(store.reader_path(key), "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - length))
            return f.read()
    raise LakeError(f"cannot read {key} from {store.url}")


def text_columns(fields: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (c, "string" if c == "export_timestamp" else registry.field_for(c).athena_type)
        for c in fields
    )


def _file_format(store: Store, sample: ObjectInfo) -> FileFormat:
    if sample.key.endswith(".parquet"):
        return FileFormat("parquet", parquet_columns(store, sample.key), False, sample.key)
    default = [registry.column_name(n) for n in registry.DEFAULT_FORMAT]
    names, header = detect_format(
        store.first_line(sample.key), default, store.reader_path(sample.key)
    )
    return FileFormat("text", text_columns(names), header, sample.key)


def inspect_lake(store: Store, *, read_format: bool = True) -> LakeShape:
    """The shape of the lake under `store` (which holds `AWSLogs/` or is it)."""
    if store.url.rstrip("/").endswith("/AWSLogs"):
        base, location = "", store.url
    elif "AWSLogs/" in _dirs(store, ""):
        base, location = "AWSLogs/", store.url + "AWSLogs/"
    else:
        raise LakeError(
            f"no AWSLogs/ folder in {store.url}: an Athena table needs AWS's S3 layout "
            "(AWSLogs/<account>/vpcflowlogs/<region>/...)"
        )
    roots = _find_roots(store, base)
    if not roots:
        raise LakeError(f"no AWSLogs/<account>/vpcflowlogs/<region>/ prefixes in {location}")
    layouts = {r.layout for r in roots}
    if len(layouts) > 1:
        raise LakeError(
            f"{location} mixes AWS's default and Hive-compatible layouts: one table per layout"
        )
    first_years, hourly, formats, kinds = [], set(), {}, set()
    for root in roots:
        first_year, per_hour, newest = _newest(store, root.prefix)
        if first_year is not None:
            first_years.append(first_year)
        if per_hour is not None:
            hourly.add(per_hour)
        if newest is not None:
            kinds.add("parquet" if newest.key.endswith(".parquet") else "text")
        if newest is not None and read_format:
            formats[root.prefix] = _file_format(store, newest)
    if len(hourly) > 1:
        raise LakeError(f"{location} mixes daily and per-hour prefixes: one table per kind")
    found = _one_format(list(formats.values()), location)
    return LakeShape(
        location=location,
        layout=layouts.pop(),
        hourly=hourly.pop() if hourly else False,
        orgs=tuple(sorted({r.org for r in roots if r.org})),
        accounts=tuple(sorted({r.account for r in roots})),
        regions=tuple(sorted({r.region for r in roots})),
        first_year=min(first_years) if first_years else None,
        file_format=found,
        kinds=tuple(sorted(kinds)),
    )


def _one_format(found: list[FileFormat], location: str) -> FileFormat | None:
    """The format every file shares. Parquet is read by column name, so Parquet files with
    different columns share a table of all their columns; text columns are positional."""
    if not found:
        return None
    first = found[0]
    if all(f.kind == "parquet" for f in found):
        columns = dict(first.columns)
        for other in found[1:]:
            columns.update((c, t) for c, t in other.columns if c not in columns)
        return FileFormat("parquet", tuple(columns.items()), False, first.sample)
    for other in found[1:]:
        if (other.kind, other.columns, other.header) != (first.kind, first.columns, first.header):
            raise LakeError(
                f"flow logs in {location} have different formats ({_describe(first)} and "
                f"{_describe(other)}): a text table's columns are positional, so each format "
                "needs its own table (--lake narrowed to its prefix, --table to name it)"
            )
    return first


def _describe(fmt: FileFormat) -> str:
    columns = " ".join(c for c, _ in fmt.columns[:4])
    return f"{fmt.kind} {columns} ... in {fmt.sample}"
