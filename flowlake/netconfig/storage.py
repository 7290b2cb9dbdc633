"""Config snapshots in the lake: written atomically, read only when complete.

    config/<table>/snapshot=<id>/part.parquet     one file per table and snapshot
    config/_snapshots/<id>.json                   the manifest: one JSON line per (table, scope)

<id> is the snapshot's UTC time in ISO 8601 basic form (20240501T101500Z), so ids sort in time
order and need no escaping in S3 keys or Hive partitions. A scope is the (account, region) the
rows were taken in. The manifest is written last (a rename locally, one PUT on S3): it is the
commit. Readers only use snapshots that have one, so a crash leaves parts nobody reads, never a
half snapshot. For each table and scope the newest snapshot holding it wins, so snapshots of
several accounts (or imports of one document at a time) add up. A write whose rows equal the
newest ones for every table and scope is skipped: a rerun duplicates nothing.

An import whose documents name no region (describe-security-groups, describe-network-acls) has
the scope (account, ''). It describes one of the account's regions, so it is read only until
that account has a table's rows for a named region: the two would hold the same rows twice.
For the same reason a region-less write of a table the account already has for a named region
is refused (it would never be read): the import must name the region.
"""

import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowlake.errors import LakeError, UsageError
from flowlake.lake.store import LocalStore, S3Options, S3Store, Store, open_store
from flowlake.netconfig.flatten import Tables
from flowlake.netconfig.schema import arrow_schema, snapshot_tables

CONFIG_DIR = "config/"
MANIFEST_DIR = "config/_snapshots/"
PART = "part.parquet"
Scope = tuple[str, str]  # (account_id, region)


@dataclass(frozen=True)
class Entry:
    """One manifest line: a table's rows for one scope in one snapshot."""

    snapshot: str
    taken_at: str
    source: str
    table: str
    account_id: str
    region: str
    rows: int
    digest: str

    @property
    def scope(self) -> Scope:
        return (self.account_id, self.region)


@dataclass(frozen=True)
class Written:
    snapshot: str | None  # None: nothing changed, nothing written
    rows: dict[str, int]  # table -> rows over every scope
    unchanged_since: str | None = None


def part_key(table: str, snapshot: str) -> str:
    return f"{CONFIG_DIR}{table}/snapshot={snapshot}/{PART}"


