"""What every engine offers: the dialect it speaks, the lake's columns, and running SQL."""

from dataclasses import dataclass, field
from typing import Any, Protocol

_NUMERIC_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
)  # fmt: skip


@dataclass
class Rows:
    """A result as Python rows, with each column's engine type (DuckDB's type names).

    What the text formats need, without Arrow: importing pyarrow costs every command ~0.15 s.
    """

    names: list[str]
    types: list[str]
    values: list[tuple[Any, ...]]

    def numeric(self, index: int) -> bool:
        return self.types[index].split("(")[0] in _NUMERIC_TYPES

    def to_arrow(self) -> Any:
        import pyarrow as pa

        columns = [[row[i] for row in self.values] for i in range(len(self.names))]
        arrays = [
            pa.array(values, type=_arrow_type(kind))
            for values, kind in zip(columns, self.types, strict=True)
        ]
        return pa.Table.from_arrays(arrays, names=self.names)

    @classmethod
    def from_arrow(cls, table: Any) -> "Rows":
        import pyarrow as pa

        def kind(arrow_type: Any) -> str:
            if pa.types.is_integer(arrow_type):
                return "BIGINT"
            if pa.types.is_floating(arrow_type):
                return "DOUBLE"
            if pa.types.is_decimal(arrow_type):
                return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
            return str(arrow_type).upper()

        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        return cls(
            list(table.column_names),
            [kind(t) for t in table.schema.types],
            list(zip(*columns, strict=True)) if columns else [],
        )


def _arrow_type(duckdb_type: str) -> Any:
    """The Arrow type DuckDB itself gives a column of this type (None: let Arrow infer)."""
    import pyarrow as pa

    simple = {
        "BOOLEAN": pa.bool_(), "TINYINT": pa.int8(), "SMALLINT": pa.int16(),
        "INTEGER": pa.int32(), "BIGINT": pa.int64(), "UTINYINT": pa.uint8(),
        "USMALLINT": pa.uint16(), "UINTEGER": pa.uint32(), "UBIGINT": pa.uint64(),
        "HUGEINT": pa.decimal128(38, 0), "FLOAT": pa.float32(), "DOUBLE": pa.float64(),
        "VARCHAR": pa.string(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
        "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"), "BLOB": pa.binary(),
    }  # fmt: skip
    if duckdb_type in simple:
        return simple[duckdb_type]
    if duckdb_type.startswith("DECIMAL("):
        precision, scale = duckdb_type[len("DECIMAL(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return None


@dataclass
class Result:
    """Rows of one query, and what the user should hear about them.

    `data` is Rows (DuckDB) or an Arrow table (Athena); each is built from the other on demand.
    """

    data: Any
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def rows_data(self) -> Rows:
        if not isinstance(self.data, Rows):
            self.data = Rows.from_arrow(self.data)
        return self.data

    @property
    def table(self) -> Any:
        """The rows as a pyarrow.Table (for charts and Parquet output)."""
        return self.data if not isinstance(self.data, Rows) else self.data.to_arrow()

    @property
    def columns(self) -> list[str]:
        return list(self.rows_data.names)

    @property
    def num_rows(self) -> int:
        return len(self.rows_data.values)

    def rows(self) -> list[dict[str, Any]]:
        names = self.rows_data.names
        return [dict(zip(names, row, strict=True)) for row in self.rows_data.values]


class Engine(Protocol):
    name: str
    """Short name used by --engine."""
    dialect: str
    """The sqlglot dialect the engine's SQL is written in."""

    def columns(self) -> list[str]:
        """Columns of the flow_logs table or view as this engine sees it."""
        ...

    def run(self, sql: str) -> Result:
        """Execute one compiled statement and return its rows."""
        ...
