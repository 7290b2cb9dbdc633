"""DuckDB results fetched as Python rows (no Arrow): the same values Arrow would give."""

from datetime import UTC, datetime
from decimal import Decimal

from flowlake.engines.base import Result, Rows
from flowlake.engines.duckdb import fetch_rows
from flowlake.engines.duckdb_conn import connect

QUERY = """
SELECT 1::INTEGER AS a, 1::INTEGER AS a, TIMESTAMPTZ '2024-05-01 10:00:00+00' AS zoned,
       TIMESTAMP '2024-05-01 10:00:00' AS naive, NULL::TIMESTAMPTZ AS missing,
       sum(5::BIGINT) AS total, 1.50::DECIMAL(10,2) AS share, 'x' AS text
"""


def test_python_rows_equal_arrows_rows() -> None:
    con = connect()
    rows = fetch_rows(con, QUERY)
    arrow = Rows.from_arrow(con.execute(QUERY).to_arrow_table())
    assert rows.names == ["a", "a", "zoned", "naive", "missing", "total", "share", "text"]
    assert rows.values == arrow.values
    (row,) = rows.values
    assert row[2] == datetime(2024, 5, 1, 10, tzinfo=UTC) and row[3].tzinfo is None
    assert row[4] is None and row[5] == 5 and row[6] == Decimal("1.50")
    assert [rows.numeric(i) for i in range(len(rows.names))] == [
        True, True, False, False, False, True, True, False,
    ]  # fmt: skip


def test_zones_inside_lists_fall_back_to_arrow() -> None:
    rows = fetch_rows(connect(), "SELECT [TIMESTAMPTZ '2024-05-01 10:00:00+00'] AS t")
    assert rows.values == [([datetime(2024, 5, 1, 10, tzinfo=UTC)],)]


def test_a_result_gives_arrow_on_demand_with_duckdbs_types() -> None:
    result = Result(fetch_rows(connect(), QUERY))
    table = result.table
    assert [str(t) for t in table.schema.types] == [
        "int32", "int32", "timestamp[us, tz=UTC]", "timestamp[us]", "timestamp[us, tz=UTC]",
        "decimal128(38, 0)", "decimal128(10, 2)", "string",
    ]  # fmt: skip
    assert table.num_rows == result.num_rows == 1
    assert result.rows()[0]["share"] == Decimal("1.50")