def _digest(rows: list[dict[str, Any]]) -> str:
    lines = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _parquet(table: str, rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema: Any = arrow_schema(table)
    data = pa.Table.from_pylist(rows, schema=schema)
    sink = io.BytesIO()
    pq.write_table(data, sink)
    return sink.getvalue()


# -- bytes in and out of a store ---------------------------------------------------------------


def put(store: Store, key: str, data: bytes) -> None:
    """Write one object whole: a hidden temporary file renamed into place, or one S3 PUT."""
    if isinstance(store, LocalStore):
        path = store.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise LakeError(f"cannot write {path}: {exc.strerror}") from None
        finally:
            tmp.unlink(missing_ok=True)
        return
    if isinstance(store, S3Store):
        from flowlake.lake.aws import s3_errors

        with s3_errors(store.url):
            store.client.put_object(Bucket=store.bucket, Key=store.prefix + key, Body=data)
        return
    raise LakeError(f"{store.url}: cannot write config snapshots here")


def get(store: Store, key: str) -> bytes:
    if isinstance(store, LocalStore):
        path = store.root / key
        try:
            return path.read_bytes()
        except OSError as exc:
            raise LakeError(f"cannot read {path}: {exc.strerror}") from None
    if isinstance(store, S3Store):
        from flowlake.lake.aws import s3_errors

        with s3_errors(store.url):
            response = store.client.get_object(Bucket=store.bucket, Key=store.prefix + key)
            return bytes(response["Body"].read())
    raise LakeError(f"{store.url}: cannot read config snapshots here")


def writable_store(location: str, s3: S3Options) -> Store:
    """The lake's store for writing: a local lake folder is created if needed."""
    if "://" not in location:
        path = Path(location).expanduser()
        if path.is_file():
            raise LakeError(f"{path}: the lake is a file; config snapshots need a folder")
        path.mkdir(parents=True, exist_ok=True)
    return open_store(location, s3)


# -- reading manifests -------------------------------------------------------------------------


def _entries(store: Store, key: str) -> Iterator[Entry]:
    for line in get(store, key).decode("utf-8").splitlines():
        if line.strip():
            yield Entry(**json.loads(line))


def manifests(store: Store) -> tuple[list[Entry], list[str]]:
    """Every committed manifest line, and the manifests that could not be read (and why)."""
    if isinstance(store, LocalStore) and not store.root.is_dir():
        return [], []  # a lake that is one file has no config
    entries: list[Entry] = []
    problems: list[str] = []
    for info in store.list_dir(MANIFEST_DIR)[1]:
        if not info.key.endswith(".json"):
            continue
        try:
            entries += list(_entries(store, info.key))
        except (ValueError, TypeError) as exc:
            problems.append(f"{store.reader_path(info.key)}: not a flowlake manifest ({exc})")
    return entries, problems


def _regional(entries: list[Entry]) -> dict[tuple[str, str], set[str]]:
    """(table, account) -> the named regions it has snapshots for."""
    found: dict[tuple[str, str], set[str]] = {}
    for entry in entries:
        if entry.region:
            found.setdefault((entry.table, entry.account_id), set()).add(entry.region)
    return found


def latest(entries: list[Entry]) -> dict[str, list[Entry]]:
    """table -> for each scope, the entry of the newest snapshot that holds it (an account's
    region-less scope left out once the account has the table for a named region)."""
    chosen: dict[tuple[str, Scope], Entry] = {}
    for entry in sorted(entries, key=lambda e: e.snapshot):
        chosen[(entry.table, entry.scope)] = entry
    regional = _regional(list(chosen.values()))
    by_table: dict[str, list[Entry]] = {}
    for (table, _), entry in sorted(chosen.items()):
        if not entry.region and (table, entry.account_id) in regional:
            continue  # the same rows as a regional scope's, or older ones
        by_table.setdefault(table, []).append(entry)
    return by_table


# -- writing -----------------------------------------------------------------------------------


def _snapshot_id(now: datetime, taken: set[str]) -> str:
    base = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _refuse_unread(scoped: dict[Scope, Tables], regional: dict[tuple[str, str], set[str]]) -> None:
    """A region-less write of a table the account has for a named region would never be read."""
    for (account, region), rows in scoped.items():
        clash = sorted(t for t in rows if not region and (t, account) in regional)
        if clash:
            regions = ", ".join(sorted(regional[(clash[0], account)]))
            raise UsageError(
                f"the documents do not say which region they describe, and the lake holds "
                f"{clash[0]} of account {account or '?'} for {regions}: pass --region"
            )


def write_snapshot(
    store: Store,
    scoped: dict[Scope, Tables],
    source: str,
    now: datetime | None = None,
) -> Written:
    """Write the rows of each scope as one snapshot (manifest last), unless nothing changed."""
    tables = sorted({t for rows in scoped.values() for t in rows} & set(snapshot_tables()))
    existing, _ = manifests(store)
    _refuse_unread(scoped, _regional(existing))
    newest = {(e.table, e.scope): e for t in latest(existing).values() for e in t}
    digests = {
        (table, scope): _digest(rows[table])
        for scope, rows in scoped.items()
        for table in tables
        if table in rows
    }
    counts = {t: sum(len(rows.get(t, [])) for rows in scoped.values()) for t in tables}
    same = [newest.get(key) is not None and newest[key].digest == d for key, d in digests.items()]
    if digests and all(same):
        since = max(newest[key].snapshot for key in digests)
        return Written(None, counts, unchanged_since=since)

    now = now or datetime.now(UTC)
    snapshot = _snapshot_id(now, {e.snapshot for e in existing})
    taken_at = f"{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    for table in tables:
        rows = [row for scope_rows in scoped.values() for row in scope_rows.get(table, [])]
        put(store, part_key(table, snapshot), _parquet(table, rows))
    lines = [
        Entry(
            snapshot, taken_at, source, table, scope[0], scope[1], len(rows[table]), digest
        ).__dict__
        for (table, scope), digest in sorted(digests.items())
        for rows in [scoped[scope]]
    ]
    manifest = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    put(store, f"{MANIFEST_DIR}{snapshot}.json", manifest.encode())  # the commit
    return Written(snapshot, counts)
