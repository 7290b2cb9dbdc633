"""Partition projection for AWS's flow-log key layouts, as data.

Athena never lists nor registers our partitions: it computes them from the table's `projection.*`
properties and fills `storage.location.template` with each value (no MSCK REPAIR, no Lambda).

    default  <root>AWSLogs/[${aws_org_id}/]${aws_account_id}/vpcflowlogs/${aws_region}/
             ${day}/[${hour}/]
    hive     <root>AWSLogs/[${aws_org_id}/]aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/
             aws-region=${aws_region}/${day}/[hour=${hour}/]

Account, region and organization are `enum` columns listing what the lake holds: an `injected`
column makes every query that does not pin it to one value fail, and the catalogue's queries
span accounts. `day` is one string column of projection type `date` in both layouts, so a
query's window is one predicate, `"day" BETWEEN first AND last`, whatever the layout. Its format
is a Java DateTimeFormatter pattern (Athena's documented format for date projection), in which
quoted text is literal: the Hive layout's `'year='yyyy'/month='MM'/day='dd` writes the key
names into the value, so the template stays `.../${day}/`.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import product

from flowlake.errors import FlowlakeError
from flowlake.timewindow import TimeWindow

ORG_COLUMN = "aws_org_id"
ACCOUNT_COLUMN = "aws_account_id"
REGION_COLUMN = "aws_region"
DAY_COLUMN = "day"
HOUR_COLUMN = "hour"

DAY_FORMATS = {"default": "yyyy/MM/dd", "hive": "'year='yyyy'/month='MM'/day='dd"}
"""`projection.day.format` per layout (Java DateTimeFormatter patterns)."""

_JAVA_FIELDS = {"yyyy": "%Y", "uuuu": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M"}
_JAVA_TOKEN = re.compile(r"'(?:[^']|'')*'|''|([A-Za-z])\1*|.", re.DOTALL)
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def java_to_strftime(pattern: str) -> str:
    """A Java DateTimeFormatter pattern (the subset date projection needs) as a strftime one."""
    out = []
    for match in _JAVA_TOKEN.finditer(pattern):
        token = match.group(0)
        if token.startswith("'"):
            text = "'" if token == "''" else token[1:-1].replace("''", "'")
            out.append(text.replace("%", "%%"))
        elif match.group(1):
            if token not in _JAVA_FIELDS:
                raise FlowlakeError(f"date format {pattern!r}: {token} is not supported")
            out.append(_JAVA_FIELDS[token])
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


@dataclass(frozen=True)
class PartitionedWindow(TimeWindow):
    """A time window for a table whose `day` partition values are written `day_format`
    (strftime): the compiler writes the window's partition predicate in that format."""

    day_format: str = "%Y/%m/%d"


@dataclass(frozen=True)
class PartitionColumn:
    name: str
    type: str
    """Its Athena (Hive DDL) type."""
    projection: dict[str, str] = field(hash=False)
    """Projection properties without the `projection.<name>.` prefix: type, values, format ..."""

    @property
    def kind(self) -> str:
        return self.projection.get("type", "").strip().lower()


