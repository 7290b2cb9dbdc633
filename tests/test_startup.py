"""What a query command imports: start-up is most of a query's time on a compacted lake.

pyarrow (with numpy), sqlglot, Jinja and pydantic each cost 0.1-0.3 s per command; the
`duckdb` package around DuckDB's compiled module `_duckdb` another 0.06-0.09 s (it looks up its
own version through importlib.metadata). A text query whose SQL is cached needs none of them; a
regression here shows in every command.
"""

import os
import subprocess
import sys
from pathlib import Path

from flowlake import sample_lake as sl

HEAVY = (
    "pyarrow", "numpy", "sqlglot", "jinja2", "pydantic", "flowlake.compact", "boto3",
    "duckdb", "importlib.metadata",
)  # fmt: skip

PROGRAM = """
import sys
from flowlake.cli import main
sys.argv = ["flowlake", *sys.argv[1:]]
try:
    main()
finally:
    heavy = sorted(m for m in {heavy!r} if m in sys.modules)
    print("imported:", ",".join(heavy), file=sys.stderr)
"""


def imported(tmp_path: Path, *args: str) -> tuple[str, list[str]]:
    env = {
        **os.environ,
        "FLOWLAKE_CACHE_DIR": str(tmp_path / "cache"),
        "FLOWLAKE_CONFIG": os.devnull,
    }
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(heavy=HEAVY), *args],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(x for x in out.stderr.splitlines() if x.startswith("imported:"))
    return out.stdout, [m for m in line.removeprefix("imported:").strip().split(",") if m]


def test_a_repeated_text_query_imports_nothing_heavy(tmp_path: Path) -> None:
    lake = sl.write_sample_lake(tmp_path / "lake", hours=2)
    query = ("query", "reject-by-port", "--lake", str(lake.root), "-f", "csv")
    first_rows, first = imported(tmp_path, *query)
    again_rows, again = imported(tmp_path, *query)
    assert {"sqlglot", "jinja2"} <= set(first)  # compiled once ...
    assert again == []  # ... then neither compiled nor converted through Arrow
    assert again_rows == first_rows and first_rows.count("\n") > 1
    table_rows, table = imported(tmp_path, *query[:-1], "table")
    assert table == [] and "dstport" in table_rows


def test_a_query_creates_only_the_config_tables_it_reads(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Creating all 18 config views (and listing the lake's snapshots) cost ~20 ms a query: a
    query of flow logs alone (a catalogue one, or Logs Insights) does not even look at the
    snapshots, so a broken one is only reported by the queries that read the config."""
    from flowlake.netconfig.sample import write_sample_network

    lake = sl.write_sample_lake(tmp_path / "lake", hours=2)
    write_sample_network(lake.root, lake.expected)
    broken = lake.root / "config" / "_snapshots" / "20240501T000000Z-broken.json"
    broken.write_text("{not json")
    flows = cli("query", "reject-by-port", "--lake", lake.root, "-f", "csv")
    assert flows.code == 0 and "not a flowlake manifest" not in flows.err, flows.err
    insights = cli("insights", "stats count(*) by action", "--lake", lake.root, "-f", "csv")
    assert insights.code == 0 and "not a flowlake manifest" not in insights.err, insights.err
    config = cli("query", "sg-open-to-world", "--lake", lake.root, "-f", "csv")
    assert config.code == 0 and "not a flowlake manifest" in config.err, config.err
