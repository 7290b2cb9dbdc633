"""Every catalogue query: documented, golden SQL in both dialects, Athena output checked
(parses in the athena dialect, passes the engine-v3 function lint, and translated back to DuckDB
gives the same rows as the DuckDB compile on the sample lake)."""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flowlake.catalog import catalog
from flowlake.compiler import compile_query
from flowlake.dialect_check import athena_to_duckdb
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.lint import lint_athena
from flowlake.netconfig.sample import write_sample_network
from flowlake.netconfig.views import load_cloudtrail
from flowlake.sample_lake import write_sample_lake
from flowlake.timewindow import TimeWindow

GOLDEN = Path(__file__).parent / "golden"
README = Path(__file__).parents[1] / "README.md"
QUERIES = sorted(catalog())
FIXED_WINDOW = TimeWindow(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))


def every_param(name: str) -> dict[str, str]:
    """A value for every parameter of a query (the first choice of an enum)."""
    spec = catalog()[name]
    return {p.name: p.example_value for p in spec.params.values()}


def param_sets(name: str) -> list[dict[str, str]]:
    spec = catalog()[name]
    required = spec.example_params()
    sets: list[dict[str, str]] = [required, every_param(name)]
    for p in spec.params.values():
        for choice in p.choices[1:]:
            sets.append({**required, p.name: choice})
    return sets


@pytest.mark.parametrize("name", QUERIES)
def test_query_is_documented(name: str) -> None:
    spec = catalog()[name]
    assert spec.title and spec.description and len(spec.description) > 40
    assert spec.columns and (spec.fields or spec.tables)
    assert spec.answers, "which seed pattern or Insights query does it answer?"
    for param in spec.params.values():
        assert param.help, f"parameter {param.name} needs a help text"
    assert f"`{name}`" in README.read_text(), "the README catalogue lists every query"


@pytest.mark.parametrize("dialect", ["duckdb", "athena"])
@pytest.mark.parametrize("name", QUERIES)
def test_golden_sql(name: str, dialect: str) -> None:
    sql = compile_query(name, catalog()[name].example_params(), dialect, FIXED_WINDOW).sql + "\n"
    path = GOLDEN / f"{name}.{dialect}.sql"
    if os.environ.get("FLOWLAKE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(sql)
    assert path.is_file(), f"no golden SQL {path.name}: run with FLOWLAKE_UPDATE_GOLDEN=1"
    assert sql == path.read_text()


@pytest.mark.parametrize("name", QUERIES)
def test_athena_output_passes_the_lint(name: str) -> None:
    for params in param_sets(name):
        for window in (TimeWindow(), FIXED_WINDOW):
            sql = compile_query(name, params, "athena", window).sql
            assert lint_athena(sql) == [], (params, sql)


@pytest.mark.parametrize("name", QUERIES)
def test_the_config_tables_a_query_reads_are_found_in_its_sql(name: str) -> None:
    """run_query creates only those: a table read and not found would not exist."""
    import sqlglot
    from sqlglot import exp

    from flowlake.netconfig.schema import tables
    from flowlake.netconfig.views import tables_read_by

    for params in param_sets(name):
        sql = compile_query(name, params, "duckdb", FIXED_WINDOW).sql
        read = {t.name for t in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Table)}
        assert read & set(tables()) <= set(tables_read_by(sql)), params
        assert set(catalog()[name].tables) <= read, "a table the query needs, it reads"


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    sample = write_sample_lake(tmp_path_factory.mktemp("lake"), hours=6)
    write_sample_network(sample.root, sample.expected)  # config tables and CloudTrail
    engine = DuckDBEngine(Lake(str(sample.root)))
    load_cloudtrail(engine)
    return engine


@pytest.mark.parametrize("name", QUERIES)
def test_athena_translated_back_gives_the_duckdb_rows(name: str, sample_engine: Any) -> None:
    compared = 0
    for params in param_sets(name):
        duckdb_rows = sample_engine.run(compile_query(name, params, "duckdb").sql).rows()
        athena_sql = compile_query(name, params, "athena").sql
        back_rows = sample_engine.run(athena_to_duckdb(athena_sql)).rows()
        assert back_rows == duckdb_rows, params
        compared += len(duckdb_rows)
    assert compared > 0, "the comparison must see rows for at least one parameter set"


def test_readme_catalogue_is_generated_from_the_headers() -> None:
    from flowlake.readme import updated

    text = README.read_text()
    assert updated(text) == text, "run `python -m flowlake.readme`"
