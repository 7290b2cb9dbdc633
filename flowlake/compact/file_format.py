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
way DuckDB's COPY would, so that both files read alike (decision 0004): the same row groups,
a dictionary for the same columns, bloom filters on those, data pages of version 1.
"""

from typing import Any

# zstd level 1: ~10% less CPU than the default level 3, files of the same size for flow logs
PARQUET_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
_ACTION_CLUSTER = "CASE action WHEN 'ACCEPT' THEN 0 WHEN 'REJECT' THEN 1 END"  # nulls last

# DuckDB's COPY defaults, which Arrow's writer is given
ROW_GROUP_ROWS = 122_880
_DICTIONARY_SHARE = 20  # a dictionary where a row group has at most 1/20 as many values as rows
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
    values in a row group) that made reject-by-port ~15-30% slower to read. DuckDB keeps a
    dictionary only for columns with few values, judged per row group; here the first row
    group judges for the file (an hour's values are alike throughout)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    sample = table.slice(0, ROW_GROUP_ROWS)
    dictionary, blooms = [], {}
    for name in table.column_names:
        values = pc.count_distinct(sample[name], mode="all").as_py()
        if values * _DICTIONARY_SHARE <= sample.num_rows:
            dictionary.append(name)
            blooms[name] = {"ndv": max(values, 1), "fpp": _BLOOM_FALSE_POSITIVES}
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
