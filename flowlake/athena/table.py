"""The flow-log table Athena reads, as one definition: its DDL (ddl.py) and its Glue TableInput
(for `flowlake athena setup`) are both written from it, so they cannot disagree.

Text: positional columns in the files' own field order, fields separated by one space, the
header line skipped, `-` read as NULL. Parquet: columns matched by name, with the types of AWS's
Parquet delivery (INT32 fields are `int`, not `bigint` as AWS's examples declare `protocol`).
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flowlake import registry
from flowlake.athena.lake_shape import LakeShape, text_columns
from flowlake.athena.partitions import Projection, projection_for
from flowlake.errors import UsageError

TEXT_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
FILE_FORMATS = ("text", "parquet")

DEFAULT_DATABASE = "flowlake"
DEFAULT_TABLE = "vpc_flow_logs"
VIEW = "flow_logs"
"""The view every catalogue query reads: the table plus start_time and end_time."""

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def check_name(name: str, what: str) -> str:
    """Glue lowercases names and Athena needs quotes for anything but [a-z0-9_]: refuse them."""
    if not _NAME.match(name):
        raise UsageError(f"{what} name {name!r}: use lowercase letters, digits and underscores")
    return name


def check_partition_values(accounts: list[str], regions: list[str]) -> None:
    """Account ids and regions given for the projection must be ones AWS could write."""
    for account in accounts:
        if not _ACCOUNT.match(account):
            raise UsageError(f"account id {account!r}: an AWS account id is 12 digits")
    for region in regions:
        if not _REGION.match(region):
            raise UsageError(f"region {region!r} is not an AWS region name (e.g. eu-west-1)")


@dataclass(frozen=True)
class FlowLogTable:
    database: str
    name: str
    file_format: str
    """text or parquet."""
    columns: tuple[tuple[str, str], ...]
    """(column, Athena type): in file order for text."""
    projection: Projection
    location: str
    header: bool = True
    """Text files start with a header line (AWS's S3 delivery always writes one)."""

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def partition_keys(self) -> list[tuple[str, str]]:
        return [(c.name, c.type) for c in self.projection.columns]

    def properties(self) -> dict[str, str]:
        """TBLPROPERTIES: how to read the files, then the partition projection."""
        props: dict[str, str] = {}
        if self.file_format == "text":
            if self.header:
                props["skip.header.line.count"] = "1"
            props["serialization.null.format"] = "-"
        return props | self.projection.properties()

    def serde(self) -> tuple[str, dict[str, str], str, str]:
        """(SerDe, its parameters, input format, output format)."""
        if self.file_format == "text":
            # what ROW FORMAT DELIMITED FIELDS TERMINATED BY ' ' stores in the catalog
            return (
                TEXT_SERDE,
                {"field.delim": " ", "serialization.format": " "},
                TEXT_INPUT,
                TEXT_OUTPUT,
            )
        return PARQUET_SERDE, {"serialization.format": "1"}, PARQUET_INPUT, PARQUET_OUTPUT

    def glue_input(self) -> dict[str, Any]:
        """The Glue TableInput equal to what Athena stores for this table's DDL."""
        library, serde_parameters, input_format, output_format = self.serde()
        return {
            "Name": self.name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "EXTERNAL": "TRUE",
                "classification": "csv" if self.file_format == "text" else "parquet",
                **self.properties(),
            },
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in self.partition_keys],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in self.columns],
                "Location": self.location,
                "InputFormat": input_format,
                "OutputFormat": output_format,
                "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde_parameters},
            },
        }


def table_for(
    shape: LakeShape,
    *,
    database: str = DEFAULT_DATABASE,
    name: str = DEFAULT_TABLE,
    file_format: str | None = None,
    fields: list[str] | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
) -> FlowLogTable:
    """The table over a lake of this shape. `fields` overrides the columns the lake's files
    say; `file_format` must be what they are (both stand in for them when it has none yet);
    `accounts` and `regions` add enum values for flow logs that will deliver there later."""
    check_name(database, "database")
    check_name(name, "table")
    check_partition_values(accounts or [], regions or [])
    found = shape.file_format
    listed = shape.kinds[0] if len(shape.kinds) == 1 else None
    kind = file_format or (found.kind if found else listed or "text")
    if kind not in FILE_FORMATS:
        raise UsageError(f"unknown format {kind!r}: use text or parquet")
    if shape.kinds and set(shape.kinds) != {kind}:
        # a text table over Parquet files (or the reverse) reads nothing but garbage
        hint = "leave --format out" if listed else "one table per format, --lake narrowed to it"
        raise UsageError(
            f"a {kind} table cannot read the flow logs in {shape.location}: they are "
            f"{' and '.join(shape.kinds)} ({hint})"
        )
    if fields:
        columns = text_columns(fields)
        if kind == "parquet":  # by name: the delivered Parquet types (the registry's)
            columns = tuple((c, registry.field_for(c).athena_type) for c in fields)
    elif found and found.kind == kind:
        columns = found.columns
    elif kind == "text":  # AWS's default format, the one a flow log has unless told otherwise
        columns = text_columns([registry.column_name(n) for n in registry.DEFAULT_FORMAT])
    else:  # Parquet is read by name: every known field, absent ones read as NULL
        columns = tuple((f.column, f.athena_type) for f in registry.fields())
    partition_names = {"aws_org_id", "aws_account_id", "aws_region", "day", "hour"}
    clash = [c for c, _ in columns if c in partition_names]
    if clash:
        raise UsageError(f"field {clash[0]!r} has the name of a partition column")
    first_year = shape.first_year or date.today().year
    projection = projection_for(
        shape.location,
        shape.layout,
        hourly=shape.hourly,
        orgs=shape.orgs,
        accounts=[*shape.accounts, *(accounts or [])],
        regions=[*shape.regions, *(regions or [])],
        first_day=date(first_year, 1, 1),
    )
    header = found.header if (found and found.kind == "text" and not fields) else True
    return FlowLogTable(database, name, kind, columns, projection, shape.location, header)
