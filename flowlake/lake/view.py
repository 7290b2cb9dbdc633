"""The DuckDB `flow_logs` view over a lake's sources, generated from the field registry.

Each source becomes one reader call (read_csv for text, read_parquet for Parquet) with typed
columns; sources are combined by column name, so flow logs with different custom formats share
one view. Text lines that DuckDB rejects are kept in reject tables and either recovered (a line
with runs of spaces, as AWS sometimes writes) or reported as malformed.
"""

from flowlake import registry
from flowlake.lake.discovery import Source
from flowlake.sqltext import quote, string_literal
from flowlake.timewindow import TimeWindow

# `start`/`end` are Unix seconds; some exporters write milliseconds.
EPOCH_MS_THRESHOLD = 100_000_000_000


def duckdb_type(column: str) -> str:
    return "VARCHAR" if column == "export_timestamp" else registry.field_for(column).duckdb_type


def text_columns(source: Source) -> str:
    """The `columns=` struct of read_csv: every column with its registry type."""
    return (
        "{"
        + ", ".join(f"{string_literal(c)}: {string_literal(duckdb_type(c))}" for c in source.fields)
        + "}"
    )


def file_list(paths: list[str]) -> str:
    return "[" + ", ".join(string_literal(p) for p in paths) + "]"


# The opt-in column naming the file each row was read from (the path the reader was given).
FILENAME = "filename"

LINEAGE_COLUMN = "flowlake_source"
"""INTEGER column of compacted Parquet files: each row's source file, as its 0-based index in
its batch's `sources` in the compaction manifest. Readers leave it out of flow_logs."""


def text_reader(
    source: Source,
    paths: list[str],
    index: int | None,
    *,
    filename: bool = False,
    ignore_errors: bool = False,
) -> str:
    """read_csv over text files of one format; rejected lines go to tables named by `index`
    (or are dropped with `ignore_errors`)."""
    rejects = (
        f", store_rejects=true, rejects_table='{rejects_table(index)}', "
        f"rejects_scan='{rejects_scan(index)}'"
        if index is not None
        else ""
    )
    if ignore_errors:
        rejects += ", ignore_errors=true"
    return (
        f"SELECT * FROM read_csv({file_list(paths)}, columns={text_columns(source)}, delim=' ', "
        f"header={'true' if source.header else 'false'}, nullstr='-', quote='', escape='', "
        f"auto_detect=false, compression='{'gzip' if source.gzip else 'none'}', "
        f"hive_partitioning=false{', filename=true' if filename else ''}{rejects})"
    )


def parquet_reader(
    paths: list[str], columns: dict[str, str] | None, *, filename: bool = False
) -> str:
    """read_parquet by column name: `columns` maps each registry column to the files' name for
    it (`log_status` <- `log-status`), read cast to its registry type."""
    casts = (
        ", ".join(
            f"CAST({quote(name)} AS {duckdb_type(c)}) AS {quote(c)}" for c, name in columns.items()
        )
        if columns
        else "*"
    )
    if filename and columns:
        casts += f", {FILENAME}"
    return (
        f"SELECT {casts} FROM read_parquet({file_list(paths)}, union_by_name=true, "
        f"hive_partitioning=false{', filename=true' if filename else ''})"
    )


def rejects_table(index: int) -> str:
    return f"flowlake_rejects_{index}"


def rejects_scan(index: int) -> str:
    return f"flowlake_scans_{index}"


def recovered_table(index: int) -> str:
    return f"flowlake_recovered_{index}"


def time_expr(column: str) -> str:
    c = quote(column)
    return (
        f"to_timestamp(CASE WHEN {c} >= {EPOCH_MS_THRESHOLD} THEN {c} / 1000 ELSE {c} END)"
        "::TIMESTAMPTZ"
    )


def window_predicate(window: TimeWindow) -> str | None:
    terms = []
    if window.since:
        terms.append(f"start_time >= TIMESTAMPTZ '{window.since.isoformat()}'")
    if window.until:
        terms.append(f"start_time < TIMESTAMPTZ '{window.until.isoformat()}'")
    return " AND ".join(terms) or None


def flow_logs_view(
    branches: list[str], columns: list[str], window: TimeWindow, *, filename: bool = False
) -> str:
    """CREATE VIEW flow_logs over the union of the reader branches, limited to the window."""
    select = [quote(c) for c in columns]
    if "start" in columns:
        select.append(f"{time_expr('start')} AS start_time")
    if "end" in columns:
        select.append(f"{time_expr('end')} AS end_time")
    if filename:
        select.append(FILENAME)
    union = "\nUNION ALL BY NAME\n".join(f"({b})" for b in branches)
    body = f"SELECT {', '.join(select)} FROM (\n{union}\n)"
    predicate = window_predicate(window) if "start" in columns else None
    if predicate:
        body = f"SELECT * FROM ({body}) WHERE {predicate}"
    return f"CREATE OR REPLACE TEMP VIEW flow_logs AS\n{body}"
