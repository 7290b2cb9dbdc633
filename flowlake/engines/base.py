"""What every engine offers: the dialect it speaks, the lake's columns, and running SQL."""

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Result:
    """Rows of one query as an Arrow table, and what the user should hear about them."""

    table: Any  # pyarrow.Table
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)

    def rows(self) -> list[dict[str, Any]]:
        return list(self.table.to_pylist())


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
