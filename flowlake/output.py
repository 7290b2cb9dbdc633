"""Rendering a result: table (rich), csv, json, jsonl, markdown, parquet; to stdout or a file.

Timestamps are ISO 8601 UTC with `Z`; whole-number decimals (DuckDB sums) become integers.
"""

import csv
import io
import json
import os
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flowlake.errors import UsageError

FORMATS = ("table", "csv", "json", "jsonl", "markdown", "parquet")


def plain(value: Any) -> Any:
    """A JSON-friendly scalar."""
    if isinstance(value, datetime):
        text = value.isoformat().replace("+00:00", "Z")
        return text if value.tzinfo else text + "Z"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _records(table: Any) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items()} for row in table.to_pylist()]


def _text(value: Any) -> str:
    value = plain(value)
    return "" if value is None else str(value)


def to_csv(table: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in _records(table):
        writer.writerow([_text(v) for v in row.values()])
    return buffer.getvalue()


def to_json(table: Any) -> str:
    return json.dumps(_records(table), indent=2) + "\n"


def to_jsonl(table: Any) -> str:
    return "".join(json.dumps(r) + "\n" for r in _records(table))


def to_markdown(table: Any) -> str:
    def cell(v: Any) -> str:
        return _text(v).replace("|", "\\|")

    lines = ["| " + " | ".join(table.column_names) + " |"]
    lines.append("|" + "|".join("---" for _ in table.column_names) + "|")
    lines += ["| " + " | ".join(cell(v) for v in r.values()) + " |" for r in _records(table)]
    return "\n".join(lines) + "\n"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only; a plain file is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_parquet_bytes(table: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def print_table(table: Any, title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    numeric = {
        name
        for name, kind in zip(table.column_names, table.schema.types, strict=True)
        if str(kind).startswith(("int", "uint", "decimal", "double", "float"))
    }
    view = Table(title=title, title_justify="left", header_style="bold")
    for name in table.column_names:
        view.add_column(name, justify="right" if name in numeric else "left", no_wrap=True)
    rows = [[_text(v) for v in row.values()] for row in _records(table)]
    for row in rows:
        view.add_row(*row)
    # as wide as the content needs: a narrow terminal or a pipe must not fold addresses
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(table.column_names)]
    console = Console()
    console.width = max(console.width, sum(widths) + 3 * len(widths) + 1)
    console.print(view)
    if not rows:
        print("(no rows)")


def render(table: Any, fmt: str, output: Path | None = None, title: str | None = None) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise UsageError("--format parquet needs --output FILE")
        write_atomically(output, to_parquet_bytes(table))
        return
    if fmt == "table" and output is None:
        print_table(table, title)
        return
    writers = {"csv": to_csv, "json": to_json, "jsonl": to_jsonl, "markdown": to_markdown}
    text = writers.get(fmt, to_csv if fmt != "table" else to_markdown)(table)
    if output is None:
        print(text, end="")
    else:
        write_atomically(output, text.encode())
