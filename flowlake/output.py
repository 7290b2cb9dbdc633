"""Rendering a result: table (rich), csv, json, jsonl, markdown, parquet; to stdout or a file.

Timestamps are ISO 8601 UTC with `Z`; whole-number decimals (DuckDB sums) become integers.
"""

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flowlake.engines.base import Result, Rows
from flowlake.errors import FlowlakeError, UsageError

FORMATS = ("table", "csv", "json", "jsonl", "markdown", "parquet")


def plain(value: Any) -> Any:
    """A JSON-friendly scalar."""
    if isinstance(value, datetime):
        text = value.isoformat().replace("+00:00", "Z")
        return text if value.tzinfo else text + "Z"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _records(rows: Rows) -> list[list[Any]]:
    return [[plain(v) for v in row] for row in rows.values]


def _text(value: Any) -> str:
    value = plain(value)
    return "" if value is None else str(value)


def _objects(rows: Rows) -> list[dict[str, Any]]:
    return [dict(zip(rows.names, row, strict=True)) for row in _records(rows)]


def to_csv(rows: Rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(rows.names)
    for row in _records(rows):
        writer.writerow([_text(v) for v in row])
    return buffer.getvalue()


def to_json(rows: Rows) -> str:
    return json.dumps(_objects(rows), indent=2) + "\n"


def to_jsonl(rows: Rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in _objects(rows))


def to_markdown(rows: Rows) -> str:
    def cell(v: Any) -> str:
        return _text(v).replace("|", "\\|")

    lines = ["| " + " | ".join(rows.names) + " |"]
    lines.append("|" + "|".join("---" for _ in rows.names) + "|")
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in _records(rows)]
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


@contextmanager
def writing_to(path: Path | None) -> Iterator[None]:
    """A file that cannot be written (a folder, no permission, no such place) is the user's to
    fix: one line naming it, not an internal error. None is stdout, left as it is."""
    try:
        yield
    except OSError as exc:
        if path is None:
            raise
        # mkdir of a parent that is a file says "File exists"; say what is wrong instead
        reason = "Not a directory" if isinstance(exc, FileExistsError) else exc.strerror or exc
        raise FlowlakeError(f"cannot write {path}: {reason}") from None


def to_parquet_bytes(table: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def print_table(result: Rows, title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    view = Table(title=title, title_justify="left", header_style="bold")
    for n, name in enumerate(result.names):
        view.add_column(name, justify="right" if result.numeric(n) else "left", no_wrap=True)
    rows = [[_text(v) for v in row] for row in _records(result)]
    for row in rows:
        view.add_row(*row)
    # as wide as the content needs: a narrow terminal or a pipe must not fold addresses
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(result.names)]
    console = Console()
    console.width = max(console.width, sum(widths) + 3 * len(widths) + 1)
    console.print(view)
    if not rows:
        print("(no rows)")


def render(result: Result, fmt: str, output: Path | None = None, title: str | None = None) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise UsageError("--format parquet needs --output FILE")
        with writing_to(output):
            write_atomically(output, to_parquet_bytes(result.table))
        return
    rows = result.rows_data
    if fmt == "table" and output is None:
        print_table(rows, title)
        return
    writers = {"csv": to_csv, "json": to_json, "jsonl": to_jsonl, "markdown": to_markdown}
    text = writers.get(fmt, to_csv if fmt != "table" else to_markdown)(rows)
    if output is None:
        print(text, end="")
    else:
        with writing_to(output):
            write_atomically(output, text.encode())
