"""The network-config tables (`sql/schema/config_tables.csv`), loaded as data.

Every table the flatteners write, the DuckDB views and the Athena DDL come from this file, so
a column is added in one place. Snapshot files hold the columns in the file's order; the
`snapshot` a row comes from is added by the views (it is a partition, not a stored column).
"""

import csv
from dataclasses import dataclass
from functools import cache

from flowlake.resources import sql_dir

CLOUDTRAIL_TABLE = "cloudtrail_events"


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str
    athena_type: str
    description: str


@cache
def tables() -> dict[str, tuple[Column, ...]]:
    """Table name -> its columns, in file order."""
    found: dict[str, list[Column]] = {}
    with open(sql_dir() / "schema" / "config_tables.csv", newline="") as f:
        for row in csv.DictReader(f):
            found.setdefault(row["table"], []).append(
                Column(row["column"], row["duckdb_type"], row["athena_type"], row["description"])
            )
    return {name: tuple(columns) for name, columns in found.items()}


def snapshot_tables() -> list[str]:
    """The tables a config snapshot holds (CloudTrail is read where the trail writes it)."""
    return [name for name in tables() if name != CLOUDTRAIL_TABLE]


def column_names(table: str) -> list[str]:
    return [c.name for c in tables()[table]]


def arrow_schema(table: str) -> object:
    import pyarrow as pa

    types = {
        "VARCHAR": pa.string(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(c.name, types[c.duckdb_type]) for c in tables()[table]])
