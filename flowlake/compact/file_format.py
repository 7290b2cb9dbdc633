"""How a compacted Parquet file is written: its compression and the order of its rows.

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
"""

# zstd level 1: ~10% less CPU than the default level 3, files of the same size for flow logs
PARQUET_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
_ACTION_CLUSTER = "CASE action WHEN 'ACCEPT' THEN 0 WHEN 'REJECT' THEN 1 END"  # nulls last


def order_by(columns: list[str]) -> str:
    """The ORDER BY clause for a file of `columns` (custom formats may lack action or start)."""
    keys = [_ACTION_CLUSTER] if "action" in columns else []
    keys += ["start"] if "start" in columns else []
    return f" ORDER BY {', '.join(keys)}" if keys else ""
