"""Athena's GetQueryResults rows, every value a string, to a typed Arrow table.

Types come from the result metadata (ColumnInfo.Type, Trino's type names); a value without
VarCharValue is NULL. Timestamps arrive as `2024-05-01 10:00:00.000` and, with a time zone,
`2024-05-01 10:00:00.000 UTC`: both become UTC instants as DuckDB's TIMESTAMPTZ results do, so
both engines render the same text. Types without an Arrow counterpart (arrays, maps, rows,
varbinary, ipaddress, json, intervals) stay text as Athena wrote them.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

Row = dict[str, Any]


def _boolean(text: str) -> bool:
    return text.lower() == "true"


def _timestamp(text: str) -> datetime:
    # Python before 3.12 takes at most 6 fraction digits; Athena may write up to 9
    stamp, dot, fraction = text.partition(".")
    return datetime.fromisoformat(stamp + (dot + fraction[:6] if dot else "")).replace(tzinfo=UTC)


def _timestamp_tz(text: str) -> datetime:
    stamp, _, zone = text.rpartition(" ")
    local = _timestamp(stamp).replace(tzinfo=None)
    return local.replace(tzinfo=_zone(zone)).astimezone(UTC)


def _zone(name: str) -> Any:
    if name in ("UTC", "Z", "GMT"):
        return UTC
    if name[:1] in "+-" and ":" in name:
        hours, minutes = name[1:].split(":")
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-offset if name[0] == "-" else offset)
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _base_type(info: dict[str, Any]) -> str:
    """`timestamp(3) with time zone` -> `timestamp with time zone`, `decimal(10,2)` -> `decimal`."""
    return " ".join(re.sub(r"\(.*?\)", " ", str(info.get("Type", "varchar")).lower()).split())


def _arrow_type(info: dict[str, Any]) -> tuple[Any, Callable[[str], Any]]:
    """The Arrow type of a result column and how to parse its text."""
    import pyarrow as pa

    kind = _base_type(info)
    simple: dict[str, tuple[Any, Callable[[str], Any]]] = {
        "boolean": (pa.bool_(), _boolean),
        "tinyint": (pa.int8(), int),
        "smallint": (pa.int16(), int),
        "integer": (pa.int32(), int),
        "int": (pa.int32(), int),
        "bigint": (pa.int64(), int),
        "real": (pa.float32(), float),
        "float": (pa.float32(), float),
        "double": (pa.float64(), float),
        "date": (pa.date32(), date.fromisoformat),
        "timestamp": (pa.timestamp("us", tz="UTC"), _timestamp),
        "timestamp with time zone": (pa.timestamp("us", tz="UTC"), _timestamp_tz),
    }
    if kind in simple:
        return simple[kind]
    if kind == "decimal":
        precision = int(info.get("Precision") or 38)
        return pa.decimal128(min(max(precision, 1), 38), int(info.get("Scale") or 0)), Decimal
    return pa.string(), str


class ResultTable:
    """Collects result pages (each up to 1,000 rows) into one typed Arrow table."""

    def __init__(self, column_info: list[dict[str, Any]]):
        self.names = [str(c.get("Label") or c.get("Name")) for c in column_info]
        self.types = [_arrow_type(c) for c in column_info]
        self.values: list[list[Any]] = [[] for _ in column_info]
        self._first_page = True

    def add_page(self, rows: list[Row]) -> None:
        if self._first_page:
            self._first_page = False
            # a SELECT's first row holds the column labels, not data
            if rows and [d.get("VarCharValue") for d in rows[0].get("Data", [])] == self.names:
                rows = rows[1:]
        for row in rows:
            data = row.get("Data", [])
            for index, (_, parse) in enumerate(self.types):
                text = data[index].get("VarCharValue") if index < len(data) else None
                self.values[index].append(None if text is None else self._parse(parse, text))

    def _parse(self, parse: Callable[[str], Any], text: str) -> Any:
        from flowlake.errors import FlowlakeError

        try:
            return parse(text)
        except (ValueError, ArithmeticError, KeyError) as exc:
            raise FlowlakeError(f"cannot read Athena's value {text!r} ({exc})") from None

    def table(self) -> Any:
        import pyarrow as pa

        arrays = [
            pa.array(values, type=kind)
            for (kind, _), values in zip(self.types, self.values, strict=True)
        ]
        return pa.Table.from_arrays(arrays, names=self.names)