@dataclass(frozen=True)
class Projection:
    """A table's partition columns, how Athena projects them, and where their files are."""

    columns: tuple[PartitionColumn, ...]
    template: str
    """storage.location.template: an S3 prefix with a ${column} per partition column."""

    def properties(self) -> dict[str, str]:
        """The table properties that declare this projection."""
        props = {"projection.enabled": "true"}
        for column in self.columns:
            for key, value in column.projection.items():
                props[f"projection.{column.name}.{key}"] = value
        props["storage.location.template"] = self.template
        return props

    @classmethod
    def from_properties(
        cls, properties: dict[str, str], keys: Iterable[tuple[str, str]]
    ) -> "Projection":
        """Read back a projection from a table's properties and partition keys (name, type)."""
        if properties.get("projection.enabled", "").lower() != "true":
            raise FlowlakeError("the table does not use partition projection")
        template = properties.get("storage.location.template")
        if not template:
            raise FlowlakeError("the table has no storage.location.template")
        columns = []
        for name, kind in keys:
            prefix = f"projection.{name}."
            columns.append(
                PartitionColumn(
                    name,
                    kind,
                    {k[len(prefix) :]: v for k, v in properties.items() if k.startswith(prefix)},
                )
            )
        return cls(tuple(columns), template)

    def column(self, name: str) -> PartitionColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def day_format(self) -> str:
        """The strftime format of the `day` column's values."""
        day = self.column(DAY_COLUMN)
        if day is None or day.kind != "date":
            raise FlowlakeError(
                f"the table has no {DAY_COLUMN!r} partition of projection type date"
            )
        return java_to_strftime(day.projection["format"])

    def window(self, window: TimeWindow) -> PartitionedWindow:
        return PartitionedWindow(window.since, window.until, day_format=self.day_format)

    def prefixes(self, days: Iterable[date]) -> Iterator[str]:
        """Every S3 prefix the projection gives for these days, cut at the first column it
        cannot enumerate here (the hour: every hour of a day is below the day's prefix)."""
        template = self.template
        fill: list[tuple[str, list[str]]] = []
        day_list = list(days)
        for match in _PLACEHOLDER.finditer(self.template):
            column = self.column(match.group(1))
            if column is not None and column.kind == "enum":
                values = [v for v in column.projection.get("values", "").split(",") if v]
            elif column is not None and column.kind == "date":
                values = [f"{d:{java_to_strftime(column.projection['format'])}}" for d in day_list]
            else:
                template = self.template[: match.start()]
                break
            fill.append((match.group(1), values))
        names = [name for name, _ in fill]
        for combination in product(*(values for _, values in fill)):
            yield fill_template(template, dict(zip(names, combination, strict=True)))


def fill_template(template: str, values: dict[str, str]) -> str:
    """The template with each ${column} replaced by its value (all must be given)."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise FlowlakeError(f"no value for ${{{match.group(1)}}} in {template}")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(value, template)


def projection_for(
    location: str,
    layout: str,
    *,
    hourly: bool,
    orgs: Iterable[str] = (),
    accounts: Iterable[str],
    regions: Iterable[str],
    first_day: date,
) -> Projection:
    """The projection of a lake in AWS's `layout` whose `AWSLogs/` prefix is `location`."""
    if layout not in DAY_FORMATS:
        raise FlowlakeError(f"unknown layout {layout!r}")
    hive = layout == "hive"
    day_format = DAY_FORMATS[layout]
    columns: list[PartitionColumn] = []
    template = location if location.endswith("/") else location + "/"

    def enum(name: str, values: Iterable[str]) -> None:
        listed = sorted(set(values))
        if not listed:
            raise FlowlakeError(f"no values for the {name} partition: the lake holds none")
        columns.append(
            PartitionColumn(name, "string", {"type": "enum", "values": ",".join(listed)})
        )

    if list(orgs):
        enum(ORG_COLUMN, orgs)
        template += f"${{{ORG_COLUMN}}}/"
    enum(ACCOUNT_COLUMN, accounts)
    enum(REGION_COLUMN, regions)
    if hive:
        template += (
            f"aws-account-id=${{{ACCOUNT_COLUMN}}}/aws-service=vpcflowlogs/"
            f"aws-region=${{{REGION_COLUMN}}}/"
        )
    else:
        template += f"${{{ACCOUNT_COLUMN}}}/vpcflowlogs/${{{REGION_COLUMN}}}/"
    columns.append(
        PartitionColumn(
            DAY_COLUMN,
            "string",
            {
                "type": "date",
                "format": day_format,
                # a file is delivered after its flows start: nothing is ever under a future day
                "range": f"{first_day:{java_to_strftime(day_format)}},NOW",
                "interval": "1",
                "interval.unit": "DAYS",
            },
        )
    )
    template += f"${{{DAY_COLUMN}}}/"
    if hourly:
        columns.append(
            PartitionColumn(HOUR_COLUMN, "int", {"type": "integer", "range": "0,23", "digits": "2"})
        )
        template += f"hour=${{{HOUR_COLUMN}}}/" if hive else f"${{{HOUR_COLUMN}}}/"
    return Projection(tuple(columns), template)
