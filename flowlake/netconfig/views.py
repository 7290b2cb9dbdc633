"""The config tables as DuckDB views, beside `flow_logs`.

`register_config_tables` runs when a DuckDB engine connects: each table becomes a view over
the newest complete snapshot of each scope (see storage.py), or an empty view of the right
columns when the lake has none, so every query compiles. An engine made for one catalogue
query creates only the tables its SQL names (`flowlake.api.run_query`). A query that needs a
table says so in its header (`tables = [...]`); `require_tables` turns a missing one into one
line telling what to run. CloudTrail is only read when a query needs `cloudtrail_events`.
"""

import os
import re
from collections.abc import Collection
from typing import Any

from flowlake.errors import FlowlakeError
from flowlake.lake import Lake
from flowlake.lake.store import S3Options, open_store
from flowlake.netconfig import cloudtrail
from flowlake.netconfig.schema import CLOUDTRAIL_TABLE, Column, tables
from flowlake.netconfig.storage import Entry, latest, manifests, part_key
from flowlake.sqltext import quote, string_literal

PRESENT = "flowlake_config_tables"  # which tables hold data, and from which snapshots


class MissingConfigError(FlowlakeError):
    """A query needs network-config tables (or CloudTrail logs) the lake does not have."""


def _typed_nulls(columns: tuple[Column, ...]) -> str:
    return ", ".join(f"CAST(NULL AS {c.duckdb_type}) AS {quote(c.name)}" for c in columns)


def _view_sql(table: str, entries: list[Entry], lake: Lake) -> str:
    columns = ", ".join(quote(c.name) for c in tables()[table])
    branches = []
    by_snapshot: dict[str, list[Entry]] = {}
    for entry in entries:
        by_snapshot.setdefault(entry.snapshot, []).append(entry)
    for snapshot, chosen in sorted(by_snapshot.items()):
        path = lake.store.reader_path(part_key(table, snapshot))
        scopes = " OR ".join(
            f"(account_id = {string_literal(e.account_id)} AND region = {string_literal(e.region)})"
            for e in chosen
        )
        branches.append(
            f"SELECT {string_literal(snapshot)} AS snapshot, {columns} "
            f"FROM read_parquet({string_literal(path)}) WHERE {scopes}"
        )
    return f"CREATE OR REPLACE VIEW {quote(table)} AS " + " UNION ALL ".join(branches)


def _empty_sql(table: str) -> str:
    nulls = _typed_nulls(tables()[table])
    return (
        f"CREATE OR REPLACE VIEW {quote(table)} AS "
        f"SELECT CAST(NULL AS VARCHAR) AS snapshot, {nulls} WHERE false"
    )


def tables_read_by(sql: str) -> list[str]:
    """The config tables whose names appear in `sql` (a query may read some only if they hold
    data, so its header's `tables`, the ones it needs, may name fewer)."""
    return [t for t in tables() if re.search(rf"\b{t}\b", sql)]


def register_config_tables(
    con: Any, lake: Lake | None, only: Collection[str] | None = None
) -> list[str]:
    """Create the config views on a DuckDB connection (`only` those named, if given: the lake's
    snapshots are then not even listed when none is); returns warnings for the user."""
    warnings: list[str] = []
    chosen: dict[str, list[Entry]] = {}
    wanted = [t for t in tables() if only is None or t in only]
    if lake is not None and any(t != CLOUDTRAIL_TABLE for t in wanted):
        entries, warnings = manifests(lake.store)
        chosen = latest(entries)
    con.execute(f"CREATE OR REPLACE TABLE {PRESENT} (name VARCHAR, snapshots VARCHAR)")
    for table in wanted:
        if table == CLOUDTRAIL_TABLE:
            # empty until load_cloudtrail fills it; plain SQL keeps pyarrow off start-up
            nulls = _typed_nulls(tables()[table])
            con.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS SELECT {nulls} WHERE false")
        elif table in chosen:
            con.execute(_view_sql(table, chosen[table], lake))  # type: ignore[arg-type]
            snapshots = ",".join(sorted({e.snapshot for e in chosen[table]}))
            con.execute(f"INSERT INTO {PRESENT} VALUES (?, ?)", [table, snapshots])
        else:
            con.execute(_empty_sql(table))
    return warnings


