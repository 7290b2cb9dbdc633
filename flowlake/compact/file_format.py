"""How a compacted Parquet file is written: its encodings, compression and the order of its rows.

Rows are clustered by action, then sorted by start within each action: ACCEPT, REJECT, then
the rest (NODATA and SKIPDATA records, whose action is null). Both columns' row-group min/max
statistics are then useful: almost every diagnostic filters `action = 'REJECT'`, and a row
group of accepted traffic is skipped whole (by DuckDB and by Athena), while a time window
still skips the row groups outside it within each action. Sorted by start alone, rejects
(~7% of the benchmark's records, scattered through every row group) made every query decode
every page: reject-by-port on 10M compacted records took 0.53 s of DuckDB time, 0.27 s
clustered.

The clustering key is an integer: DuckDB sorts 600k rows by (integer, start) about as fast as
by start alone, and ~25% slower by (action, start) as strings.

Two writers follow these rules. DuckDB's COPY writes what DuckDB reads (text it recovers, other
Parquet, merged files); Arrow writes the fast path's hours (flowlake.compact.arrow_writer) the
way DuckDB's COPY would, so that both files read alike (decision 0008): the same row groups,
a dictionary for the same columns, bloom filters on those, data pages of version 1.
"""

from typing import Any

# zstd level 1: ~10% less CPU than the default level 3, files of the same size for flow logs
PARQUET_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
_ACTION_CLUSTER = "CASE action WHEN 'ACCEPT' THEN 0 WHEN 'REJECT' THEN 1 END"  # nulls last

# DuckDB's COPY defaults, which Arrow's writer is given
ROW_GROUP_ROWS = 122_880
_DICTIONARY_GAIN = 3  # a dictionary where it makes a column's values 3x smaller
_BLOOM_FALSE_POSITIVES = 0.01


def order_by(columns: list[str]) -> str:
    """The ORDER BY clause for a file of `columns` (custom formats may lack action or start)."""
    keys = [_ACTION_CLUSTER] if "action" in columns else []
    keys += ["start"] if "start" in columns else []
    return f" ORDER BY {', '.join(keys)}" if keys else ""


def sort_table(table: Any) -> Any:
    """An Arrow table in the order `order_by` gives (ties keep their order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys: dict[str, Any] = {}
    if "action" in table.column_names:
        action = table["action"]
        keys["cluster"] = pc.if_else(
            pc.equal(action, "ACCEPT"), 0, pc.if_else(pc.equal(action, "REJECT"), 1, None)
        )
    if "start" in table.column_names:
        keys["start"] = table["start"]
    if not keys:
        return table
    order = pc.sort_indices(pa.table(keys), [(k, "ascending", "at_end") for k in keys])
    return table.take(order)


def write_table(table: Any, path: str) -> None:
    """An Arrow table written as DuckDB's COPY with PARQUET_OPTIONS writes it.

    Arrow would put a dictionary on every column; on srcport and bytes (tens of thousands of
    values in a row group) that made reject-by-port ~15-30% slower to read (decision 0008).
    DuckDB keeps a dictionary only where it pays, judged per row group; here the first row
    group judges for the file (an hour's values are alike throughout)."""
    import pyarrow.parquet as pq

    sample = table.slice(0, ROW_GROUP_ROWS)
    dictionary, blooms = [], {}
    for name in table.column_names:
        values = _dictionary_values(sample[name])
        if values:
            dictionary.append(name)
            blooms[name] = {"ndv": values, "fpp": _BLOOM_FALSE_POSITIVES}
    pq.write_table(
        table,
        path,
        row_group_size=ROW_GROUP_ROWS,
        compression="zstd",
        compression_level=1,
        use_dictionary=dictionary,
        bloom_filter_options=blooms,
        data_page_version="1.0",
    )


def _dictionary_values(column: Any) -> int:
    """The distinct values of `column` when a dictionary suits it, else 0: when the dictionary
    and its indexes are at most a third of the plain values' bytes. That rule gives DuckDB's
    choice on every column of the bench's hours (13.9k and 123k rows) and of the tests'."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = pc.unique(column)
    if pa.types.is_string(column.type):
        plain = (pc.sum(pc.binary_length(column)).as_py() or 0) + 4 * len(column)
        entries = (pc.sum(pc.binary_length(distinct)).as_py() or 0) + 4 * len(distinct)
    else:
        plain = column.type.byte_width * len(column)
        entries = column.type.byte_width * len(distinct)
    indexes = len(column) * max(1, (len(distinct) - 1).bit_length()) / 8
    return len(distinct) if plain >= _DICTIONARY_GAIN * (entries + indexes) else 0
