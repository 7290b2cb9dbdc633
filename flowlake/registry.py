"""The flow-log field registry (`sql/schema/flow_log_fields.csv`), loaded as data."""

import csv
from dataclasses import dataclass
from functools import cache

from flowlake.errors import UsageError
from flowlake.resources import sql_dir

DEFAULT_FORMAT = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    "packets bytes start end action log-status"
).split()


@dataclass(frozen=True)
class Field:
    aws_name: str
    column: str
    duckdb_type: str
    athena_type: str
    version: int
    description: str

    @property
    def is_numeric(self) -> bool:
        return self.duckdb_type != "VARCHAR"


@cache
def fields() -> tuple[Field, ...]:
    with open(sql_dir() / "schema" / "flow_log_fields.csv", newline="") as f:
        return tuple(
            Field(
                aws_name=row["aws_name"],
                column=row["column"],
                duckdb_type=row["duckdb_type"],
                athena_type=row["athena_type"],
                version=int(row["version"]),
                description=row["description"],
            )
            for row in csv.DictReader(f)
        )


@cache
def by_column() -> dict[str, Field]:
    return {f.column: f for f in fields()}


def column_name(name: str) -> str:
    """`log-status`, `${log-status}` or `log_status` -> `log_status`."""
    name = name.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1]
    return name.replace("-", "_").lower()


def field_for(name: str) -> Field:
    """The registry entry for a header name; unknown names become text columns."""
    column = column_name(name)
    known = by_column().get(column)
    if known:
        return known
    return Field(name, column, "VARCHAR", "string", 0, "unknown field, kept as text")


def parse_format(text: str) -> list[str]:
    """A format as users write it: `${version} ${srcaddr}`, `version srcaddr` or comma separated."""
    names = [column_name(t) for t in text.replace(",", " ").split()]
    if not names:
        raise UsageError(f"flow-log format {text!r} names no field")
    return names
