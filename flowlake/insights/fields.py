"""The fields an Insights query sees in a flow-log lake, as CloudWatch Logs Insights names them.

Insights discovers these fields in VPC flow logs: `@timestamp`, `@message`, `@logStream`,
`accountId`, `interfaceId`, `srcAddr`, `dstAddr`, `srcPort`, `dstPort`, `protocol`, `packets`,
`bytes`, `start`, `end`, `action`, `logStatus`, `version` (AWS's field list also names `start`
and `end` `startTime` and `endTime`: both spellings work here). Every other column of the lake
(custom formats, v3 to v8 fields) is there too, in the same camelCase: `vpcId`, `tcpFlags`,
`pktSrcAddr`, `flowDirection`. The lake's own column names (`srcaddr`, `tcp_flags`) also work,
and a name that matches no field exactly is looked up ignoring case.

- `@timestamp` is the flow's start time (`start_time`, a UTC timestamp).
- `@message` is the record's line as AWS wrote it: the lake's columns in the file's order,
  joined by single spaces, `-` where a value is missing. For a lake that mixes formats the
  columns are the union of the formats, in order of first appearance.
- `@logStream` is `<interface-id>-all`: CloudWatch Logs names a flow log's streams after the
  network interface, with the traffic type (ALL, ACCEPT or REJECT) it captures. A lake read
  from S3 does not know the traffic type; `-all` is what a flow log of all traffic writes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Only the commands that translate Insights queries import this module, so sqlglot may load
# with it (as in flowlake.lint).
from sqlglot import exp  # noqa: TID253

from flowlake import registry

TIME_COLUMNS = ("start_time", "end_time")
# Insights' capitalisation of the address and port words inside field names.
_WORDS = {"srcaddr": "srcAddr", "dstaddr": "dstAddr", "srcport": "srcPort", "dstport": "dstPort"}
_DISCOVERED_ALIASES = {"startTime": "start", "endTime": "end"}
LOG_STREAM_SUFFIX = "-all"
MESSAGE = "@message"
SYSTEM_FIELDS = ("@timestamp", MESSAGE, "@logStream")


@dataclass(frozen=True)
class Value:
    """A typed SQL expression: what a field or an expression of the query evaluates to."""

    sql: Any  # sqlglot expression
    kind: str  # number, string, timestamp or bool


def insights_name(column: str) -> str:
    """`account_id` -> `accountId`, `srcaddr` -> `srcAddr`, `pkt_srcaddr` -> `pktSrcAddr`."""
    words = [_WORDS.get(word, word) for word in column.split("_") if word]
    if not words:
        return column
    return words[0] + "".join(word[0].upper() + word[1:] for word in words[1:])


def kind_of(column: str) -> str:
    if column in TIME_COLUMNS:
        return "timestamp"
    return "number" if registry.field_for(column).is_numeric else "string"


class LakeFields:
    """The fields of one lake (its columns, in order), resolved to typed SQL expressions."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = [c for c in columns if c not in TIME_COLUMNS]
        self.message_used = False
        """Whether a query asked for @message: its SQL then computes the line once, as a
        column of the records (see `message`)."""
        self.time_columns = [c for c in columns if c in TIME_COLUMNS]
        self._by_name: dict[str, str] = {}
        for column in self.columns:
            self._by_name.setdefault(insights_name(column), column)
        for alias, column in _DISCOVERED_ALIASES.items():
            if column in self.columns:
                self._by_name.setdefault(alias, column)
        for column in [*self.columns, *self.time_columns]:
            self._by_name.setdefault(column, column)

    @classmethod
    def default(cls, fields: Sequence[str] | None = None) -> "LakeFields":
        """A lake of AWS's default format (or `fields`), for printing SQL without a lake."""
        return cls(format_columns(fields))

    def names(self) -> list[str]:
        """The Insights names of the fields, system fields first."""
        system = [n for n in SYSTEM_FIELDS if self._system(n)]
        return system + [insights_name(c) for c in self.columns]

    def resolve(self, name: str) -> Value | None:
        """The field called `name` (exactly, else ignoring case when that is unambiguous),
        or None when the lake has no such field."""
        system = _case_match(name, {n: n for n in SYSTEM_FIELDS})
        if system:
            value = self._system(system)
            self.message_used |= value is not None and system == MESSAGE
            return value
        column = _case_match(name, self._by_name)
        if column is None:
            return None
        return Value(exp.column(column, quoted=not column.isidentifier()), kind_of(column))

    def missing(self, name: str) -> str | None:
        """When `name` is a flow-log field this lake's format lacks, its AWS name."""
        wanted = {"@timestamp": "start", "@logStream": "interface_id"}.get(name)
        if wanted is None:
            lowered = name.lower()
            for field in registry.fields():
                if lowered in (field.column, insights_name(field.column).lower()):
                    wanted = field.column
        if wanted and wanted not in self.columns:
            return registry.field_for(wanted).aws_name
        return None

    # -- the generated fields ---------------------------------------------------------------
    def _system(self, name: str) -> Value | None:
        if name == "@timestamp" and "start_time" in self.time_columns:
            return Value(exp.column("start_time"), "timestamp")
        if name == MESSAGE and self.columns:
            return Value(exp.column(MESSAGE, quoted=True), "string")
        if name == "@logStream" and "interface_id" in self.columns:
            suffix = exp.Literal.string(LOG_STREAM_SUFFIX)
            return Value(exp.func("concat", exp.column("interface_id"), suffix), "string")
        return None

    def message(self) -> Any:
        """The record's line: the columns in order, `-` for a missing value. @message refers
        to a column of this value, which the query's SQL adds to the lake's records."""
        parts = [
            exp.Coalesce(
                this=exp.Cast(this=exp.column(c), to=exp.DataType.build("VARCHAR")),
                expressions=[exp.Literal.string("-")],
            )
            for c in self.columns
        ]
        if len(parts) == 1:
            return parts[0]
        return exp.func("concat_ws", exp.Literal.string(" "), *parts, dialect="athena")


def format_columns(fields: Sequence[str] | None = None) -> list[str]:
    """The flow_logs columns of a lake of one format (AWS's default when None), in the order
    the DuckDB view has them: the fields, then the timestamps derived from start and end."""
    columns = list(fields or map(registry.column_name, registry.DEFAULT_FORMAT))
    return columns + [c for c in TIME_COLUMNS if c.split("_")[0] in columns]


def _case_match(name: str, names: dict[str, str]) -> str | None:
    """What `name` stands for in `names`: its own entry, else the one target of the entries
    equal to it ignoring case."""
    if name in names:
        return names[name]
    found = {target for key, target in names.items() if key.lower() == name.lower()}
    return found.pop() if len(found) == 1 else None
