"""flowlake's DuckDB connections (flowlake.engines.duckdb_conn)."""

from pathlib import Path

import pytest

from flowlake.engines.duckdb_conn import connect

# an aggregate of 1M groups: far more than 20 MB of hash table, so DuckDB spills
SPILLING_QUERY = (
    "SELECT count(*) FROM (SELECT range % 1000000 AS k, count(*) FROM range(3000000) "
    "GROUP BY k ORDER BY k)"
)


def test_each_connection_spills_to_a_folder_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An in-memory database spills to `.tmp` in the current folder by default, under the
    same file names in every database: two spilling at once overwrote each other's blocks
    (two compaction workers crashed with signal 11), and a read-only folder fails the query."""
    monkeypatch.chdir(tmp_path)
    first, second = connect(), connect()
    folders = [
        Path(c.execute("SELECT current_setting('temp_directory')").fetchone()[0])
        for c in (first, second)
    ]
    assert folders[0] != folders[1]
    assert all(f.is_absolute() and tmp_path not in f.parents for f in folders)

    first.execute("SET memory_limit = '20MB'")
    first.execute("SET threads = 1")
    assert first.execute(SPILLING_QUERY).fetchone() == (1_000_000,)
    assert folders[0].is_dir()  # DuckDB made it when it spilled ...
    first.close()
    second.close()
    assert not folders[0].exists()  # ... and removed it on close
    assert list(tmp_path.iterdir()) == []  # nothing in the current folder