def present_tables(con: Any) -> dict[str, str]:
    """Tables holding data on this connection -> the snapshots (or sources) they come from."""
    return dict(con.execute(f"SELECT name, snapshots FROM {PRESENT}").fetchall())


def _cloudtrail_table(con: Any, events: list[dict[str, Any]]) -> None:
    import pyarrow as pa

    from flowlake.netconfig.schema import arrow_schema

    schema: Any = arrow_schema(CLOUDTRAIL_TABLE)
    data = pa.Table.from_pylist(events, schema=schema)
    con.register("flowlake_cloudtrail_arrow", data)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {CLOUDTRAIL_TABLE} AS SELECT * FROM flowlake_cloudtrail_arrow"
        )
    finally:
        con.unregister("flowlake_cloudtrail_arrow")


def _use_s3(con: Any, options: S3Options) -> None:
    """httpfs and a secret, for a CloudTrail bucket read from a lake that is a folder."""
    from flowlake.engines.duckdb_conn import create_s3_secret, httpfs_extension_path

    con.execute(f"LOAD '{httpfs_extension_path()}'")
    create_s3_secret(con, options, name="flowlake_cloudtrail")


def cloudtrail_locations(lake: Lake | None, given: str | None = None) -> list[str]:
    """Where to look for CloudTrail: --cloudtrail or FLOWLAKE_CLOUDTRAIL, else the lake."""
    explicit = given or os.environ.get("FLOWLAKE_CLOUDTRAIL")
    if explicit:
        return [explicit]
    return [lake.location] if lake else []


def load_cloudtrail(engine: Any, location: str | None = None) -> list[str]:
    """Fill `cloudtrail_events` for the engine's window; returns notices. Raises when no
    CloudTrail folder exists where it looked."""
    con = engine.connect()
    lake: Lake | None = engine.lake
    if lake is None:
        raise MissingConfigError("CloudTrail needs a lake or a --cloudtrail location")
    notices: list[str] = []
    events: list[dict[str, Any]] = []
    searched = cloudtrail_locations(lake, location)
    found_any = False
    for place in searched:
        store = lake.store if place == lake.location else open_store(place, lake.s3)
        files, found = cloudtrail.find_files(store, lake.window)
        found_any = found_any or found
        paths = [store.reader_path(f.key) for f in files]
        if paths and place.startswith("s3://") and not lake.is_s3:
            _use_s3(con, lake.s3)
        try:
            events += cloudtrail.read_events(con, paths)
        except Exception as exc:  # noqa: BLE001 - DuckDB's error, made one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FlowlakeError(f"cannot read CloudTrail logs under {store.url}: {first}") from None
    if not found_any:
        raise MissingConfigError(
            f"no CloudTrail logs under {', '.join(searched)} (AWSLogs/<account>/CloudTrail/"
            "<region>/yyyy/MM/dd/): point FLOWLAKE_CLOUDTRAIL (or --cloudtrail) at the trail's "
            "bucket or folder"
        )
    if lake.window.since is None:
        days = cloudtrail.DEFAULT_LOOKBACK.days
        notices.append(f"CloudTrail read for the last {days} days (no --since given)")
    _cloudtrail_table(con, events)
    con.execute(f"DELETE FROM {PRESENT} WHERE name = ?", [CLOUDTRAIL_TABLE])
    con.execute(f"INSERT INTO {PRESENT} VALUES (?, ?)", [CLOUDTRAIL_TABLE, ",".join(searched)])
    return notices


def require_tables(engine: Any, needed: list[str], query: str) -> None:
    """Make sure a DuckDB engine has the config tables a query reads (loading CloudTrail if
    asked); other engines keep their own tables and are left alone."""
    if getattr(engine, "name", None) != "duckdb" or not needed:
        return
    con = engine.connect()
    present = present_tables(con)
    missing = [t for t in needed if t not in present and t != CLOUDTRAIL_TABLE]
    if missing:
        lake = engine.lake.location if engine.lake else "LAKE"
        raise MissingConfigError(
            f"query {query} needs the network config table(s) {', '.join(missing)}, which "
            f"{lake} does not have: run `flowlake config snapshot --lake {lake}` or "
            f"`flowlake config import FILE... --lake {lake}` first"
        )
    if CLOUDTRAIL_TABLE in needed and CLOUDTRAIL_TABLE not in present:
        engine.notices.extend(load_cloudtrail(engine))
